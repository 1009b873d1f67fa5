/* Moving bytes between a flat buffer and a command's iovec array. */
#ifndef PVSCSID_IOV_BUF_H
#define PVSCSID_IOV_BUF_H

#include <stddef.h>
#include <sys/uio.h>

/* Copies up to len bytes of buf into the iovecs, in order; returns the
 * number copied (less than len only if the iovecs are shorter). */
size_t iov_from_buf(const struct iovec *iov, unsigned iov_cnt, const void *buf, size_t len);

/* Zeroes up to len bytes of the iovecs; returns the number zeroed. */
size_t iov_zero(const struct iovec *iov, unsigned iov_cnt, size_t len);

/* Copies len bytes at byte offset off of the iovecs into buf (out of them)
 * or from buf (into them); returns the number copied, less than len only
 * where the iovecs end first. */
size_t iov_read_at(const struct iovec *iov, unsigned iov_cnt, size_t off, void *buf, size_t len);
size_t iov_write_at(const struct iovec *iov, unsigned iov_cnt, size_t off, const void *buf,
                    size_t len);

#endif

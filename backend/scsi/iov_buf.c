#include "iov_buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

size_t iov_from_buf(const struct iovec *iov, unsigned iov_cnt, const void *buf, size_t len)
{
    const uint8_t *src = buf;
    size_t done = 0;

    for (unsigned i = 0; i < iov_cnt && done < len; i++) {
        size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
        if (n)
            memcpy(iov[i].iov_base, src + done, n);
        done += n;
    }
    return done;
}

size_t iov_zero(const struct iovec *iov, unsigned iov_cnt, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < iov_cnt && done < len; i++) {
        size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
        if (n)
            memset(iov[i].iov_base, 0, n);
        done += n;
    }
    return done;
}

/* Copies between the iovecs at off and a flat buffer, either way. */
static size_t copy_at(const struct iovec *iov, unsigned iov_cnt, size_t off, uint8_t *buf,
                      size_t len, bool into_iov)
{
    size_t done = 0;
    for (unsigned i = 0; i < iov_cnt && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t n = iov[i].iov_len - off < len - done ? iov[i].iov_len - off : len - done;
        uint8_t *p = (uint8_t *)iov[i].iov_base + off;
        if (into_iov)
            memcpy(p, buf + done, n);
        else
            memcpy(buf + done, p, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t iov_read_at(const struct iovec *iov, unsigned iov_cnt, size_t off, void *buf, size_t len)
{
    return copy_at(iov, iov_cnt, off, buf, len, false);
}

size_t iov_write_at(const struct iovec *iov, unsigned iov_cnt, size_t off, const void *buf,
                    size_t len)
{
    return copy_at(iov, iov_cnt, off, (uint8_t *)(uintptr_t)buf, len, true);
}

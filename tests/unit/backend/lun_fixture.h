/*
 * Shared by the LUN handler tests: building a struct lun_cmd, running it
 * through a handler's start()/complete() until LUN_DONE, and checking the
 * sense it ends with.
 *
 * Two ways to run a command:
 *  - fx_run(): on a real io_uring, as the worker does.
 *  - fx_run_manual(): the test carries out each queued SQE itself (preadv2,
 *    pwritev2, fdatasync), optionally moving fewer bytes than asked or
 *    failing with a chosen error, turns the SQE into a NOP so the ring
 *    stays consistent, and hands the handler a CQE with that result. This
 *    makes short completions and I/O errors deterministic and lets the test
 *    see the SQE fields (opcode, rw_flags, fsync_flags, offset).
 */
#ifndef PVSCSID_TEST_LUN_FIXTURE_H
#define PVSCSID_TEST_LUN_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>

#include "lun.h"
#include "result.h"
#include "tap.h"

/* Fills cmd for a command; data_len is the sum of the iovec lengths. */
static inline void fx_cmd(struct lun_cmd *cmd, const uint8_t *cdb, unsigned cdb_len,
                          enum vscsi_dir dir, const struct iovec *iov, unsigned iov_cnt)
{
    size_t total = 0;

    memset(cmd, 0, sizeof(*cmd));
    memcpy(cmd->cdb, cdb, cdb_len);
    cmd->cdb_len = (uint8_t)cdb_len;
    cmd->dir = dir;
    cmd->iov = iov;
    cmd->iov_cnt = iov_cnt;
    for (unsigned i = 0; i < iov_cnt; i++)
        total += iov[i].iov_len;
    cmd->data_len = (uint32_t)total;
    /* Outputs start as garbage so a handler that forgets one is caught. */
    cmd->status = 0xee;
    cmd->residual = 0xeeeeeeee;
}

/* Runs cmd on a real io_uring until LUN_DONE. Returns the number of CQEs
 * the handler consumed, or -1 if the ring misbehaved. */
static inline int fx_run(const struct lun_ops *ops, struct lun *lun, struct lun_cmd *cmd,
                         struct io_uring *ring)
{
    int cqes = 0;
    enum lun_step step = ops->start(lun, cmd, ring);

    while (step == LUN_PENDING) {
        struct io_uring_cqe *cqe;
        if (io_uring_submit_and_wait(ring, 1) < 0 || io_uring_wait_cqe(ring, &cqe) < 0)
            return -1;
        if (cqe->user_data != (uint64_t)(uintptr_t)&cmd->tag || cmd->tag.kind != URING_TAG_LUN_CMD)
            return -1;
        struct io_uring_cqe copy = *cqe;
        io_uring_cqe_seen(ring, cqe);
        step = ops->complete(lun, cmd, &copy, ring);
        cqes++;
    }
    return cqes;
}

/* One SQE as the handler queued it. */
struct fx_sqe {
    uint8_t opcode;
    int fd;
    uint64_t off;
    uint32_t nr_iov;
    uint64_t bytes;          /* sum of the iovec lengths asked for */
    uint32_t rw_flags;       /* also fsync_flags: the same union member */
};

struct fx_manual {
    size_t max_bytes;        /* at most this many bytes per READV/WRITEV, 0: all */
    bool fail;               /* every SQE "completes" with fail_res instead */
    int fail_res;
    struct fx_sqe log[4096]; /* what the handler queued, in order */
    unsigned n_log;
};

/* preadv2/pwritev2 of at most max bytes of the SQE's iovecs. */
static inline int fx_do_rw(const struct io_uring_sqe *sqe, size_t max)
{
    const struct iovec *src = (const struct iovec *)(uintptr_t)sqe->addr;
    struct iovec *iov = calloc(sqe->len ? sqe->len : 1, sizeof(*iov));
    unsigned n = 0;
    size_t room = max ? max : SIZE_MAX;

    if (!iov)
        return -ENOMEM;
    for (unsigned i = 0; i < sqe->len && room > 0; i++, n++) {
        iov[n] = src[i];
        if (iov[n].iov_len > room)
            iov[n].iov_len = room;
        room -= iov[n].iov_len;
    }
    ssize_t r = sqe->opcode == IORING_OP_READV
        ? preadv2(sqe->fd, iov, (int)n, (off_t)sqe->off, (int)sqe->rw_flags)
        : pwritev2(sqe->fd, iov, (int)n, (off_t)sqe->off, (int)sqe->rw_flags);
    int e = errno;
    free(iov);
    return r < 0 ? -e : (int)r;
}

/* Runs cmd, carrying out each SQE in the test (see the top of the file).
 * Returns the number of CQEs handed to the handler, or -1. */
static inline int fx_run_manual(const struct lun_ops *ops, struct lun *lun, struct lun_cmd *cmd,
                                struct io_uring *ring, struct fx_manual *m)
{
    int cqes = 0;
    unsigned head = ring->sq.sqe_tail;
    enum lun_step step = ops->start(lun, cmd, ring);

    while (step == LUN_PENDING) {
        /* The handler keeps exactly one SQE in flight per command. */
        if (ring->sq.sqe_tail - head != 1 || m->n_log >= sizeof(m->log) / sizeof(m->log[0]))
            return -1;
        struct io_uring_sqe *sqe = &ring->sq.sqes[head & ring->sq.ring_mask];
        struct fx_sqe *l = &m->log[m->n_log++];
        const struct iovec *iov = (const struct iovec *)(uintptr_t)sqe->addr;
        *l = (struct fx_sqe){.opcode = sqe->opcode, .fd = sqe->fd, .off = sqe->off,
                             .rw_flags = sqe->rw_flags};
        if (sqe->opcode == IORING_OP_READV || sqe->opcode == IORING_OP_WRITEV) {
            l->nr_iov = sqe->len;
            for (unsigned i = 0; i < sqe->len; i++)
                l->bytes += iov[i].iov_len;
        }

        int res;
        if (m->fail)
            res = m->fail_res;
        else if (sqe->opcode == IORING_OP_FSYNC)
            res = fdatasync(sqe->fd) < 0 ? -errno : 0;
        else if (sqe->opcode == IORING_OP_READV || sqe->opcode == IORING_OP_WRITEV)
            res = fx_do_rw(sqe, m->max_bytes);
        else
            return -1;

        uint64_t user_data = sqe->user_data;
        io_uring_prep_nop(sqe);
        sqe->user_data = user_data;
        struct io_uring_cqe *cqe;
        if (io_uring_submit_and_wait(ring, 1) < 0 || io_uring_wait_cqe(ring, &cqe) < 0)
            return -1;
        if (cqe->user_data != (uint64_t)(uintptr_t)&cmd->tag)
            return -1;
        struct io_uring_cqe fake = *cqe;
        io_uring_cqe_seen(ring, cqe);
        fake.res = res;
        head = ring->sq.sqe_tail;
        step = ops->complete(lun, cmd, &fake, ring);
        cqes++;
    }
    return cqes;
}

/* CHECK CONDITION with fixed-format sense key/ASC/ASCQ, nothing moved. */
#define CHECK_SENSE(cmd, key, asc, ascq)                                    \
    do {                                                                    \
        CHECK_INT_EQ((cmd)->status, VSCSI_STATUS_CHECK_CONDITION);          \
        CHECK_INT_EQ((cmd)->host, XEN_VSCSIIF_RSLT_HOST_OK);                \
        CHECK_INT_EQ((cmd)->sense_len, 18);                                 \
        CHECK_INT_EQ((cmd)->sense[0], 0x70);                                \
        CHECK_INT_EQ((cmd)->sense[2] & 0x0f, (key));                        \
        CHECK_INT_EQ((cmd)->sense[7], 10);                                  \
        CHECK_INT_EQ((cmd)->sense[12], (asc));                              \
        CHECK_INT_EQ((cmd)->sense[13], (ascq));                             \
        CHECK_INT_EQ((cmd)->residual, (cmd)->data_len);                     \
    } while (0)

/* GOOD with the given residual. */
#define CHECK_GOOD(cmd, resid)                                              \
    do {                                                                    \
        CHECK_INT_EQ((cmd)->status, VSCSI_STATUS_GOOD);                     \
        CHECK_INT_EQ((cmd)->host, XEN_VSCSIIF_RSLT_HOST_OK);                \
        CHECK_INT_EQ((cmd)->sense_len, 0);                                  \
        CHECK_INT_EQ((cmd)->residual, (resid));                             \
    } while (0)

/* Splits buf into iovecs of the given lengths, the last one taking what is
 * left; returns the number of iovecs (at most cap). */
static inline unsigned fx_split(uint8_t *buf, size_t len, const size_t *sizes, unsigned n_sizes,
                                struct iovec *iov, unsigned cap)
{
    unsigned n = 0;
    size_t off = 0;

    while (off < len && n < cap) {
        size_t want = n < n_sizes ? sizes[n] : len - off;
        if (want > len - off || n + 1 == cap)
            want = len - off;
        iov[n++] = (struct iovec){buf + off, want};
        off += want;
    }
    return n;
}

/* A deterministic pattern, different for every seed and offset. */
static inline void fx_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = (seed * 2654435761u) | 1;   /* xorshift needs x != 0 */
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

#endif

/*
 * The "null" handler: an emulated disk with no storage ("null" or
 * "null:<size>", size in bytes or with a binary K/M/G/T suffix). Reads
 * return zeros, writes are discarded, all at once without io_uring. For
 * benchmarks of the transport, so nothing here allocates per command.
 *
 * "null:<size>,lat=<n>us|ms" adds a completion latency to every READ, WRITE
 * and SYNCHRONIZE CACHE (like null_blk's completion_nsec), through an
 * io_uring timeout: a device with commands genuinely in flight, for queue
 * depth benchmarks and for ABORT/RESET of running commands.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disk_emul.h"
#include "handler_err.h"
#include "iov_buf.h"
#include "lun.h"

#define NULL_NAME      "null"
#define NULL_PREFIX    "null:"
#define NULL_PRODUCT   "NULL DISK"
#define NULL_DEFAULT_SIZE (UINT64_C(16) << 30)   /* 16 GiB */

/* Defined at the end; open() stamps it on every LUN. */
extern const struct lun_ops lun_null_ops;

struct null_lun {
    struct lun base;    /* first: the core sees a struct lun */
    struct disk_emul disk;
    uint64_t latency_ns;
};

/* Per-command state of a delayed completion (in cmd->priv). */
struct null_delay {
    struct __kernel_timespec ts;
};
_Static_assert(sizeof(struct null_delay) <= LUN_CMD_PRIV_SIZE, "fits lun_cmd priv");

/* "lat=<n>us" or "lat=<n>ms", at most 10 s. */
static int null_parse_latency(const char *s, uint64_t *ns)
{
    if (strncmp(s, "lat=", 4) != 0 || s[4] < '0' || s[4] > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s + 4, &end, 10);
    uint64_t unit;
    if (strcmp(end, "us") == 0)
        unit = 1000;
    else if (strcmp(end, "ms") == 0)
        unit = 1000000;
    else
        return -EINVAL;
    if (errno || v > 10000000000ull / unit)
        return -ERANGE;
    *ns = v * unit;
    return 0;
}

static bool null_claims(const char *pdev)
{
    return strcmp(pdev, NULL_NAME) == 0 || strncmp(pdev, NULL_PREFIX, strlen(NULL_PREFIX)) == 0;
}

/* Decimal digits and an optional K/M/G/T (powers of 1024) suffix, nothing
 * else; -ERANGE if it does not fit 64 bits. */
static int null_parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned digit = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -ERANGE;
        v = v * 10 + digit;
    }
    unsigned shift = 0;
    switch (*s) {
    case '\0': break;
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    case 'T': case 't': shift = 40; break;
    default: return -EINVAL;
    }
    if (shift) {
        if (s[1] != '\0')
            return -EINVAL;
        if (v > (UINT64_MAX >> shift))
            return -ERANGE;
        v <<= shift;
    }
    *out = v;
    return 0;
}

static int null_open(const char *pdev, const struct lun_params *params, struct lun **out,
                     char *err, size_t err_len)
{
    static const struct lun_params defaults = {0};
    uint64_t size = NULL_DEFAULT_SIZE;
    uint32_t bs;

    if (!params)
        params = &defaults;
    if (!null_claims(pdev)) {
        handler_err(err, err_len, "null: \"%s\" is not null or null:<size>", pdev);
        return -EINVAL;
    }
    if (disk_emul_block_size(params->block_size, &bs) < 0) {
        handler_err(err, err_len, "null: block size %u not supported (512 or 4096)",
                    params->block_size);
        return -EINVAL;
    }
    uint64_t latency_ns = 0;
    if (strcmp(pdev, NULL_NAME) != 0) {
        char spec[64];
        size_t n = strlen(pdev + strlen(NULL_PREFIX));
        if (n >= sizeof(spec)) {
            handler_err(err, err_len, "null: p-dev \"%s\" too long", pdev);
            return -EINVAL;
        }
        memcpy(spec, pdev + strlen(NULL_PREFIX), n + 1);
        char *opt = strchr(spec, ',');
        if (opt) {
            *opt++ = '\0';
            int r = null_parse_latency(opt, &latency_ns);
            if (r < 0) {
                handler_err(err, err_len, "null: bad option \"%s\" (lat=<n>us or "
                            "lat=<n>ms, at most 10 s)", opt);
                return r;
            }
        }
        int r = null_parse_size(spec, &size);
        if (r < 0) {
            handler_err(err, err_len, "null: bad size \"%s\" (bytes, or a number with "
                        "K, M, G or T)", spec);
            return r;
        }
    }
    if (size / bs == 0) {
        handler_err(err, err_len, "null: size %llu bytes is less than one %u-byte block",
                    (unsigned long long)size, bs);
        return -EINVAL;
    }

    struct null_lun *nl = calloc(1, sizeof(*nl));
    if (!nl) {
        handler_err(err, err_len, "null: out of memory");
        return -ENOMEM;
    }
    struct disk_emul_params dp = {
        .nr_blocks = size / bs,
        .block_size = bs,
        .read_only = params->read_only,
        .write_cache = false,     /* nothing is ever cached */
        .product = NULL_PRODUCT,
        .identity = pdev,
    };
    int r = disk_emul_init(&nl->disk, &dp);
    if (r < 0) {
        free(nl);
        handler_err(err, err_len, "null: size %llu bytes is too large",
                    (unsigned long long)size);
        return r;
    }
    nl->base.ops = &lun_null_ops;
    nl->base.peripheral_type = 0x00;   /* an emulated disk */
    nl->latency_ns = latency_ns;
    *out = &nl->base;
    return 0;
}

static void null_close(struct lun *lun)
{
    free(lun);
}

static enum lun_step null_start(struct lun *lun, struct lun_cmd *cmd, struct io_uring *ring)
{
    struct null_lun *nl = (struct null_lun *)lun;
    struct disk_io io;

    switch (disk_emul_dispatch(&nl->disk, cmd, &io)) {
    case DISK_DONE:
        return LUN_DONE;
    case DISK_READ: {
        /* io.len <= data_len, the sum of the iovecs: all of it is zeroed. */
        size_t zeroed = iov_zero(cmd->iov, cmd->iov_cnt, io.len);
        lun_cmd_good(cmd, cmd->data_len - (uint32_t)zeroed);
        break;
    }
    case DISK_WRITE:
    case DISK_SYNC:
        lun_cmd_good(cmd, cmd->data_len - io.len);
        break;
    }
    if (nl->latency_ns == 0)
        return LUN_DONE;
    /* The result is final; only its delivery waits. */
    struct null_delay d = {.ts = {.tv_sec = (long long)(nl->latency_ns / 1000000000u),
                                  .tv_nsec = (long long)(nl->latency_ns % 1000000000u)}};
    memcpy(cmd->priv, &d, sizeof(d));
    struct io_uring_sqe *sqe = lun_get_sqe(ring);
    if (!sqe)
        return LUN_DONE;   /* no delay rather than no answer */
    io_uring_prep_timeout(sqe, (struct __kernel_timespec *)(void *)cmd->priv, 0, 0);
    io_uring_sqe_set_data64(sqe, lun_cmd_user_data(cmd));
    return LUN_PENDING;
}

/* The latency timer fired (-ETIME) or was cancelled: the result stands. */
static enum lun_step null_complete(struct lun *lun, struct lun_cmd *cmd,
                                   const struct io_uring_cqe *cqe, struct io_uring *ring)
{
    (void)lun;
    (void)ring;
    if (cqe->res != -ETIME && cqe->res != 0 && cqe->res != -ECANCELED)
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
    return LUN_DONE;
}

const struct lun_ops lun_null_ops = {
    .name = "null",
    .claims = null_claims,
    .open = null_open,
    .close = null_close,
    .start = null_start,
    .complete = null_complete,
};

/*
 * The "file" handler: an emulated disk backed by a regular file or a block
 * device ("file:/abs/path"). READ/WRITE and SYNCHRONIZE CACHE go through the
 * worker's io_uring; everything else is answered by the disk emulation.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>
#include <scsi/sg_lib.h>

#include "disk_emul.h"
#include "handler_err.h"
#include "lun.h"
#include "scsi_codes.h"

#define FILE_PREFIX "file:"
#define FILE_PRODUCT "FILE DISK"

/* Defined at the end; open() stamps it on every LUN. */
extern const struct lun_ops lun_file_ops;

struct file_lun {
    struct lun base;    /* first: the core sees a struct lun */
    int fd;
    struct disk_emul disk;
};

enum file_op {
    FILE_OP_READ = 1,
    FILE_OP_WRITE,
    FILE_OP_SYNC,
};

/*
 * A command's progress, kept in cmd->priv across CQEs: the file offset and
 * a cursor into cmd->iov (which is const) so a short completion resubmits
 * exactly the remainder. Copied in and out of priv with memcpy (priv is a
 * byte array); `part` is used in place, its address goes to the kernel.
 */
struct file_cmd {
    struct iovec part;     /* the one partial iovec of a resubmission */
    uint64_t offset;       /* file offset of the next byte */
    size_t iov_off;        /* bytes of cmd->iov[iov_idx] already moved */
    unsigned iov_idx;      /* first iovec not completely moved */
    uint32_t left;         /* bytes still to move */
    uint32_t total;        /* bytes the command moves */
    uint32_t in_flight;    /* bytes asked for by the SQE in flight */
    uint8_t op;            /* enum file_op */
    bool fua;
};
_Static_assert(sizeof(struct file_cmd) <= LUN_CMD_PRIV_SIZE, "file_cmd fits priv");
_Static_assert(offsetof(struct file_cmd, part) % _Alignof(struct iovec) == 0,
               "part is aligned inside the 16-aligned priv");

static struct file_cmd fcmd_load(const struct lun_cmd *cmd)
{
    struct file_cmd fc;
    memcpy(&fc, cmd->priv, sizeof(fc));
    return fc;
}

static void fcmd_store(struct lun_cmd *cmd, const struct file_cmd *fc)
{
    memcpy(cmd->priv, fc, sizeof(*fc));
}

/* Where `part` lives inside priv: stable for the command's lifetime. */
static const struct iovec *fcmd_part(struct lun_cmd *cmd)
{
    return (const struct iovec *)(void *)(cmd->priv + offsetof(struct file_cmd, part));
}

static bool file_claims(const char *pdev)
{
    return strncmp(pdev, FILE_PREFIX, strlen(FILE_PREFIX)) == 0;
}

/* The size in bytes of a regular file or block device. */
static int file_size(int fd, const char *path, uint64_t *size, char *err, size_t err_len)
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        int e = errno;
        handler_err(err, err_len, "file: cannot stat %s: %s", path, strerror(e));
        return -e;
    }
    if (S_ISREG(st.st_mode)) {
        *size = (uint64_t)st.st_size;
        return 0;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, size) < 0) {
            int e = errno;
            handler_err(err, err_len, "file: cannot get the size of %s: %s", path,
                        strerror(e));
            return -e;
        }
        return 0;
    }
    handler_err(err, err_len, "file: %s is neither a regular file nor a block device", path);
    return -EINVAL;
}

static int file_open(const char *pdev, const struct lun_params *params, struct lun **out,
                     char *err, size_t err_len)
{
    static const struct lun_params defaults = {0};
    /* "file:/path,shared": a disk several LUNs may hold at once (a cluster
     * disk, or one file split between benchmark rings); without it the
     * file has one owner. */
    char path[PATH_MAX];
    const char *spec = pdev + strlen(FILE_PREFIX);
    size_t len = strlen(spec);
    static const char shared_opt[] = ",shared";
    bool shared = len > sizeof(shared_opt) - 1 &&
                  strcmp(spec + len - (sizeof(shared_opt) - 1), shared_opt) == 0;
    if (shared)
        len -= sizeof(shared_opt) - 1;
    if (len >= sizeof(path)) {
        handler_err(err, err_len, "file: path too long");
        return -ENAMETOOLONG;
    }
    memcpy(path, spec, len);
    path[len] = '\0';
    uint32_t bs;
    uint64_t size;

    if (!params)
        params = &defaults;
    if (!file_claims(pdev) || path[0] != '/') {
        handler_err(err, err_len, "file: \"%s\" is not file:/absolute/path", pdev);
        return -EINVAL;
    }
    if (disk_emul_block_size(params->block_size, &bs) < 0) {
        handler_err(err, err_len, "file: block size %u not supported (512 or 4096)",
                    params->block_size);
        return -EINVAL;
    }

    int fd = open(path, (params->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        handler_err(err, err_len, "file: cannot open %s: %s", path, strerror(e));
        return -e;
    }
    /* One owner per disk: a second assignment of the same file (to another
     * guest or device, under any path name) is refused while we hold it.
     * flock is per open file description, so the lock goes with our fd. */
    if (flock(fd, (params->read_only || shared ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        int e = errno;
        handler_err(err, err_len, "file: %s is in use (given to another guest or device)%s",
                    path, e == EWOULDBLOCK ? "" : ": cannot lock");
        close(fd);
        return e == EWOULDBLOCK ? -EBUSY : -e;
    }
    int r = file_size(fd, path, &size, err, err_len);
    if (r < 0)
        goto fail_fd;
    if (size / bs == 0) {
        handler_err(err, err_len, "file: %s has %llu bytes, less than one %u-byte block",
                    path, (unsigned long long)size, bs);
        r = -EINVAL;
        goto fail_fd;
    }

    /* The canonical path names the disk: its serial number and designators
     * derive from it, so they survive restarts and differ between files. */
    char *canon = realpath(path, NULL);
    if (!canon) {
        r = -errno;
        handler_err(err, err_len, "file: cannot resolve %s: %s", path, strerror(-r));
        goto fail_fd;
    }
    struct file_lun *fl = calloc(1, sizeof(*fl));
    if (!fl) {
        free(canon);
        r = -ENOMEM;
        handler_err(err, err_len, "file: out of memory");
        goto fail_fd;
    }
    struct disk_emul_params dp = {
        .nr_blocks = size / bs,   /* a partial last block is not exposed */
        .block_size = bs,
        .read_only = params->read_only,
        .write_cache = true,      /* the page cache: SYNCHRONIZE CACHE flushes it */
        .product = FILE_PRODUCT,
        .identity = canon,
    };
    r = disk_emul_init(&fl->disk, &dp);
    free(canon);
    if (r < 0) {
        free(fl);
        handler_err(err, err_len, "file: %s is too large to emulate", path);
        goto fail_fd;
    }
    fl->base.ops = &lun_file_ops;
    fl->base.peripheral_type = 0x00;   /* an emulated disk */
    fl->fd = fd;
    *out = &fl->base;
    return 0;

fail_fd:
    if (close(fd) < 0) {
        /* Nothing was written through fd: no data can be lost here. */
    }
    return r;
}

static void file_close(struct lun *lun)
{
    struct file_lun *fl = (struct file_lun *)lun;

    /* Writes already completed; durability is the guest's SYNCHRONIZE
     * CACHE, so a failing close has nobody left to tell. */
    if (close(fl->fd) < 0) {
    }
    free(fl);
}

/* Skips iovecs the cursor has finished, and empty ones. */
static void fcmd_skip_done(const struct lun_cmd *cmd, struct file_cmd *fc)
{
    while (fc->iov_idx < cmd->iov_cnt && fc->iov_off == cmd->iov[fc->iov_idx].iov_len) {
        fc->iov_idx++;
        fc->iov_off = 0;
    }
}

/* Accounts for n bytes transferred: file offset, bytes left, cursor. */
static void fcmd_advance(const struct lun_cmd *cmd, struct file_cmd *fc, uint32_t n)
{
    fc->offset += n;
    fc->left -= n;
    while (n > 0 && fc->iov_idx < cmd->iov_cnt) {
        size_t avail = cmd->iov[fc->iov_idx].iov_len - fc->iov_off;
        size_t step = avail < n ? avail : n;
        fc->iov_off += step;
        n -= (uint32_t)step;
        fcmd_skip_done(cmd, fc);
    }
}

/* Finishes a failed transfer with the sense SBC gives for media errors. */
static enum lun_step file_io_error(struct lun_cmd *cmd, uint8_t op)
{
    if (op == FILE_OP_READ)
        lun_cmd_check_condition(cmd, SPC_SK_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR);
    else
        lun_cmd_check_condition(cmd, SPC_SK_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
    return LUN_DONE;
}

/* No SQE (the kernel refused a submission): the guest should retry. */
static enum lun_step file_no_sqe(struct lun_cmd *cmd)
{
    lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY);
    return LUN_DONE;
}

/*
 * Queues one READV/WRITEV for what is left. From an iovec boundary it uses
 * cmd->iov in place, as many whole iovecs as fit in what is left (at most
 * IOV_MAX); otherwise, mid-iovec or when the transfer ends inside the
 * current iovec, it sends just that iovec's piece through `part`.
 */
static enum lun_step file_submit_rw(struct file_lun *fl, struct lun_cmd *cmd,
                                    struct file_cmd *fc, struct io_uring *ring)
{
    const struct iovec *vec = cmd->iov + fc->iov_idx;
    unsigned n = 0;
    size_t bytes = 0;

    if (fc->iov_idx >= cmd->iov_cnt) {
        /* The iovecs hold less than data_len said: a core bug. */
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return LUN_DONE;
    }
    if (fc->iov_off == 0) {
        while (fc->iov_idx + n < cmd->iov_cnt && n < IOV_MAX &&
               cmd->iov[fc->iov_idx + n].iov_len <= fc->left - bytes) {
            bytes += cmd->iov[fc->iov_idx + n].iov_len;
            n++;
        }
    }
    if (bytes == 0) {
        /* The cursor never rests on an empty iovec, so this piece is > 0. */
        const struct iovec *cur = &cmd->iov[fc->iov_idx];
        size_t avail = cur->iov_len - fc->iov_off;
        fc->part.iov_base = (uint8_t *)cur->iov_base + fc->iov_off;
        fc->part.iov_len = avail < fc->left ? avail : fc->left;
        vec = fcmd_part(cmd);
        n = 1;
        bytes = fc->part.iov_len;
    }

    struct io_uring_sqe *sqe = lun_get_sqe(ring);
    if (!sqe)
        return file_no_sqe(cmd);
    /* bytes <= left, a uint32_t. */
    fc->in_flight = (uint32_t)bytes;
    fcmd_store(cmd, fc);    /* `part` must be in priv before the kernel reads it */
    if (fc->op == FILE_OP_READ) {
        io_uring_prep_readv(sqe, fl->fd, vec, n, fc->offset);
    } else {
        io_uring_prep_writev(sqe, fl->fd, vec, n, fc->offset);
        if (fc->fua)
            sqe->rw_flags = RWF_DSYNC;
    }
    io_uring_sqe_set_data64(sqe, lun_cmd_user_data(cmd));
    return LUN_PENDING;
}

static enum lun_step file_start(struct lun *lun, struct lun_cmd *cmd, struct io_uring *ring)
{
    struct file_lun *fl = (struct file_lun *)lun;
    struct disk_io io;
    struct file_cmd fc = {0};

    switch (disk_emul_dispatch(&fl->disk, cmd, &io)) {
    case DISK_DONE:
        return LUN_DONE;
    case DISK_SYNC: {
        struct io_uring_sqe *sqe = lun_get_sqe(ring);
        if (!sqe)
            return file_no_sqe(cmd);
        fc.op = FILE_OP_SYNC;
        fcmd_store(cmd, &fc);
        io_uring_prep_fsync(sqe, fl->fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data64(sqe, lun_cmd_user_data(cmd));
        return LUN_PENDING;
    }
    case DISK_READ:
        fc.op = FILE_OP_READ;
        break;
    case DISK_WRITE:
        fc.op = FILE_OP_WRITE;
        fc.fua = io.fua;
        break;
    }
    fc.offset = io.offset;
    fc.left = io.len;
    fc.total = io.len;
    fcmd_skip_done(cmd, &fc);
    return file_submit_rw(fl, cmd, &fc, ring);
}

static enum lun_step file_complete(struct lun *lun, struct lun_cmd *cmd,
                                   const struct io_uring_cqe *cqe, struct io_uring *ring)
{
    struct file_lun *fl = (struct file_lun *)lun;
    struct file_cmd fc = fcmd_load(cmd);

    if (fc.op == FILE_OP_SYNC) {
        if (cqe->res < 0)
            return file_io_error(cmd, FILE_OP_WRITE);
        lun_cmd_good(cmd, cmd->data_len);
        return LUN_DONE;
    }
    /* 0 bytes means end of file (it shrank under us) or no progress at
     * all: an error, or we would resubmit forever. */
    if (cqe->res <= 0 || (uint32_t)cqe->res > fc.in_flight)
        return file_io_error(cmd, fc.op);
    fcmd_advance(cmd, &fc, (uint32_t)cqe->res);
    if (fc.left == 0) {
        lun_cmd_good(cmd, cmd->data_len - fc.total);
        return LUN_DONE;
    }
    return file_submit_rw(fl, cmd, &fc, ring);
}

const struct lun_ops lun_file_ops = {
    .name = "file",
    .claims = file_claims,
    .open = file_open,
    .close = file_close,
    .start = file_start,
    .complete = file_complete,
};

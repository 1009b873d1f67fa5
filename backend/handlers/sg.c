/*
 * Command path, all of it inside the worker's io_uring_enter calls: start()
 * queues a write of the command's sg_io_hdr (sg queues the command and
 * returns; the fd is O_NONBLOCK, so io_uring writes it inline rather than
 * from a kernel worker), and while commands are in flight one read of "any
 * completed command" (pack_id -1) is queued: io_uring waits for the fd to
 * poll readable and reads inline. No syscall per command of its own; sg
 * copies data between our buffers and its pages inside those writes and
 * reads. One read at a time: a second would wake with the first and,
 * finding nothing, be handed to a kernel worker thread. Where io_uring
 * answers that read with EAGAIN instead of polling first (Debian 12's 6.1:
 * sg files lack FMODE_NOWAIT), a poll is queued instead, and when it fires
 * every completion ready is read with read().
 *
 * A command is finished once two things are known: its write's CQE came
 * (sg no longer reads its header or data), and its result (its completion
 * read back, its write refused, or the device failed). Until then it stays
 * in cmds[], so close() never comes with a write or read still queued.
 */
#include "sg.h"

#include <errno.h>
#include <poll.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handler_err.h"
#include "log.h"
#include "sg_dev.h"
#include "sg_io.h"
#include "sg_leftovers.h"
#include "sg_lookup.h"
#include "sg_packid.h"

struct sg_lun {
    struct lun base;                /* first: struct lun * converts back */
    int fd;
    uint32_t default_timeout_ms;    /* by device type, when the guest gives none */
    struct sg_packid ids;
    struct lun_cmd *cmds[SG_PACKID_SLOTS];   /* in flight, by pack_id slot */
    unsigned inflight;              /* in cmds[] */
    bool read_armed;                /* the read (or poll) of the next completion is queued */
    bool poll_then_read;            /* io_uring said EAGAIN to the read: poll, then read() */
    struct sg_io_hdr done;          /* the read's buffer */
    char *name;                     /* "sg3", for the log */
    bool told_data_path;            /* logged whether sg does direct I/O */
    bool maybe_direct;              /* sg may take the next read by direct I/O */
    bool direct_ok;                 /* ask for direct I/O at all (disks only) */
};

/* Per command, in lun_cmd.priv: the header sg reads and fills in place. */
struct sg_priv {
    struct sg_io_hdr hdr;
    int32_t pack_id;
    int8_t slot;                    /* in sg_lun.ids */
    bool written;                   /* its write's CQE came */
    bool has_result;                /* cmd's result is set */
};
_Static_assert(sizeof(struct sg_priv) <= LUN_CMD_PRIV_SIZE, "sg_priv fits lun_cmd.priv");
_Static_assert(_Alignof(struct sg_priv) <= 16, "lun_cmd.priv is 16-byte aligned");
_Static_assert(SG_PACKID_SLOTS <= INT8_MAX, "slot fits int8_t");

static struct sg_lun *sg_lun_of(struct lun *lun)
{
    return (struct sg_lun *)(void *)lun;
}

/* priv is the interface's scratch space for exactly this use. */
static struct sg_priv *priv_of(struct lun_cmd *cmd)
{
    return (struct sg_priv *)(void *)cmd->priv;
}

static bool sg_claims(const char *pdev)
{
    struct sg_pdev p;
    return sg_pdev_parse(pdev, &p) == 0;
}

int sg_lun_create(int fd, uint32_t default_timeout_ms, void (*finished)(struct lun_cmd *cmd),
                  struct lun **out)
{
    struct sg_lun *lun = calloc(1, sizeof(*lun));
    if (!lun)
        return -ENOMEM;
    lun->base.ops = &lun_sg_ops;
    lun->base.peripheral_type = -1;
    lun->base.finished = finished;
    lun->fd = fd;
    lun->default_timeout_ms = default_timeout_ms;
    lun->maybe_direct = true;   /* until sg says otherwise */
    lun->direct_ok = true;      /* sg_open narrows it by device type */
    sg_packid_init(&lun->ids);
    *out = &lun->base;
    return 0;
}

static int sg_open(const char *pdev, const struct lun_params *params, struct lun **out,
                   char *err, size_t err_len)
{
    const char *root = params ? params->sysfs_root : NULL;
    char dev[PATH_MAX];
    int fd, type;

    int r = sg_lookup_resolve(pdev, root, dev, sizeof(dev), err, err_len);
    if (r < 0)
        return r;
    r = sg_dev_open(dev, &fd, err, err_len);
    if (r < 0)
        return r;
    /* The type picks the default timeout: sysfs, else the driver; unknown
     * gets the long one (a short timeout would abort a tape rewind). */
    const char *name = strrchr(dev, '/');
    name = name ? name + 1 : dev;
    /* A pvscsid that died may have left commands running here; one run
     * again must not be overtaken by them. Disk commands end in moments;
     * a tape's may take long, and its lost commands are not run again. */
    int left = sg_leftovers_wait(SG_LEFTOVERS_PROC, name, 5000);
    if (left > 0)
        log_warn("%s: a previous opener's commands still run after 5 s; serving it anyway",
                 dev);
    if (sg_lookup_type(root, name, &type) < 0 && sg_dev_scsi_type(fd, &type) < 0)
        type = -1;
    uint32_t timeout = params && params->cmd_timeout_ms ? params->cmd_timeout_ms
                                                        : sg_io_default_timeout_ms(type);
    r = sg_lun_create(fd, timeout, params ? params->finished : NULL, out);
    if (r < 0) {
        if (close(fd) < 0) {
            /* Out of memory is the error to report. */
        }
        handler_err(err, err_len, "out of memory opening %s", dev);
        return r;
    }
    (*out)->peripheral_type = type;
    /* Direct I/O for disks only, for now: in the Xen tape tier, after a
     * kill -9 that landed on a tape WRITE sent by direct I/O, the guest
     * read the stream back far past its acknowledged records (it had
     * passed with sg's own buffer). Until that is understood, tapes,
     * changers and optical drives keep sg's copy. */
    sg_lun_of(*out)->direct_ok = sg_io_default_timeout_ms(type) == SG_IO_TIMEOUT_DISK_MS;
    sg_lun_of(*out)->name = strdup(name);   /* NULL: the log says "sg" */
    /* A warning, not a refusal: LIO's pscsi backstore under xen-scsiback
     * also passes through a tape or changer that st or ch holds. */
    char warn[1024];
    if (sg_lookup_holder(root, name, warn, sizeof(warn)) > 0)
        log_warn("%s", warn);
    return 0;
}

static void sg_close(struct lun *l)
{
    struct sg_lun *lun = sg_lun_of(l);
    if (close(lun->fd) < 0) {
        /* Nothing to retry: the fd is released either way on Linux. */
    }
    free(lun->name);
    free(lun);
}

/* Makes lun->done a request for "any completed command". sg takes the
 * pack_id from a v3 header only if the header says v3 by a negative
 * second int (dxfer_direction; it is sg_header.reply_len in the old
 * format): with 0 there it would read the old format's pack_id field and
 * wait for command 0 alone. */
static void ask_any(struct sg_lun *lun)
{
    memset(&lun->done, 0, sizeof(lun->done));
    lun->done.interface_id = 'S';
    lun->done.dxfer_direction = SG_DXFER_NONE;
    lun->done.pack_id = -1;
}

/* Keeps the read of the next completion queued while commands are in
 * flight (and only then: close() comes when none is). */
static void arm_read(struct sg_lun *lun, struct io_uring *ring)
{
    if (lun->read_armed || lun->inflight == 0)
        return;
    struct io_uring_sqe *sqe = lun_get_sqe(ring);
    if (!sqe)
        return;   /* retried at the next submission or completion */
    ask_any(lun);
    if (lun->poll_then_read)
        io_uring_prep_poll_add(sqe, lun->fd, POLLIN);
    else
        io_uring_prep_read(sqe, lun->fd, &lun->done, sizeof(lun->done), 0);
    io_uring_sqe_set_data64(sqe, lun_user_data(&lun->base));
    lun->read_armed = true;
}

static enum lun_step sg_start(struct lun *l, struct lun_cmd *cmd, struct io_uring *ring)
{
    struct sg_lun *lun = sg_lun_of(l);
    struct sg_priv *p = priv_of(cmd);
    int32_t id;

    int slot = sg_packid_take(&lun->ids, &id);
    if (slot < 0) {
        /* sg's own queue (16 per fd) is full: the guest retries. */
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY);
        return LUN_DONE;
    }
    p->slot = (int8_t)slot;
    p->pack_id = id;
    p->written = false;
    p->has_result = false;
    if (sg_io_build(&p->hdr, cmd, id, lun->default_timeout_ms) < 0) {
        sg_packid_release(&lun->ids, slot);
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return LUN_DONE;
    }
    if (!lun->direct_ok)
        p->hdr.flags &= ~(unsigned)SG_FLAG_DIRECT_IO;
    /* By direct I/O the device reads into our buffer, which still holds an
     * earlier command's data: a read failing with no residual reported
     * (the driver's claim) would hand that back. sg's own buffer comes
     * zeroed; so does ours. (BIDIRECTIONAL carries its data-out here.)
     * Known from the last completion: if allow_dio goes from 0 to 1 while
     * the LUN is open, the first read after that goes unzeroed; the data
     * it could show is this ring's own, never another guest's. */
    if (lun->direct_ok && lun->maybe_direct && cmd->dir == VSCSI_DIR_FROM_DEVICE &&
        cmd->iov_cnt == 1 && cmd->iov_private)
        memset(cmd->iov[0].iov_base, 0, cmd->iov[0].iov_len);
    struct io_uring_sqe *sqe = lun_get_sqe(ring);
    if (!sqe) {
        sg_packid_release(&lun->ids, slot);
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY);
        return LUN_DONE;
    }
    io_uring_prep_write(sqe, lun->fd, &p->hdr, sizeof(p->hdr), 0);
    io_uring_sqe_set_data64(sqe, lun_cmd_user_data(cmd));
    lun->cmds[slot] = cmd;
    lun->inflight++;
    arm_read(lun, ring);
    return LUN_PENDING;
}

/* Commands with both their write's CQE and a result leave cmds[]; each is
 * reported through finished() except `keep` (returned to the caller). */
static void finish_ready(struct sg_lun *lun, struct lun_cmd *keep)
{
    for (int i = 0; i < SG_PACKID_SLOTS; i++) {
        struct lun_cmd *cmd = lun->cmds[i];
        if (!cmd || !priv_of(cmd)->written || !priv_of(cmd)->has_result)
            continue;
        lun->cmds[i] = NULL;
        lun->inflight--;
        if (cmd != keep)
            lun->base.finished(cmd);
    }
}

/* Once per LUN, at its first data transfer: whether sg granted direct I/O
 * (SG_FLAG_DIRECT_IO, sg_io.c), which saves it an allocation, a zeroing and
 * a copy of every large transfer. It declines while the host's
 * /sys/module/sg/parameters/allow_dio is 0, its default. */
static void tell_data_path(struct sg_lun *lun, const struct sg_io_hdr *h, const struct lun_cmd *cmd)
{
    if (!lun->direct_ok || cmd->iov_cnt != 1 || !cmd->iov_private || h->dxfer_len == 0)
        return;
    lun->maybe_direct = sg_io_was_direct(h);
    if (lun->told_data_path)
        return;
    lun->told_data_path = true;
    const char *name = lun->name ? lun->name : "sg";
    if (sg_io_was_direct(h))
        log_info("%s: direct I/O: data moves between the device and pvscsid's buffers", name);
    else
        log_info("%s: no direct I/O: sg copies each transfer through its own buffer "
                 "(echo 1 > /sys/module/sg/parameters/allow_dio to allow it; pvscsid(8))", name);
}

/* The completion the read brought back: its command's result, or a bug of
 * ours (never guest data) logged and ignored. */
static void reaped(struct sg_lun *lun)
{
    const struct sg_io_hdr *h = &lun->done;
    /* The header is sg's copy of ours: pack_id and usr_ptr name it. */
    for (int i = 0; i < SG_PACKID_SLOTS; i++) {
        struct lun_cmd *cmd = lun->cmds[i];
        struct sg_priv *p = cmd ? priv_of(cmd) : NULL;
        if (p && !p->has_result && p->pack_id == h->pack_id && h->usr_ptr == cmd) {
            sg_packid_release(&lun->ids, p->slot);
            sg_io_map_result(h, cmd);
            tell_data_path(lun, h, cmd);
            p->has_result = true;
            return;
        }
    }
    log_err("sg read: a completion of no command of ours (pack_id %d)", h->pack_id);
}

/* The device failed under the commands in flight: each is answered with
 * host ERROR; their pack_ids stay reserved (sg may still hold them). */
static void fail_inflight(struct sg_lun *lun)
{
    for (int i = 0; i < SG_PACKID_SLOTS; i++) {
        struct lun_cmd *cmd = lun->cmds[i];
        if (cmd && !priv_of(cmd)->has_result) {
            lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
            priv_of(cmd)->has_result = true;
        }
    }
}

/* Commands still waiting for their completion. */
static unsigned awaiting(const struct sg_lun *lun)
{
    unsigned n = 0;
    for (int i = 0; i < SG_PACKID_SLOTS; i++)
        n += lun->cmds[i] && !priv_of(lun->cmds[i])->has_result;
    return n;
}

/* One read's outcome (bytes, or -errno). false when reading on is useless. */
static bool read_result(struct sg_lun *lun, int res)
{
    if (res == (int)sizeof(lun->done)) {
        reaped(lun);
        return true;
    }
    if (res > 0) {
        log_err("sg read: %d bytes, not a header", res);
        return true;
    }
    if (res == -EAGAIN && !lun->poll_then_read) {
        /* Debian 12's 6.1: no FMODE_NOWAIT on sg, so io_uring does not
         * poll before reading. */
        log_info("sg: io_uring does not wait to read this device; polling it instead");
        lun->poll_then_read = true;
        return false;
    }
    if (res != -ECANCELED && res != -EAGAIN && res != -EINTR) {
        /* A read error or end of file leaves the fate of every command in
         * flight unknown. */
        log_err("sg read: %s", res < 0 ? strerror(-res) : "end of file");
        fail_inflight(lun);
    }
    return false;
}

/* The read's CQE (a completion, the read cancelled, the device failing),
 * or the poll's: then every completion ready is read, one read() each. */
static void sg_event(struct lun *l, const struct io_uring_cqe *cqe, struct io_uring *ring)
{
    struct sg_lun *lun = sg_lun_of(l);
    lun->read_armed = false;
    if (lun->poll_then_read && cqe->res > 0) {
        bool more = true;
        while (more && awaiting(lun) > 0) {
            ssize_t n;
            ask_any(lun);
            do
                n = read(lun->fd, &lun->done, sizeof(lun->done));
            while (n < 0 && errno == EINTR);
            more = read_result(lun, n < 0 ? -errno : (int)n);
        }
    } else {
        read_result(lun, cqe->res);
    }
    finish_ready(lun, NULL);
    arm_read(lun, ring);
}

/* A command's write CQE. If that finishes it while the read is still
 * queued for nothing, the read is cancelled and the command answered from
 * the read's CQE instead: close() must not come with the read queued. */
static enum lun_step sg_complete(struct lun *l, struct lun_cmd *cmd,
                                 const struct io_uring_cqe *cqe, struct io_uring *ring)
{
    struct sg_lun *lun = sg_lun_of(l);
    struct sg_priv *p = priv_of(cmd);
    p->written = true;
    if (cqe->res != (int)sizeof(p->hdr) && !p->has_result) {
        /* sg did not take it (it takes a header whole or not at all). */
        sg_packid_release(&lun->ids, p->slot);
        lun_cmd_host_error(cmd, cqe->res < 0 ? sg_io_host_for_errno(-cqe->res)
                                             : XEN_VSCSIIF_RSLT_HOST_ERROR);
        p->has_result = true;
    }
    if (!p->has_result)
        return LUN_PENDING;   /* running: its completion comes by the read */
    if (lun->inflight == 1 && lun->read_armed) {
        struct io_uring_sqe *sqe = lun_get_sqe(ring);
        if (sqe) {
            io_uring_prep_cancel64(sqe, lun_user_data(&lun->base), 0);
            io_uring_sqe_set_data(sqe, NULL);
        }
        return LUN_PENDING;   /* finish_ready() from the read's CQE */
    }
    finish_ready(lun, cmd);
    return LUN_DONE;
}

static int sg_reset(struct lun *l)
{
    return sg_dev_reset(sg_lun_of(l)->fd);
}

const struct lun_ops lun_sg_ops = {
    .name = "sg",
    .claims = sg_claims,
    .open = sg_open,
    .close = sg_close,
    .start = sg_start,
    .complete = sg_complete,
    .reset = sg_reset,
    .event = sg_event,
};

/*
 * Command path: start() write()s the command's sg_io_hdr to the fd (sg
 * queues it and returns at once). While commands are in flight a poll of
 * the fd is queued on the worker's io_uring; when it fires, event() reads
 * back every completed command (one read() each, pack_id -1: whichever is
 * done) and reports it. sg copies data between our buffers and its kernel
 * pages only inside those write() and read() calls.
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
    unsigned inflight;
    bool poll_armed;                /* a POLL_ADD on fd is queued */
};

/* Per command, in lun_cmd.priv: the header sg reads and fills in place. */
struct sg_priv {
    struct sg_io_hdr hdr;
    int32_t pack_id;
    int8_t slot;                    /* in sg_lun.ids */
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
    free(lun);
}

/*
 * A command goes to sg with a write() of its header, made here, in the
 * worker: sg only queues it and returns (an io_uring write would be handed
 * to a kernel worker thread, sg files cannot be written without blocking
 * in io_uring's eyes). Completions are reaped when the fd polls readable,
 * each with one read() of "any completed command" (pack_id -1): no read
 * waits for one particular command, so a completion wakes one reader, not
 * one per command in flight.
 */

/* Keeps a poll for completions queued while commands are in flight. */
static void arm_poll(struct sg_lun *lun, struct io_uring *ring)
{
    if (lun->poll_armed || lun->inflight == 0)
        return;
    struct io_uring_sqe *sqe = lun_get_sqe(ring);
    if (!sqe)
        return;   /* retried at the next submission or completion */
    io_uring_prep_poll_add(sqe, lun->fd, POLLIN);
    io_uring_sqe_set_data64(sqe, lun_user_data(&lun->base));
    lun->poll_armed = true;
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
    if (sg_io_build(&p->hdr, cmd, id, lun->default_timeout_ms) < 0) {
        sg_packid_release(&lun->ids, slot);
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return LUN_DONE;
    }
    ssize_t n;
    do
        n = write(lun->fd, &p->hdr, sizeof(p->hdr));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        /* sg did not take the command. */
        sg_packid_release(&lun->ids, slot);
        lun_cmd_host_error(cmd, sg_io_host_for_errno(errno));
        return LUN_DONE;
    }
    if (n != (ssize_t)sizeof(p->hdr)) {
        /* sg takes a header whole or fails; keep the id reserved. */
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return LUN_DONE;
    }
    lun->cmds[slot] = cmd;
    lun->inflight++;
    arm_poll(lun, ring);
    return LUN_PENDING;
}

/* Reads one completed command back and reports it: 1; 0 when none is
 * ready; -1 when the device fails (a read error, end of file), which
 * leaves the fate of every command in flight unknown. */
static int reap_one(struct sg_lun *lun)
{
    struct sg_io_hdr h;
    memset(&h, 0, sizeof(h));
    h.interface_id = 'S';
    h.pack_id = -1;   /* any completed command */
    ssize_t n;
    do
        n = read(lun->fd, &h, sizeof(h));
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n <= 0) {
        log_err("sg read: %s", n < 0 ? strerror(errno) : "end of file");
        return -1;
    }
    /* The header is sg's copy of ours: pack_id and usr_ptr name the
     * command. Anything else is a bug, never guest data. */
    struct lun_cmd *cmd = NULL;
    int slot = -1;
    for (int i = 0; i < SG_PACKID_SLOTS && !cmd; i++)
        if (lun->cmds[i] && priv_of(lun->cmds[i])->pack_id == h.pack_id &&
            h.usr_ptr == lun->cmds[i]) {
            cmd = lun->cmds[i];
            slot = i;
        }
    if (n != (ssize_t)sizeof(h) || !cmd) {
        log_err("sg read: a completion of no command of ours (pack_id %d, %zd bytes)",
                h.pack_id, n);
        return 1;
    }
    lun->cmds[slot] = NULL;
    lun->inflight--;
    sg_packid_release(&lun->ids, priv_of(cmd)->slot);
    sg_io_map_result(&h, cmd);
    lun->base.finished(cmd);
    return 1;
}

/* The device failed under the commands in flight: each is answered with
 * host ERROR; their pack_ids stay reserved (sg may still hold them). */
static void fail_inflight(struct sg_lun *lun)
{
    for (int i = 0; i < SG_PACKID_SLOTS; i++) {
        struct lun_cmd *cmd = lun->cmds[i];
        if (!cmd)
            continue;
        lun->cmds[i] = NULL;
        lun->inflight--;
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
        lun->base.finished(cmd);
    }
}

static void sg_event(struct lun *l, const struct io_uring_cqe *cqe, struct io_uring *ring)
{
    struct sg_lun *lun = sg_lun_of(l);
    lun->poll_armed = false;
    int r = 0;
    if (cqe->res < 0 && cqe->res != -ECANCELED) {
        log_err("sg poll: %s", strerror(-cqe->res));
        r = -1;
    }
    while (r >= 0 && lun->inflight > 0 && (r = reap_one(lun)) > 0)
        ;
    if (r < 0)
        fail_inflight(lun);
    arm_poll(lun, ring);
}

/* Every command goes through sg_event; no per-command CQE exists. */
static enum lun_step sg_complete(struct lun *l, struct lun_cmd *cmd,
                                 const struct io_uring_cqe *cqe, struct io_uring *ring)
{
    (void)l;
    (void)cqe;
    (void)ring;
    lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
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

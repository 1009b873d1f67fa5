/*
 * Command path: start() writes the command's sg_io_hdr to the fd (sg queues
 * it and returns at once); on that CQE a read() of the same header is
 * queued, which sg completes, by pack_id, once the device has answered.
 * The fd is O_NONBLOCK, so io_uring waits for POLLIN rather than blocking a
 * worker thread; POLLIN means "some completion is ready", so a read woken
 * by another command's completion ends in -EAGAIN and is simply queued
 * again. sg copies data between our buffers and its kernel pages only
 * inside those write() and read() calls.
 */
#include "sg.h"

#include <errno.h>
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
};

enum sg_phase {
    SG_PHASE_WRITE = 1,             /* the header's write() is in flight */
    SG_PHASE_READ,                  /* the header's read() is in flight */
};

/* Per command, in lun_cmd.priv: the header sg reads and fills in place. */
struct sg_priv {
    struct sg_io_hdr hdr;
    int32_t pack_id;
    int8_t slot;                    /* in sg_lun.ids */
    uint8_t phase;                  /* enum sg_phase */
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

int sg_lun_create(int fd, uint32_t default_timeout_ms, struct lun **out)
{
    struct sg_lun *lun = calloc(1, sizeof(*lun));
    if (!lun)
        return -ENOMEM;
    lun->base.ops = &lun_sg_ops;
    lun->base.peripheral_type = -1;
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
    r = sg_lun_create(fd, timeout, out);
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

/* Queues the header's write() or read() on the fd. -EBUSY if no SQE. */
static int queue_hdr(struct sg_lun *lun, struct lun_cmd *cmd, struct io_uring *ring,
                     bool write)
{
    struct sg_priv *p = priv_of(cmd);
    struct io_uring_sqe *sqe = lun_get_sqe(ring);
    if (!sqe)
        return -EBUSY;
    /* Offset 0: sg is not seekable and ignores it. */
    if (write)
        io_uring_prep_write(sqe, lun->fd, &p->hdr, sizeof(p->hdr), 0);
    else
        io_uring_prep_read(sqe, lun->fd, &p->hdr, sizeof(p->hdr), 0);
    io_uring_sqe_set_data64(sqe, lun_cmd_user_data(cmd));
    return 0;
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
    p->phase = SG_PHASE_WRITE;
    if (queue_hdr(lun, cmd, ring, true) < 0) {
        sg_packid_release(&lun->ids, slot);
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_BUS_BUSY);
        return LUN_DONE;
    }
    return LUN_PENDING;
}

/* Queues (again) the read() that reaps the completion. */
static enum lun_step queue_read(struct sg_lun *lun, struct lun_cmd *cmd, struct io_uring *ring)
{
    priv_of(cmd)->phase = SG_PHASE_READ;
    if (queue_hdr(lun, cmd, ring, false) < 0) {
        /* sg holds the command but nothing will read it: our buffers are
         * safe (no read(), no copy), its pack_id stays reserved. */
        lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return LUN_DONE;
    }
    return LUN_PENDING;
}

static enum lun_step sg_complete(struct lun *l, struct lun_cmd *cmd,
                                 const struct io_uring_cqe *cqe, struct io_uring *ring)
{
    struct sg_lun *lun = sg_lun_of(l);
    struct sg_priv *p = priv_of(cmd);
    const int whole = (int)sizeof(p->hdr);

    switch (p->phase) {
    case SG_PHASE_WRITE:
        if (cqe->res < 0) {
            /* sg did not take the command. */
            sg_packid_release(&lun->ids, p->slot);
            lun_cmd_host_error(cmd, sg_io_host_for_errno(-cqe->res));
            return LUN_DONE;
        }
        if (cqe->res != whole) {
            /* sg takes a header whole or fails; keep the id reserved. */
            lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
            return LUN_DONE;
        }
        return queue_read(lun, cmd, ring);
    case SG_PHASE_READ:
        if (cqe->res == -EAGAIN)
            return queue_read(lun, cmd, ring);
        if (cqe->res != whole || p->hdr.pack_id != p->pack_id) {
            /* Fate in sg unknown: keep the id reserved. */
            lun_cmd_host_error(cmd, XEN_VSCSIIF_RSLT_HOST_ERROR);
            return LUN_DONE;
        }
        sg_packid_release(&lun->ids, p->slot);
        sg_io_map_result(&p->hdr, cmd);
        return LUN_DONE;
    }
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
};

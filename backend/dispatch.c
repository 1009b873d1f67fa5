#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "datapath.h"
#include "dispatch.h"
#include "iov_buf.h"
#include "log.h"
#include "report_luns.h"
#include "result.h"

static void respond(struct ring_state *rs, uint16_t rqid, int32_t rslt, const uint8_t *sense,
                    unsigned sense_len, uint32_t residual)
{
    if (rs->detaching && !rs->answer_on_detach)
        return;   /* the guest is gone: nobody reads the ring any more */
    struct vscsiif_response rsp;
    vscsi_response_fill(&rsp, rqid, rslt, sense, sense_len, residual);
    if (!vscsi_back_ring_put(&rs->ring, &rsp)) {
        /* Cannot happen: every slot answers one taken request. */
        log_err("%s: response for rqid %u without a request", rs->name, (unsigned)rqid);
        return;
    }
    rs->need_push = true;
}

static void slot_release(struct slot *s);

/* An ABORT/RESET whose commands have all finished. */
static void tmf_answer(struct slot *t)
{
    respond(t->rs, t->req.raw.rqid, t->tmf_rslt, NULL, 0, 0);
    slot_release(t);
}

static void slot_release(struct slot *s)
{
    struct ring_state *rs = s->rs;
    if (s->lun)
        s->lun->inflight--;
    s->lun = NULL;
    s->busy = false;
    s->killed_host = 0;
    RING_COUNTER_SUB(rs->inflight, 1);
    int w = s->waiting_abort;
    s->waiting_abort = -1;
    if (w >= 0 && --rs->slots[w].blocking == 0)
        tmf_answer(&rs->slots[w]);
}

/* Answers a request that never reached a handler (no data moved). */
static void answer_now(struct slot *s, uint8_t host)
{
    ring_stats_answered(&s->rs->stats, s->start_ns, host, 0, 0);
    respond(s->rs, s->req.raw.rqid, vscsi_rslt(host, 0), NULL, 0, s->req.data_len);
    slot_release(s);
}

/* A command the handler (or the emulation) finished. */
static void cmd_finish(struct slot *s)
{
    struct ring_state *rs = s->rs;
    struct lun_cmd *c = &s->cmd;
    uint32_t len = s->req.data_len;
    if (s->killed_host) {
        (void)datapath_finish(s, 0);
        ring_stats_answered(&rs->stats, s->start_ns, s->killed_host, 0, 0);
        respond(rs, s->req.raw.rqid, vscsi_rslt(s->killed_host, 0), NULL, 0, len);
    } else {
        /* A host-level failure (timeout, error, reset...) says nothing
         * about which bytes arrived: none are passed on. A CHECK CONDITION
         * keeps the device's residual (a tape's short block, ILI). */
        uint32_t residual = c->host != XEN_VSCSIIF_RSLT_HOST_OK ? len
                            : c->residual > len                ? len
                                                               : c->residual;
        if (datapath_finish(s, len - residual) < 0) {
            ring_stats_answered(&rs->stats, s->start_ns, XEN_VSCSIIF_RSLT_HOST_ERROR, 0, 0);
            respond(rs, s->req.raw.rqid, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_ERROR, 0), NULL, 0,
                    len);
        } else {
            ring_stats_answered(&rs->stats, s->start_ns, c->host, c->status, len - residual);
            unsigned sense_len = c->sense_len > sizeof(c->sense) ? sizeof(c->sense)
                                                                 : c->sense_len;
            respond(rs, s->req.raw.rqid, vscsi_rslt(c->host, c->status), c->sense, sense_len,
                    residual);
        }
    }
    slot_release(s);
}

static void emulate_report_luns(struct slot *s)
{
    struct ring_state *rs = s->rs;
    struct lun_cmd *c = &s->cmd;
    uint16_t luns[RING_MAX_LUNS];
    unsigned n = 0;
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        const struct lun_entry *e = rs->luns[i];
        if (!e->remove_waiter && e->vdev.channel == s->req.raw.channel &&
            e->vdev.target == s->req.raw.id)
            luns[n++] = (uint16_t)e->vdev.lun;
    }
    uint32_t alloc = report_luns_alloc_len(c->cdb);
    /* Data-out buffers may be mapped read-only: the answer only goes into
     * a buffer the guest offered for data-in. */
    if (c->data_len && c->dir != VSCSI_DIR_FROM_DEVICE && c->dir != VSCSI_DIR_BIDIRECTIONAL) {
        lun_cmd_check_condition(c, 0x05, 0x24, 0x00);
        return;
    }
    if (alloc < 16) {
        /* SPC: an allocation length under 16 is an invalid field. */
        lun_cmd_check_condition(c, 0x05, 0x24, 0x00);
        return;
    }
    uint8_t data[8 + 8 * RING_MAX_LUNS];
    size_t total = report_luns_build(data, sizeof(data), luns, n);
    uint32_t want = (uint32_t)total;
    if (want > alloc)
        want = alloc;
    if (want > c->data_len)
        want = c->data_len;
    lun_cmd_good(c, c->data_len - (uint32_t)iov_from_buf(c->iov, c->iov_cnt, data, want));
}

static bool target_has_luns(struct ring_state *rs, uint16_t channel, uint16_t target)
{
    for (unsigned i = 0; i < rs->nr_luns; i++) {
        const struct lun_entry *e = rs->luns[i];
        if (!e->remove_waiter && e->vdev.channel == channel && e->vdev.target == target)
            return true;
    }
    return false;
}

static void start_cdb(struct slot *s, struct io_uring *uring)
{
    struct ring_state *rs = s->rs;
    const struct vscsiif_request *raw = &s->req.raw;
    struct lun_entry *e = ring_state_find_lun(rs, raw->channel, raw->id, raw->lun);
    /* Emulated, except in whole-HBA mode where the device answers itself
     * (its LUNs are all the guest's, identity-mapped). */
    bool report_luns = raw->cmnd[0] == SCSI_OP_REPORT_LUNS && !(rs->feature_host && e) &&
                       target_has_luns(rs, raw->channel, raw->id);
    if (!e && !report_luns) {
        answer_now(s, XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
        return;
    }
    struct lun_cmd *c = &s->cmd;
    memcpy(c->cdb, raw->cmnd, sizeof(c->cdb));
    c->cdb_len = raw->cmd_len;
    c->dir = s->req.dir;
    /* timeout_per_command is in seconds (Linux: rq->timeout / HZ). */
    c->timeout_ms = (uint32_t)raw->timeout_per_command * 1000u;
    c->status = 0;
    c->host = XEN_VSCSIIF_RSLT_HOST_OK;
    c->sense_len = 0;
    c->residual = 0;
    if (datapath_prepare(s) < 0) {
        (void)datapath_finish(s, 0);
        answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return;
    }
    if (report_luns) {
        emulate_report_luns(s);
        cmd_finish(s);
        return;
    }
    s->lun = e;
    e->inflight++;
    if (e->lun->ops->start(e->lun, c, uring) == LUN_DONE)
        cmd_finish(s);
}

static struct slot *find_cmd(struct ring_state *rs, uint16_t rqid, const struct slot *not)
{
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++) {
        struct slot *s = &rs->slots[i];
        if (s != not && s->busy && s->req.act == VSCSIIF_ACT_SCSI_CDB && s->req.raw.rqid == rqid)
            return s;
    }
    return NULL;
}

/* ABORT of ref_rqid: as Linux's target core does, the answer comes once the
 * aborted command is over; the command itself is answered with host byte
 * ABORT just before. Unknown rqid: FAILED (TMR_TASK_DOES_NOT_EXIST). */
static void start_abort(struct slot *t)
{
    struct ring_state *rs = t->rs;
    struct slot *victim = find_cmd(rs, t->req.raw.ref_rqid, t);
    if (!victim || victim->waiting_abort >= 0 || victim->lun == NULL) {
        respond(rs, t->req.raw.rqid, XEN_VSCSIIF_RSLT_RESET_FAILED, NULL, 0, 0);
        slot_release(t);
        return;
    }
    victim->killed_host = XEN_VSCSIIF_RSLT_HOST_ABORT;
    victim->waiting_abort = (int)(t - rs->slots);
    t->blocking = 1;
    t->tmf_rslt = XEN_VSCSIIF_RSLT_RESET_SUCCESS;
}

/* RESET: a LUN reset of channel/id/lun. Commands in flight on it are
 * answered with host byte RESET; the reset is answered after them. */
static void start_reset(struct slot *t)
{
    struct ring_state *rs = t->rs;
    const struct vscsiif_request *raw = &t->req.raw;
    struct lun_entry *e = ring_state_find_lun(rs, raw->channel, raw->id, raw->lun);
    int32_t rslt = XEN_VSCSIIF_RSLT_RESET_FAILED;
    if (e) {
        int r = e->lun->ops->reset ? e->lun->ops->reset(e->lun) : 0;
        if (r == 0)
            rslt = XEN_VSCSIIF_RSLT_RESET_SUCCESS;
        else
            log_warn("%s: reset of %u:%u:%u failed: %s", rs->name, (unsigned)raw->channel,
                     (unsigned)raw->id, (unsigned)raw->lun, strerror(-r));
    }
    t->tmf_rslt = rslt;
    t->blocking = 0;
    for (unsigned i = 0; e && i < VSCSI_RING_SIZE; i++) {
        struct slot *s = &rs->slots[i];
        if (s != t && s->busy && s->lun == e && s->waiting_abort < 0) {
            s->killed_host = XEN_VSCSIIF_RSLT_HOST_RESET;
            s->waiting_abort = (int)(t - rs->slots);
            t->blocking++;
        }
    }
    if (t->blocking == 0)
        tmf_answer(t);
}

static void start_request(struct slot *s, struct io_uring *uring)
{
    struct ring_state *rs = s->rs;
    struct vscsi_request *r = &s->req;
    RING_COUNTER_ADD(rs->stats.requests, 1);
    s->start_ns = ring_stats_clock_ns();
    s->segs = r->raw.seg;
    s->lun = NULL;
    s->killed_host = 0;
    s->waiting_abort = -1;
    enum vscsi_reject rj = vscsi_request_check(r, &rs->limits);
    if (rj == VSCSI_REQ_OK && r->indirect && r->act == VSCSIIF_ACT_SCSI_CDB) {
        if (datapath_fetch_indirect(s) < 0) {
            answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
            return;
        }
        rj = vscsi_request_check_indirect(r, s->indirect, r->nr_segs);
    }
    if (rj != VSCSI_REQ_OK) {
        log_debug("%s: rqid %u rejected: %s", rs->name, (unsigned)r->raw.rqid,
                  vscsi_reject_name(rj));
        answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return;
    }
    switch (r->act) {
    case VSCSIIF_ACT_SCSI_ABORT:
        start_abort(s);
        break;
    case VSCSIIF_ACT_SCSI_RESET:
        start_reset(s);
        break;
    default:
        start_cdb(s, uring);
        break;
    }
}

static struct slot *free_slot(struct ring_state *rs)
{
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++)
        if (!rs->slots[i].busy)
            return &rs->slots[i];
    return NULL;
}

void dispatch_ring(struct ring_state *rs, struct io_uring *uring)
{
    if (rs->halted || rs->detaching)
        return;
    do {
        int n = vscsi_back_ring_available(&rs->ring);
        if (n < 0) {
            /* As the kernel backend: a frontend that claims more requests
             * than the ring holds is not served any more. */
            log_err("%s: frontend overflowed the ring; ring halted", rs->name);
            rs->halted = true;
            return;
        }
        for (int i = 0; i < n; i++) {
            /* available() counts only requests that fit beside the ones
             * we still hold, so a free slot always exists. */
            struct slot *s = free_slot(rs);
            if (!s) {
                log_err("%s: no free slot (bug)", rs->name);
                rs->halted = true;
                return;
            }
            vscsi_back_ring_take(&rs->ring, &s->req.raw);
            s->busy = true;
            RING_COUNTER_ADD(rs->inflight, 1);
            start_request(s, uring);
        }
    } while (vscsi_back_ring_final_check(&rs->ring));
}

void dispatch_cmd_cqe(struct lun_cmd *cmd, const struct io_uring_cqe *cqe,
                      struct io_uring *uring)
{
    struct slot *s = (struct slot *)((char *)cmd - offsetof(struct slot, cmd));
    struct lun_entry *e = s->lun;
    if (e->lun->ops->complete(e->lun, cmd, cqe, uring) == LUN_DONE)
        cmd_finish(s);
}

void dispatch_flush(struct ring_state *rs)
{
    if (!rs->need_push)
        return;
    rs->need_push = false;
    if (vscsi_back_ring_push(&rs->ring) && xenevtchn_notify(rs->evtchn, rs->port) < 0)
        log_warn("%s: notify: %s", rs->name, strerror(errno));
}

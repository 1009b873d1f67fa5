#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "datapath.h"
#include "dispatch.h"
#include "iov_buf.h"
#include "log.h"
#include "policy_hooks.h"
#include "report_luns.h"
#include "result.h"
#include "tmf.h"

static unsigned slot_index(const struct slot *s)
{
    return (unsigned)(s - s->rs->slots);
}

/* Writes the slot's response into the ring (published by dispatch_flush). */
static void respond(struct slot *s, int32_t rslt, const uint8_t *sense, unsigned sense_len,
                    uint32_t residual)
{
    struct ring_state *rs = s->rs;
    if (rs->detaching && !rs->answer_on_detach)
        return;   /* the guest is gone: nobody reads the ring any more */
    struct vscsiif_response rsp;
    vscsi_response_fill(&rsp, s->req.raw.rqid, rslt, sense, sense_len, residual);
    if (!vscsi_back_ring_put(&rs->ring, &rsp)) {
        /* Cannot happen: every slot answers one taken request. */
        log_err("%s: response for rqid %u without a request", rs->name,
                (unsigned)s->req.raw.rqid);
        return;
    }
    journal_answered(rs->journal, slot_index(s));
    rs->need_push = true;
}

/* Frees the slot; an ABORT/RESET that was waiting for this command alone
 * is answered now. */
static void slot_release(struct slot *s)
{
    struct ring_state *rs = s->rs;
    if (s->lun)
        s->lun->inflight--;
    s->lun = NULL;
    s->launched = false;
    s->busy = false;
    RING_COUNTER_SUB(rs->inflight, 1);
    struct slot *t = tmf_finished(rs, s);
    if (t) {
        respond(t, t->tmf.answer, NULL, 0, 0);
        slot_release(t);
    }
}

/* Answers a request that never reached a handler (no data moved). */
static void answer_now(struct slot *s, uint8_t host)
{
    ring_stats_answered(&s->rs->stats, s->start_ns, host, 0, 0);
    respond(s, vscsi_rslt(host, 0), NULL, 0, s->req.data_len);
    slot_release(s);
}

/* The answer of a command whose data is back with the guest (copied: the
 * copy of it succeeded, or there was none). */
static void cmd_answer(struct slot *s, bool copied)
{
    struct ring_state *rs = s->rs;
    struct lun_cmd *c = &s->cmd;
    uint32_t len = s->req.data_len;
    if (s->tmf.end_host) {
        /* Ended by an ABORT/RESET while its data went back: answered as
         * ended, like every command an ABORT/RESET ends (tmf.h). */
        ring_stats_answered(&rs->stats, s->start_ns, s->tmf.end_host, 0, 0);
        respond(s, vscsi_rslt(s->tmf.end_host, 0), NULL, 0, len);
    } else if (!copied) {
        ring_stats_answered(&rs->stats, s->start_ns, XEN_VSCSIIF_RSLT_HOST_ERROR, 0, 0);
        respond(s, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_ERROR, 0), NULL, 0, len);
    } else {
        uint32_t residual = s->answer_residual;
        ring_stats_answered(&rs->stats, s->start_ns, c->host, c->status, len - residual);
        unsigned sense_len = c->sense_len > sizeof(c->sense) ? sizeof(c->sense) : c->sense_len;
        respond(s, vscsi_rslt(c->host, c->status), c->sense, sense_len, residual);
    }
    slot_release(s);
}

/* A command the handler (or the emulation) finished. Data it produced is
 * queued to go back to the guest with the others of this loop turn; its
 * answer follows that copy (dispatch_flush). */
static void cmd_finish(struct slot *s)
{
    struct ring_state *rs = s->rs;
    struct lun_cmd *c = &s->cmd;
    uint32_t len = s->req.data_len;
    if (s->tmf.end_host) {
        (void)datapath_finish(s, 0);
        ring_stats_answered(&rs->stats, s->start_ns, s->tmf.end_host, 0, 0);
        respond(s, vscsi_rslt(s->tmf.end_host, 0), NULL, 0, len);
        slot_release(s);
        return;
    }
    lun_policy_answer(s->lun ? s->lun->lun : NULL, c);   /* policy/policy_hooks.h */
    /* A host-level failure (timeout, error, reset...) says nothing about
     * which bytes arrived: none are passed on. A CHECK CONDITION keeps the
     * device's residual (a tape's short block, ILI). */
    s->answer_residual = c->host != XEN_VSCSIIF_RSLT_HOST_OK ? len
                         : c->residual > len                ? len
                                                            : c->residual;
    bool gone = rs->detaching && !rs->answer_on_detach;
    if (datapath_finish(s, gone ? 0 : len - s->answer_residual)) {
        rs->finishing[rs->nr_finishing++] = s;
        return;
    }
    cmd_answer(s, true);
}

/* Where a CDB goes: its LUN's handler (s->lun), the REPORT LUNS emulation
 * (s->emulated), or nowhere (answered NO_CONNECT here: false). Sets up
 * s->cmd's inputs. */
static bool route_cdb(struct slot *s)
{
    struct ring_state *rs = s->rs;
    const struct vscsiif_request *raw = &s->req.raw;
    struct lun_entry *e = ring_state_find_lun(rs, raw->channel, raw->id, raw->lun);
    /* Emulated, except in whole-HBA mode where the device answers itself
     * (its LUNs are all the guest's, identity-mapped). */
    s->emulated = raw->cmnd[0] == SCSI_OP_REPORT_LUNS && !(rs->feature_host && e) &&
                  report_luns_target_exists(rs, raw->channel, raw->id);
    if (!e && !s->emulated) {
        answer_now(s, XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
        return false;
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
    if (!s->emulated && lun_policy_refused(e->lun, c, s->req.data_len, &rs->stats.denied)) {
        cmd_finish(s);   /* refused by the LUN's policy (policy/policy_hooks.h) */
        return false;
    }
    if (!s->emulated) {
        s->lun = e;
        e->inflight++;
    }
    return true;
}

/* A routed CDB whose data is in place: to its handler or the emulation. */
static void launch_cdb(struct slot *s, struct io_uring *uring)
{
    struct ring_state *rs = s->rs;
    if (s->emulated) {
        report_luns_emulate(rs, s->req.raw.channel, s->req.raw.id, &s->cmd);
        cmd_finish(s);
        return;
    }
    struct lun *lun = s->lun->lun;
    qos_charge(&rs->qos, s->req.data_len);
    journal_started(rs->journal, slot_index(s));
    s->launched = true;
    if (lun->ops->start(lun, &s->cmd, uring) == LUN_DONE)
        cmd_finish(s);
}

/* ABORT/RESET (tmf.c): answered now, or once the commands they end have
 * finished (slot_release). */
static void start_tmf(struct slot *t)
{
    struct ring_state *rs = t->rs;
    bool now;
    if (t->req.act == VSCSIIF_ACT_SCSI_ABORT) {
        now = tmf_abort(rs, t);
    } else {
        const struct vscsiif_request *raw = &t->req.raw;
        struct lun_entry *e = ring_state_find_lun(rs, raw->channel, raw->id, raw->lun);
        journal_started(rs->journal, slot_index(t));
        int r = e && e->lun->ops->reset ? e->lun->ops->reset(e->lun) : 0;
        if (r < 0)
            log_warn("%s: reset of %u:%u:%u failed: %s", rs->name, (unsigned)raw->channel,
                     (unsigned)raw->id, (unsigned)raw->lun, strerror(-r));
        now = tmf_reset(rs, t, e, r);
    }
    if (now) {
        respond(t, t->tmf.answer, NULL, 0, 0);
        slot_release(t);
    }
}

/* Checks a taken request (its copy). false when it was answered here. */
static bool intake(struct slot *s)
{
    struct ring_state *rs = s->rs;
    struct vscsi_request *r = &s->req;
    RING_COUNTER_ADD(rs->stats.requests, 1);
    s->start_ns = ring_stats_clock_ns();
    s->data.segs = r->raw.seg;
    s->data.copy_count = 0;
    s->lun = NULL;
    s->emulated = false;
    s->launched = false;
    s->tmf = (struct slot_tmf){.ended_by = -1};
    enum vscsi_reject rj = vscsi_request_check(r, &rs->limits);
    if (rj != VSCSI_REQ_OK) {
        log_debug("%s: rqid %u rejected: %s", rs->name, (unsigned)r->raw.rqid,
                  vscsi_reject_name(rj));
        answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
        return false;
    }
    return true;
}

static bool is_cdb(const struct slot *s)
{
    return s->req.act == VSCSIIF_ACT_SCSI_CDB;
}

/* Starts the n requests of list (slots taken, busy), in ring order, with
 * at most two grant copy calls for all of them: the indirect segment lists
 * first, then the data the devices will read. Entries answered on the way
 * (rejected, NO_CONNECT, a failed copy) drop out of list. */
static void start_requests(struct ring_state *rs, struct slot **list, unsigned n,
                           struct io_uring *uring)
{
    for (unsigned i = 0; i < n; i++) {
        struct slot *s = list[i];
        if (!intake(s))
            list[i] = NULL;
        else if (is_cdb(s) && s->req.indirect)
            datapath_queue_indirect(s);
    }
    datapath_run_in(rs);
    for (unsigned i = 0; i < n; i++) {
        struct slot *s = list[i];
        if (!s || !is_cdb(s))
            continue;
        enum vscsi_reject rj = VSCSI_REQ_OK;
        if (s->req.indirect) {
            if (!datapath_copied(s, &rs->copy_in)) {
                answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
                list[i] = NULL;
                continue;
            }
            datapath_use_indirect(s);
            rj = vscsi_request_check_indirect(&s->req, s->data.indirect, s->req.nr_segs);
        }
        if (rj != VSCSI_REQ_OK) {
            log_debug("%s: rqid %u rejected: %s", rs->name, (unsigned)s->req.raw.rqid,
                      vscsi_reject_name(rj));
            answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
            list[i] = NULL;
        } else if (!route_cdb(s)) {
            list[i] = NULL;
        } else if (s->lun && !lun_cmd_repeatable(s->lun->lun, s->cmd.cdb) &&
                   datapath_check_destination(s) < 0) {
            /* Not run: its data could not have been delivered. */
            answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
            list[i] = NULL;
        } else if (datapath_prepare(s) < 0) {
            (void)datapath_finish(s, 0);
            answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
            list[i] = NULL;
        }
    }
    datapath_run_in(rs);
    /* In ring order: an ABORT or RESET sees the commands before it started. */
    for (unsigned i = 0; i < n; i++) {
        struct slot *s = list[i];
        if (!s)
            continue;
        if (!is_cdb(s)) {
            start_tmf(s);
        } else if (s->data.copy_count && !datapath_copied(s, &rs->copy_in)) {
            (void)datapath_finish(s, 0);
            answer_now(s, XEN_VSCSIIF_RSLT_HOST_ERROR);
        } else {
            launch_cdb(s, uring);
        }
    }
}

static struct slot *free_slot(struct ring_state *rs)
{
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++)
        if (!rs->slots[i].busy)
            return &rs->slots[i];
    return NULL;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void dispatch_ring(struct ring_state *rs, struct io_uring *uring)
{
    if (rs->halted || rs->detaching)
        return;
    bool throttled = false;
    do {
        int n = vscsi_back_ring_available(&rs->ring);
        if (n < 0) {
            /* As the kernel backend: a frontend that claims more requests
             * than the ring holds is not served any more. */
            log_err("%s: frontend overflowed the ring; ring halted", rs->name);
            rs->halted = true;
            return;
        }
        if (rs->qos.on && n > 0) {
            /* Over its limits: the rest waits in the ring (qos.wake_ns). */
            unsigned m = qos_admit(&rs->qos, (unsigned)n, now_ns());
            throttled = m < (unsigned)n;
            n = (int)m;
        }
        struct slot *taken[VSCSI_RING_SIZE];
        for (int i = 0; i < n; i++) {
            /* available() counts only requests that fit beside the ones
             * we still hold, so a free slot always exists. */
            struct slot *s = free_slot(rs);
            if (!s) {
                log_err("%s: no free slot (bug)", rs->name);
                rs->halted = true;
                return;
            }
            RING_IDX idx = vscsi_back_ring_take(&rs->ring, &s->req.raw);
            s->busy = true;
            RING_COUNTER_ADD(rs->inflight, 1);
            journal_take(rs->journal, slot_index(s), idx, &s->req.raw);
            taken[i] = s;
        }
        start_requests(rs, taken, (unsigned)n, uring);
    } while (!throttled && vscsi_back_ring_final_check(&rs->ring));
}

/* A command that may have run before a restart and may not run twice: the
 * guest is told it failed, with sense its drivers report as an error and
 * never retry (Linux's midlayer does not retry a CHECK CONDITION of a
 * passthrough request; sd, st and ch return EIO). A tape gets UNIT
 * ATTENTION, I_T NEXUS LOSS OCCURRED, which is what happened and makes
 * Linux's st (6.12 on) refuse I/O until the application repositions; any
 * other device HARDWARE ERROR, INTERNAL TARGET FAILURE (ch re-issues a
 * command that got a UNIT ATTENTION). */
static void answer_lost(struct slot *s, const struct lun_entry *e)
{
    bool tape = e && e->lun->peripheral_type == 0x01;
    uint8_t sense[18] = {0x70, 0, 0, 0, 0, 0, 0, 10};
    sense[2] = tape ? 0x06 : 0x04;     /* UNIT ATTENTION : HARDWARE ERROR */
    sense[12] = tape ? 0x29 : 0x44;
    sense[13] = tape ? 0x07 : 0x00;
    ring_stats_answered(&s->rs->stats, s->start_ns, XEN_VSCSIIF_RSLT_HOST_OK,
                        VSCSI_STATUS_CHECK_CONDITION, 0);
    respond(s, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_OK, VSCSI_STATUS_CHECK_CONDITION), sense,
            sizeof(sense), s->req.data_len);
    slot_release(s);
}

/* "12 (0a 00 00 00 10 00) on 0:0:0:0" for the log. */
static void describe(const struct slot *s, char *out, size_t len)
{
    const struct vscsiif_request *raw = &s->req.raw;
    int n = snprintf(out, len, "rqid %u (", (unsigned)raw->rqid);
    unsigned cdb_len = raw->cmd_len <= VSCSIIF_MAX_COMMAND_SIZE ? raw->cmd_len : 0;
    for (unsigned i = 0; i < cdb_len && n > 0 && (size_t)n < len; i++)
        n += snprintf(out + n, len - (size_t)n, "%s%02x", i ? " " : "", raw->cmnd[i]);
    if (n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, ") on %u:%u:%u", (unsigned)raw->channel,
                 (unsigned)raw->id, (unsigned)raw->lun);
}

void dispatch_restarted(struct ring_state *rs, struct io_uring *uring)
{
    struct slot *run[VSCSI_RING_SIZE];
    unsigned nr_run = 0;
    for (unsigned i = 0; i < VSCSI_RING_SIZE && rs->nr_restarted; i++) {
        struct slot *s = &rs->slots[i];
        if (!s->restarted)
            continue;
        s->restarted = false;
        rs->nr_restarted--;
        s->start_ns = ring_stats_clock_ns();
        s->lun = NULL;
        s->tmf = (struct slot_tmf){.ended_by = -1};
        if (!s->may_have_run) {
            run[nr_run++] = s;   /* it never reached a device */
            continue;
        }
        char what[96];
        describe(s, what, sizeof(what));
        const struct vscsiif_request *raw = &s->req.raw;
        struct lun_entry *e = ring_state_find_lun(rs, raw->channel, raw->id, raw->lun);
        if (raw->act == VSCSIIF_ACT_SCSI_CDB && e && lun_cmd_repeatable(e->lun, raw->cmnd)) {
            log_info("%s: %s may have run before the restart: run again (harmless here)",
                     rs->name, what);
            run[nr_run++] = s;
        } else if (raw->act == VSCSIIF_ACT_SCSI_CDB) {
            log_warn("%s: %s may have run before the restart and may not run twice: "
                     "answered as failed (lost), not run again", rs->name, what);
            answer_lost(s, e);
        } else {
            log_warn("%s: ABORT/RESET rqid %u was under way at the restart: answered FAILED",
                     rs->name, (unsigned)raw->rqid);
            respond(s, XEN_VSCSIIF_RSLT_RESET_FAILED, NULL, 0, 0);
            slot_release(s);
        }
    }
    start_requests(rs, run, nr_run, uring);
}

void dispatch_cmd_finished(struct lun_cmd *cmd)
{
    cmd_finish((struct slot *)((char *)cmd - offsetof(struct slot, cmd)));
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
    if (rs->nr_finishing) {
        /* The data of every command finished this turn, in one call. */
        datapath_run_out(rs);
        unsigned n = rs->nr_finishing;
        rs->nr_finishing = 0;
        for (unsigned i = 0; i < n; i++)
            cmd_answer(rs->finishing[i], datapath_copied(rs->finishing[i], &rs->copy_out));
    }
    if (!rs->need_push)
        return;
    rs->need_push = false;
    if (vscsi_back_ring_push(&rs->ring) && xenevtchn_notify(rs->evtchn, rs->port) < 0)
        log_warn("%s: notify: %s", rs->name, strerror(errno));
}

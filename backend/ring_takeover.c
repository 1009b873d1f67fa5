#include "ring_takeover.h"

#include <errno.h>
#include <string.h>

#include "log.h"

static const char *journal_problem(int r)
{
    switch (r) {
    case -ENOENT:
        return "no journal";
    case -ESTALE:
        return "the journal is of another ring";
    case -EINVAL:
        return "the journal does not fit the shared ring";
    default:
        return strerror(-r);
    }
}

/* How the ring continues: fresh, from the journal, or from the shared ring
 * alone; rec is filled. Returns false when the ring cannot be served (its
 * indexes are impossible: the frontend broke it). */
static bool decide(struct ring_state *rs, const struct ring_origin *o,
                   const struct journal_identity *id, struct journal_recovery *rec)
{
    uint32_t req_prod = __atomic_load_n(&rs->sring->req_prod, __ATOMIC_ACQUIRE);
    uint32_t rsp_prod = __atomic_load_n(&rs->sring->rsp_prod, __ATOMIC_ACQUIRE);
    if (!o->resume) {
        *rec = (struct journal_recovery){.req_cons = rsp_prod, .rsp_prod_pvt = rsp_prod};
        return true;
    }
    int r = rs->journal ? ring_journal_recover(rs->journal, id, req_prod, rsp_prod, rec)
                        : -ENOENT;
    if (r == 0) {
        log_info("%s: resumed from its journal: %u response%s published, %u request%s in "
                 "flight taken over", rs->name, rec->rsp_prod_pvt - rsp_prod,
                 rec->rsp_prod_pvt - rsp_prod == 1 ? "" : "s", rec->nr_pending,
                 rec->nr_pending == 1 ? "" : "s");
        return true;
    }
    log_warn("%s: resuming a ring another pvscsid served, %s: going by the shared ring alone",
             rs->name, journal_problem(r));
    if (ring_recover_from_ring(rs->sring, req_prod, rsp_prod, rec) < 0) {
        log_err("%s: the frontend's indexes (req_prod %u, rsp_prod %u) are impossible; "
                "ring halted", rs->name, req_prod, rsp_prod);
        return false;
    }
    log_warn("%s: %u unpublished response%s published; %u unanswered request%s treated as "
             "possibly run; %u taken request%s cannot be identified (the guest will abort "
             "them)", rs->name, rec->rsp_prod_pvt - rsp_prod,
             rec->rsp_prod_pvt - rsp_prod == 1 ? "" : "s", rec->nr_pending,
             rec->nr_pending == 1 ? "" : "s", rec->nr_unknown, rec->nr_unknown == 1 ? "" : "s");
    return true;
}

int ring_takeover(struct ring_state *rs, const struct ring_origin *o)
{
    struct journal_identity id = {.domid = rs->domid, .devid = rs->devid,
                                  .ring_ref = o->ring_ref, .remote_port = o->remote_port,
                                  .max_segments = rs->limits.max_segments};
    memcpy(id.vm, o->vm, sizeof(id.vm));
    id.vm[sizeof(id.vm) - 1] = '\0';
    const char *dir = rs->cfg->state_dir;
    if (dir && dir[0] && !rs->journal) {
        rs->journal = ring_journal_map(dir, rs->domid, rs->devid);
        if (!rs->journal)
            log_warn("%s: no ring journal in %s (%s): a restart cannot resume this ring "
                     "exactly", rs->name, dir, strerror(errno));
    }
    struct journal_recovery rec;
    if (!decide(rs, o, &id, &rec)) {
        rs->halted = true;
        vscsi_back_ring_init(&rs->ring, rs->sring);
        return 0;
    }
    if (vscsi_back_ring_resume(&rs->ring, rs->sring, rec.req_cons, rec.rsp_prod_pvt) < 0) {
        /* decide() checked the indexes; the guest moved them since. */
        log_err("%s: the frontend moved its indexes while the ring was taken over; ring halted",
                rs->name);
        rs->halted = true;
        vscsi_back_ring_init(&rs->ring, rs->sring);
        return 0;
    }
    for (unsigned i = 0; i < rec.nr_pending; i++) {
        const struct journal_pending *p = &rec.pending[i];
        struct slot *s = &rs->slots[p->slot];
        s->busy = true;
        s->req.raw = p->req;
        s->restarted = true;
        s->may_have_run = p->started;
        RING_COUNTER_ADD(rs->inflight, 1);
    }
    rs->nr_restarted = rec.nr_pending;
    if (rs->journal)
        ring_journal_reset(rs->journal, &id, &rec);
    /* What the previous process wrote and did not publish is the guest's
     * now; the worker's first flush notifies. */
    if (rec.rsp_prod_pvt != __atomic_load_n(&rs->sring->rsp_prod, __ATOMIC_RELAXED))
        rs->need_push = true;
    return 0;
}

#include "tmf.h"

#include "result.h"

static struct slot *find_cmd(struct ring_state *rs, uint16_t rqid, const struct slot *not)
{
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++) {
        struct slot *s = &rs->slots[i];
        if (s != not && s->launched && s->req.raw.rqid == rqid)
            return s;
    }
    return NULL;
}

/* Command s is ended by the ABORT/RESET in slot t: answered with host byte
 * `host`, t after it. */
static void end_by(struct ring_state *rs, struct slot *s, struct slot *t, uint8_t host)
{
    s->tmf.end_host = host;
    s->tmf.ended_by = (int)(t - rs->slots);
    t->tmf.waiting_for++;
}

bool tmf_abort(struct ring_state *rs, struct slot *t)
{
    struct slot *victim = find_cmd(rs, t->req.raw.ref_rqid, t);
    t->tmf.waiting_for = 0;
    if (!victim || victim->tmf.ended_by >= 0 || victim->lun == NULL) {
        t->tmf.answer = XEN_VSCSIIF_RSLT_RESET_FAILED;
        return true;
    }
    t->tmf.answer = XEN_VSCSIIF_RSLT_RESET_SUCCESS;
    end_by(rs, victim, t, XEN_VSCSIIF_RSLT_HOST_ABORT);
    return false;
}

bool tmf_reset(struct ring_state *rs, struct slot *t, struct lun_entry *e, int reset_result)
{
    t->tmf.answer = e && reset_result == 0 ? XEN_VSCSIIF_RSLT_RESET_SUCCESS
                                           : XEN_VSCSIIF_RSLT_RESET_FAILED;
    t->tmf.waiting_for = 0;
    for (unsigned i = 0; e && i < VSCSI_RING_SIZE; i++) {
        struct slot *s = &rs->slots[i];
        if (s == t || !s->launched || s->lun != e)
            continue;
        if (s->tmf.ended_by < 0) {
            end_by(rs, s, t, XEN_VSCSIIF_RSLT_HOST_RESET);
        } else {
            /* Already ended by an ABORT: the reset is over once that
             * ABORT is (it is answered after the command), so the guest
             * never has the reset answered while the command still runs. */
            struct slot *a = &rs->slots[s->tmf.ended_by];
            if (a->tmf.ended_by < 0) {
                a->tmf.ended_by = (int)(t - rs->slots);
                t->tmf.waiting_for++;
            }
        }
    }
    return t->tmf.waiting_for == 0;
}

struct slot *tmf_finished(struct ring_state *rs, struct slot *s)
{
    int w = s->tmf.ended_by;
    s->tmf.ended_by = -1;
    s->tmf.end_host = 0;
    if (w < 0)
        return NULL;
    struct slot *t = &rs->slots[w];
    return --t->tmf.waiting_for == 0 ? t : NULL;
}

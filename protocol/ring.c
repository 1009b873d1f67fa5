#include "ring.h"

#include <errno.h>

/* Shared indexes are written by the other domain at any time. */
#define LOAD_ACQ(p)    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p)    __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* True when an event is needed: the other end's event index lies in the
 * range of entries just published (old, new]. */
static bool event_crossed(RING_IDX new_idx, RING_IDX old_idx, RING_IDX event)
{
    return (RING_IDX)(new_idx - event) < (RING_IDX)(new_idx - old_idx);
}

/* ---- back end ------------------------------------------------------------ */

void vscsi_back_ring_init(struct vscsi_back_ring *br, struct vscsiif_sring *sring)
{
    BACK_RING_INIT(&br->r, sring, VSCSIIF_PAGE_SIZE);
    br->broken = false;
}

int vscsi_back_ring_resume(struct vscsi_back_ring *br, struct vscsiif_sring *sring,
                           RING_IDX req_cons, RING_IDX rsp_prod_pvt)
{
    RING_IDX req_prod = LOAD_ACQ(&sring->req_prod);
    RING_IDX rsp_prod = LOAD_ACQ(&sring->rsp_prod);
    RING_IDX size = __CONST_RING_SIZE(vscsiif, VSCSIIF_PAGE_SIZE);
    /* Distances along the ring, each at most one ring's worth. */
    RING_IDX published = rsp_prod_pvt - rsp_prod;   /* written, not yet published */
    RING_IDX unanswered = req_cons - rsp_prod_pvt;   /* taken, not yet answered */
    RING_IDX queued = req_prod - req_cons;           /* not yet taken */
    if (published > size || unanswered > size || queued > size ||
        (RING_IDX)(req_prod - rsp_prod) > size)
        return -EINVAL;
    BACK_RING_ATTACH(&br->r, sring, rsp_prod, VSCSIIF_PAGE_SIZE);
    br->r.rsp_prod_pvt = rsp_prod_pvt;
    br->r.req_cons = req_cons;
    br->broken = false;
    return 0;
}

int vscsi_back_ring_available(struct vscsi_back_ring *br)
{
    if (br->broken)
        return -1;

    RING_IDX prod = LOAD_ACQ(&br->r.sring->req_prod);
    RING_IDX size = RING_SIZE(&br->r);
    /* Slots not yet answered may hold at most `size` requests in total;
     * a producer index behind our consumer index is just as impossible. */
    if ((RING_IDX)(prod - br->r.rsp_prod_pvt) > size ||
        (RING_IDX)(prod - br->r.req_cons) > size) {
        br->broken = true;
        return -1;
    }
    RING_IDX ready = prod - br->r.req_cons;
    RING_IDX room = size - (br->r.req_cons - br->r.rsp_prod_pvt);
    return (int)(ready < room ? ready : room);
}

RING_IDX vscsi_back_ring_take(struct vscsi_back_ring *br, struct vscsiif_request *out)
{
    const volatile struct vscsiif_request *slot = RING_GET_REQUEST(&br->r, br->r.req_cons);

    *out = *slot;   /* the one read of this request's bytes */
    return br->r.req_cons++;
}

unsigned vscsi_back_ring_unanswered(const struct vscsi_back_ring *br)
{
    return br->r.req_cons - br->r.rsp_prod_pvt;
}

bool vscsi_back_ring_put(struct vscsi_back_ring *br, const struct vscsiif_response *rsp)
{
    if (vscsi_back_ring_unanswered(br) == 0)
        return false;
    volatile struct vscsiif_response *slot = RING_GET_RESPONSE(&br->r, br->r.rsp_prod_pvt);
    *slot = *rsp;
    br->r.rsp_prod_pvt++;
    return true;
}

bool vscsi_back_ring_push(struct vscsi_back_ring *br)
{
    struct vscsiif_sring *s = br->r.sring;
    RING_IDX old_idx = LOAD_RLX(&s->rsp_prod);
    RING_IDX new_idx = br->r.rsp_prod_pvt;

    if (old_idx == new_idx)
        return false;
    STORE_REL(&s->rsp_prod, new_idx);          /* responses before the index */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  /* index before reading rsp_event */
    return event_crossed(new_idx, old_idx, LOAD_RLX(&s->rsp_event));
}

bool vscsi_back_ring_final_check(struct vscsi_back_ring *br)
{
    int n = vscsi_back_ring_available(br);
    if (n != 0)
        return n > 0;
    STORE_RLX(&br->r.sring->req_event, br->r.req_cons + 1);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  /* req_event before re-reading req_prod */
    return vscsi_back_ring_available(br) > 0;
}

/* ---- front end ----------------------------------------------------------- */

void vscsi_front_ring_init(struct vscsi_front_ring *fr, struct vscsiif_sring *sring)
{
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&fr->r, sring, VSCSIIF_PAGE_SIZE);
    fr->broken = false;
}

unsigned vscsi_front_ring_free(const struct vscsi_front_ring *fr)
{
    return RING_SIZE(&fr->r) - (fr->r.req_prod_pvt - fr->r.rsp_cons);
}

bool vscsi_front_ring_put(struct vscsi_front_ring *fr, const struct vscsiif_request *req)
{
    if (vscsi_front_ring_free(fr) == 0)
        return false;
    volatile struct vscsiif_request *slot = RING_GET_REQUEST(&fr->r, fr->r.req_prod_pvt);
    *slot = *req;
    fr->r.req_prod_pvt++;
    return true;
}

bool vscsi_front_ring_push(struct vscsi_front_ring *fr)
{
    struct vscsiif_sring *s = fr->r.sring;
    RING_IDX old_idx = LOAD_RLX(&s->req_prod);
    RING_IDX new_idx = fr->r.req_prod_pvt;

    if (old_idx == new_idx)
        return false;
    STORE_REL(&s->req_prod, new_idx);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return event_crossed(new_idx, old_idx, LOAD_RLX(&s->req_event));
}

int vscsi_front_ring_take(struct vscsi_front_ring *fr, struct vscsiif_response *out)
{
    if (fr->broken)
        return -1;
    RING_IDX prod = LOAD_ACQ(&fr->r.sring->rsp_prod);
    /* A backend may only answer requests we produced. */
    if ((RING_IDX)(prod - fr->r.rsp_cons) > (RING_IDX)(fr->r.req_prod_pvt - fr->r.rsp_cons)) {
        fr->broken = true;
        return -1;
    }
    if (prod == fr->r.rsp_cons)
        return 0;
    const volatile struct vscsiif_response *slot = RING_GET_RESPONSE(&fr->r, fr->r.rsp_cons);
    *out = *slot;
    fr->r.rsp_cons++;
    return 1;
}

bool vscsi_front_ring_final_check(struct vscsi_front_ring *fr)
{
    struct vscsiif_sring *s = fr->r.sring;

    if (LOAD_ACQ(&s->rsp_prod) != fr->r.rsp_cons)
        return true;
    STORE_RLX(&s->rsp_event, fr->r.rsp_cons + 1);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return LOAD_ACQ(&s->rsp_prod) != fr->r.rsp_cons;
}

/*
 * Both ends of the vscsiif shared ring, over ring.h's types. Shared indexes
 * are read and written with atomic accesses and the fences the protocol
 * needs; every request is copied out of the ring exactly once.
 *
 * Back end (the daemon):
 *   n = vscsi_back_ring_available(&br);   // < 0: frontend broke the ring
 *   while (n-- > 0) vscsi_back_ring_take(&br, &copy);  ... validate copy
 *   vscsi_back_ring_put(&br, &rsp); ...
 *   if (vscsi_back_ring_push(&br)) notify();
 *   if (!vscsi_back_ring_final_check(&br)) sleep();
 */
#ifndef PVSCSI_PROTOCOL_RING_H
#define PVSCSI_PROTOCOL_RING_H

#include <stdbool.h>

#include "wire.h"

struct vscsi_back_ring {
    vscsiif_back_ring_t r;   /* private indexes + pointer to the shared page */
    bool broken;             /* frontend claimed more requests than fit */
};

/* Attaches to a shared page the frontend initialised; writes nothing to it. */
void vscsi_back_ring_init(struct vscsi_back_ring *br, struct vscsiif_sring *sring);
/*
 * Attaches to a ring another backend instance served (a restart): the
 * private indexes continue from req_cons (requests taken) and rsp_prod_pvt
 * (responses written, maybe not yet published), as a journal recorded
 * them. They must agree with the shared page: rsp_prod <= rsp_prod_pvt <=
 * req_cons <= req_prod, at most a ring apart; 0 then, or -EINVAL (nothing
 * changed). Without a journal, pass the shared rsp_prod for both: every
 * request not answered is then taken again.
 */
int vscsi_back_ring_resume(struct vscsi_back_ring *br, struct vscsiif_sring *sring,
                           RING_IDX req_cons, RING_IDX rsp_prod_pvt);
/*
 * Requests that can be consumed now (0 when none). When the frontend's
 * req_prod claims more outstanding requests than the ring holds, or moves
 * backwards, the ring is marked broken for good (as Linux's xen-scsiback
 * halts it) and -1 is returned from then on.
 */
int vscsi_back_ring_available(struct vscsi_back_ring *br);
/* Copies the next request out of the ring once and consumes its slot.
 * Call only while vscsi_back_ring_available() said one is there. Returns
 * the ring index it was taken from. */
RING_IDX vscsi_back_ring_take(struct vscsi_back_ring *br, struct vscsiif_request *out);
/* Requests taken and not yet answered. */
unsigned vscsi_back_ring_unanswered(const struct vscsi_back_ring *br);
/* Writes one response into the next free response slot (not yet visible).
 * Returns false (and writes nothing) if every taken request is answered. */
bool vscsi_back_ring_put(struct vscsi_back_ring *br, const struct vscsiif_response *rsp);
/* Publishes the responses put so far; true when the frontend must be notified. */
bool vscsi_back_ring_push(struct vscsi_back_ring *br);
/* Before going idle: asks for an event on the next request and re-checks;
 * true when requests arrived meanwhile (do not sleep). */
bool vscsi_back_ring_final_check(struct vscsi_back_ring *br);

struct vscsi_front_ring {
    vscsiif_front_ring_t r;
    bool broken;             /* backend claimed more responses than requests */
};

/* Initialises a fresh shared page and the front end over it. */
void vscsi_front_ring_init(struct vscsi_front_ring *fr, struct vscsiif_sring *sring);
/* Free request slots. */
unsigned vscsi_front_ring_free(const struct vscsi_front_ring *fr);
/* Copies a request into the next slot (not yet visible). False when full. */
bool vscsi_front_ring_put(struct vscsi_front_ring *fr, const struct vscsiif_request *req);
/* Publishes requests; true when the backend must be notified. */
bool vscsi_front_ring_push(struct vscsi_front_ring *fr);
/* Copies the next response out once. 1: got one; 0: none; -1: ring broken. */
int vscsi_front_ring_take(struct vscsi_front_ring *fr, struct vscsiif_response *out);
/* Before going idle: re-arms rsp_event; true when responses arrived meanwhile. */
bool vscsi_front_ring_final_check(struct vscsi_front_ring *fr);

#endif

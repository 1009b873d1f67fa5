/*
 * Where a ring that is being connected continues from. A fresh ring (the
 * frontend just set it up) starts at its shared indexes: requests already
 * queued are new. A ring the previous pvscsid served (it crashed, was
 * restarted or upgraded; the frontend stayed connected) continues from
 * that process's journal: its unpublished responses are published, its
 * unanswered requests go back into their slots (`restarted`), to be
 * started, or answered as lost, once the LUN table is complete
 * (dispatch_restarted). Without a usable journal, the shared ring alone
 * says what it can (ring_recover_from_ring). The journal is then
 * rewritten for the next restart.
 */
#ifndef PVSCSID_RING_TAKEOVER_H
#define PVSCSID_RING_TAKEOVER_H

#include "ring_state.h"

/* Called by ring_state_connect with the ring mapped and its port bound.
 * 0 or -errno. */
int ring_takeover(struct ring_state *rs, const struct ring_origin *o);

#endif

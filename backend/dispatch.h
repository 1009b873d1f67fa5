/*
 * The request engine of one ring, run by its worker: takes requests off the
 * shared ring (each copied once), validates them, routes them (LUN handler,
 * REPORT LUNS emulation, ABORT/RESET, NO_CONNECT) and turns results into
 * responses. Responses are put as commands finish and published in batches
 * by dispatch_flush().
 */
#ifndef PVSCSID_DISPATCH_H
#define PVSCSID_DISPATCH_H

#include <liburing.h>

#include "ring_state.h"

/* Requests a ring took over from the previous pvscsid (ring_takeover.c),
 * once its LUN table is complete: run, run again where that is harmless,
 * or answered as lost. */
void dispatch_restarted(struct ring_state *rs, struct io_uring *uring);
/* Consumes every request the frontend has queued (until the final check
 * says the ring is empty) and starts each. */
void dispatch_ring(struct ring_state *rs, struct io_uring *uring);
/* lun_params.finished: a command a handler finished from its event(). */
void dispatch_cmd_finished(struct lun_cmd *cmd);
/* A CQE whose user_data is a command's tag. */
void dispatch_cmd_cqe(struct lun_cmd *cmd, const struct io_uring_cqe *cqe,
                      struct io_uring *uring);
/* Publishes the responses put so far and notifies the frontend if the ring
 * protocol asks for it. */
void dispatch_flush(struct ring_state *rs);

#endif

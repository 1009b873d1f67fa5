/*
 * Task management of one ring: vscsiif's ABORT and RESET, answered as
 * Linux's target core answers them for xen-scsiback. A command that an
 * ABORT or RESET ends keeps running on its device (a command submitted to
 * an sg device cannot be recalled), is answered with host byte ABORT or
 * RESET once it finishes (also when it had finished and only its answer
 * was still to go), and the ABORT/RESET itself is answered after the last
 * command it ended. Only commands already handed to their handler (slot
 * `launched`) can be ended: those the guest put on the ring after the
 * ABORT/RESET are not, even when the backend took them in the same pass.
 * Pure bookkeeping over the ring's slots (like
 * SPDK's spdk_scsi_dev_queue_mgmt_task); dispatch.c sends the answers.
 */
#ifndef PVSCSID_TMF_H
#define PVSCSID_TMF_H

#include <stdbool.h>

#include "ring_state.h"

/* ABORT slot t of the launched command whose rqid is t->req.raw.ref_rqid. true when
 * t is to be answered now with t->tmf.answer (no such command, or it is
 * ended already or emulated: RESET_FAILED, as TMR_TASK_DOES_NOT_EXIST);
 * false when t waits for the command. */
bool tmf_abort(struct ring_state *rs, struct slot *t);

/* RESET slot t of LUN e (NULL when the guest addressed none), whose
 * handler's reset returned reset_result (0 or -errno). Every command
 * launched on e that nothing has ended yet is ended by t; one an ABORT has
 * ended already keeps that ABORT's host byte, and t waits for the ABORT to
 * be answered too. true when t is to be answered now with t->tmf.answer;
 * false when it waits. */
bool tmf_reset(struct ring_state *rs, struct slot *t, struct lun_entry *e, int reset_result);

/* Slot s (a command, or an ABORT a RESET waits for) is being answered.
 * Returns the ABORT/RESET slot that was waiting for it if that one has
 * nothing left to wait for (answer it with its tmf.answer), else NULL. */
struct slot *tmf_finished(struct ring_state *rs, struct slot *s);

#endif

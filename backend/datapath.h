/*
 * Moving a request's data between guest pages and the handler's buffers:
 * grant copy into the slot's own buffer (default), or grant map of all the
 * request's pages in one call (--datapath=map). Also fetches the segment
 * lists of indirect requests (always by copy, into private memory, once).
 * Owns each slot's data buffers (struct slot_data), preallocated for
 * max_segments when the ring is created.
 *
 * Copies are batched per ring: everything the worker takes off a ring in
 * one pass is copied in with one hypervisor call (indirect lists first,
 * then the data the devices will read), and everything the commands
 * finished in one loop turn produced is copied out with one call before
 * their answers are published. One ioctl per batch instead of one per
 * request.
 */
#ifndef PVSCSID_DATAPATH_H
#define PVSCSID_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <xengnttab.h>

#include "wire.h"

struct slot;
struct ring_state;

/* Grant copies to do in one call. */
struct copy_batch {
    xengnttab_grant_copy_segment_t *segs;
    unsigned n, cap;
};

/* One slot's data buffers. */
struct slot_data {
    const struct scsiif_request_segment *segs;  /* req.raw.seg or indirect[] */
    struct scsiif_request_segment *indirect;    /* copied indirect entries */
    uint8_t *buf;                               /* copy mode: the data */
    struct iovec *iov;                          /* what the handler sees */
    uint32_t *refs;                             /* map mode: grant refs */
    void *mapped;                               /* map mode: current mapping */
    unsigned nr_mapped;
    unsigned copy_first, copy_count;            /* its part of the current batch */
};

/* Allocates / frees a slot's buffers for requests of up to max_segments. */
int datapath_slot_init(struct slot_data *d, unsigned max_segments);
void datapath_slot_free(struct slot_data *d, unsigned max_segments);
/* Allocates / frees a ring's two batches (in: guest to us, out: us to
 * guest), room for every slot's largest request. */
int datapath_ring_init(struct ring_state *rs, unsigned max_segments);
void datapath_ring_free(struct ring_state *rs);

/* ---- taking requests in: queue, run once, check per slot ------------------- */

/* Queues the copy of an indirect request's segment lists into copy_in. */
void datapath_queue_indirect(struct slot *s);
/* After the run: the slot's segments are the copied list. */
void datapath_use_indirect(struct slot *s);
/* Sets s->cmd.iov/iov_cnt/data_len for the request's data. Copy mode
 * queues the data the device will read into copy_in; map mode maps the
 * pages now. 0, or -EIO when the pages could not be mapped (answer host
 * ERROR). */
int datapath_prepare(struct slot *s);
/* Copies everything queued in copy_in, in one call, and empties it. */
void datapath_run_in(struct ring_state *rs);
/* Copy mode: are the pages the device's data will go to writable by us?
 * (mapped writable and unmapped again, nothing copied). For commands that
 * may not run twice (a tape READ moves the tape): a bad destination must
 * be found before the device acts, not when its data cannot be delivered.
 * Map mode has mapped them writable already. 0, or -EIO. */
int datapath_check_destination(struct slot *s);

/* ---- answering: queue, run once, check per slot ---------------------------- */

/* The device is done with the slot's buffers: len bytes it produced go
 * back to the guest. Copy mode queues them into copy_out (true: answer
 * after datapath_run_out); map mode releases the mapping (false). */
bool datapath_finish(struct slot *s, uint32_t len);
/* Copies everything queued in copy_out, in one call, and empties it. */
void datapath_run_out(struct ring_state *rs);

/* After a run: did every copy queued for this slot succeed? */
bool datapath_copied(const struct slot *s, const struct copy_batch *b);

#endif

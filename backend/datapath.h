/*
 * Moving a request's data between guest pages and the handler's buffers:
 * grant copy into the slot's own buffer (default), or grant map of all the
 * request's pages in one call (--datapath=map). Also fetches the segment
 * lists of indirect requests (always by copy, into private memory, once).
 * Owns each slot's data buffers (struct slot_data), preallocated for
 * max_segments when the ring is created.
 */
#ifndef PVSCSID_DATAPATH_H
#define PVSCSID_DATAPATH_H

#include <stdint.h>
#include <sys/uio.h>
#include <xengnttab.h>

#include "wire.h"

struct slot;

/* One slot's data buffers. */
struct slot_data {
    const struct scsiif_request_segment *segs;  /* req.raw.seg or indirect[] */
    struct scsiif_request_segment *indirect;    /* copied indirect entries */
    uint8_t *buf;                               /* copy mode: the data */
    struct iovec *iov;                          /* what the handler sees */
    xengnttab_grant_copy_segment_t *copy;       /* copy mode: one batch */
    uint32_t *refs;                             /* map mode: grant refs */
    void *mapped;                               /* map mode: current mapping */
    unsigned nr_mapped;
};

/* Allocates / frees the buffers for requests of up to max_segments. */
int datapath_slot_init(struct slot_data *d, unsigned max_segments);
void datapath_slot_free(struct slot_data *d, unsigned max_segments);

/* Copies an indirect request's segment entries into the slot's indirect[]
 * and points its segs at them. 0, or -EIO when a grant copy failed. */
int datapath_fetch_indirect(struct slot *s);
/* Sets s->cmd.iov/iov_cnt/data_len for the request's data; brings data in
 * from the guest when the device will read it. 0, or -EIO when a grant
 * could not be copied or mapped (answer host ERROR). */
int datapath_prepare(struct slot *s);
/* Moves `len` bytes produced by the device back to the guest (copy mode)
 * and releases mappings (map mode). 0 or -EIO. Always releases. */
int datapath_finish(struct slot *s, uint32_t len);

#endif

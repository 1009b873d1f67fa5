/*
 * Moving a request's data between guest pages and the handler's buffers:
 * grant copy into the slot's own buffer (default), or grant map of all the
 * request's pages in one call (--datapath=map). Also fetches the segment
 * lists of indirect requests (always by copy, into private memory, once).
 */
#ifndef PVSCSID_DATAPATH_H
#define PVSCSID_DATAPATH_H

#include "ring_state.h"

/* Copies an indirect request's segment entries into s->indirect and points
 * s->segs at them. 0, or -EIO when a grant copy failed. */
int datapath_fetch_indirect(struct slot *s);
/* Sets s->cmd.iov/iov_cnt/data_len for the request's data; brings data in
 * from the guest when the device will read it. 0, or -EIO when a grant
 * could not be copied or mapped (answer host ERROR). */
int datapath_prepare(struct slot *s);
/* Moves `len` bytes produced by the device back to the guest (copy mode)
 * and releases mappings (map mode). 0 or -EIO. Always releases. */
int datapath_finish(struct slot *s, uint32_t len);

#endif

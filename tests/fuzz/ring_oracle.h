/*
 * What the guest of the ring fuzz target knows and expects, as a careful
 * frontend would check it: which requests the backend took (read from the
 * shared ring as it was when the backend ran), that each is answered once
 * with its rqid, the answer a well-formed request must get, the data a
 * READ returns against an in-memory model of the file LUN, and, after a
 * drain, that nothing is left in flight or mapped and no page the backend
 * may not write was written. A broken expectation aborts (a crash for
 * libFuzzer).
 */
#ifndef FUZZ_RING_ORACLE_H
#define FUZZ_RING_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "ring_world.h"

enum o_kind {
    K_RAW,            /* anything: only crash-freedom and one answer */
    K_READ, K_WRITE,  /* READ(10)/WRITE(10)/(16) of the file or a null LUN */
    K_INQUIRY, K_REPORT_LUNS, K_TUR, K_READ_CAP, K_SYNC,
    K_ABORT, K_RESET,
};

/* A piece of a well-formed request's data: pool 'A' (read-only) or 'B'. */
struct o_seg {
    uint8_t pool, page;
    uint16_t off, len;
};

/* A well-formed request the guest wrote, with what it must be answered. */
struct o_req {
    enum o_kind kind;
    uint16_t rqid;
    uint8_t addr;               /* index into w_addrs */
    bool out_of_range;          /* READ/WRITE past the end: CHECK CONDITION */
    uint32_t lba, nblocks;
    uint32_t data_len;
    uint32_t alloc_len;         /* INQUIRY, REPORT LUNS */
    uint16_t victim;            /* ABORT: ref_rqid */
    unsigned nsegs;
    struct o_seg segs[W_MAX_SEGS];
};

void oracle_begin(struct world *w, bool chaos);
/* The guest wrote a well-formed request (or, req NULL, rewrote bytes) into
 * the slot of ring index idx. */
void oracle_put(uint32_t idx, const struct o_req *req);
/* The backend's turn: dispatch_ring with the takes recorded and checked. */
void oracle_dispatch(struct world *w);
/* n CQEs were handed to the core (world_reap). */
void oracle_reaped(unsigned n);
/* After dispatch_flush: the frontend reads and checks the new answers. */
void oracle_responses(struct world *w);
/* An rqid of a request in flight (taken, not answered), else `fallback`. */
uint16_t oracle_inflight_rqid(unsigned pick, uint16_t fallback);
/* The guest wrote bytes into list page k (read-only to the backend). */
void oracle_list_written(unsigned k);
/* The ring was detached; answer: the guest still reads answers. */
void oracle_detached(bool answer);
/* After the drain: nothing left over anywhere. */
void oracle_end(struct world *w);

#endif

/*
 * The world of the ring fuzz target (fuzz_ring.c): one process is both a
 * hostile guest (a simulated domain with RAM, grants and an event channel,
 * tests/xensim) and the backend (a ring_state connected through the real
 * libxengnttab/libxenevtchn API, the file and null handlers on an io_uring,
 * driven as backend/worker.c drives it). Set up once per process; each
 * input connects a fresh ring and disconnects it when drained.
 */
#ifndef FUZZ_RING_WORLD_H
#define FUZZ_RING_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liburing.h>

#include "config.h"
#include "ring_state.h"
#include "wire.h"

#define W_POOL_A 8        /* read-only pages: data of well-formed WRITEs */
#define W_POOL_B 48       /* writable pages: data-in of well-formed requests */
#define W_SCRATCH 8       /* pages whose content and grant entry the input sets */
#define W_LIST 4          /* read-only pages: indirect lists of well-formed requests */
#define W_NREFS 16        /* grant refs a hostile request's segments pick from */
#define W_MAX_SEGS 64     /* feature-sg-grant of the ring */
#define W_BLOCK 512u
#define W_FILE_BLOCKS 128u
#define W_NULL_BLOCKS 2048u   /* null:1M */

/* The LUN table: target 0 has LUNs 0 (file), 1 and 300 (null, flat space
 * addressing in REPORT LUNS), target 1 has LUN 0 (null). */
enum w_lun { W_LUN_FILE, W_LUN_NULL, W_LUN_NULL300, W_LUN_NULL_T1, W_NR_LUNS };
/* Addresses requests use: the four LUNs, then a missing LUN of target 0
 * and a missing target. */
#define W_NR_ADDRS 6
struct w_addr {
    uint16_t channel, target, lun;
};
extern const struct w_addr w_addrs[W_NR_ADDRS];
/* The LUN at addr, W_NR_LUNS when there is none. */
enum w_lun w_lun_at(uint16_t channel, uint16_t target, uint16_t lun);

struct world {
    struct xensim_domain *dom;
    uint16_t domid;
    struct pvscsid_config cfg;
    struct ring_state *rs;
    struct io_uring uring;
    struct lun *luns[W_NR_LUNS];
    char dir[256], file_path[300];
    /* Guest pages (gfn) and their grants. */
    uint32_t ring_gfn, ring_ref;
    uint32_t a_gfn[W_POOL_A], a_ref[W_POOL_A];
    uint32_t b_gfn[W_POOL_B], b_ref[W_POOL_B];
    uint32_t s_gfn[W_SCRATCH], s_ref[W_SCRATCH];
    uint32_t l_gfn[W_LIST], l_ref[W_LIST];
    uint32_t ungranted_gfn;
    uint32_t refs[W_NREFS];       /* hostile table; [W_NREFS-1] is the ring in chaos */
    /* Per connection. */
    int guest_port;
    struct vscsiif_sring *sring;  /* the guest's view of the ring page */
};

/* Entry idx of a shared ring page (the header declares ring[1]). */
static inline union vscsiif_sring_entry *w_ring_entry(void *sring, uint32_t idx)
{
    return (union vscsiif_sring_entry *)(void *)((uint8_t *)sring +
                                                 offsetof(struct vscsiif_sring, ring) +
                                                 (idx % VSCSI_RING_SIZE) *
                                                     sizeof(union vscsiif_sring_entry));
}

/* Once per process; aborts on failure (nothing can be fuzzed without it). */
void world_init(struct world *w);
void world_fini(struct world *w);
uint8_t *world_page(struct world *w, uint32_t gfn);
/* A fresh ring whose indexes start at `start`, served by `mode`; in chaos
 * mode hostile requests may point data at the ring page itself. */
void world_connect(struct world *w, uint32_t start, enum datapath_mode mode, bool chaos);
void world_disconnect(struct world *w);
/* Scratch grant k: 0 rw, 1 ro, 2 invalid, 3 another domain's, 4 frame out
 * of range, 5 ro on the ungranted page, 6 rw on the next scratch page. */
void world_set_scratch_grant(struct world *w, unsigned k, unsigned mode);

/* The backend's side of a worker loop turn. */
void world_dispatch(struct world *w);
/* Submits queued SQEs, then hands at most max CQEs to the core as the
 * worker does. wait: block (bounded) for at least one. Returns how many. */
unsigned world_reap(struct world *w, unsigned max, bool wait);
void world_flush(struct world *w);

#endif

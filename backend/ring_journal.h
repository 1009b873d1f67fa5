/*
 * The ring journal: what a restarted pvscsid needs to take over a ring the
 * previous process served, kept in a small file under the state directory
 * (/run/pvscsid/ring-<domid>-<devid>.journal, tmpfs) and mapped shared, so
 * it survives the process however it ends, kill -9 included, but not a
 * host reboot (which ends the guests too).
 *
 * It records the requests taken off the ring (req_cons) and, per slot, the
 * private copy of each request not yet answered and whether it was handed
 * to a device. That is enough to continue: responses written so far are
 * req_cons minus the unanswered ones (each answer writes the next response
 * and then frees its slot), a taken request that never reached a device
 * can simply run, and one that did is known exactly, so it is re-run only
 * where that is harmless (disks) and otherwise answered as lost.
 *
 * The worker that owns the ring writes it with plain stores in program
 * order (release stores mark each step), no system calls: a few hundred
 * bytes per request. A process that dies between two steps leaves one of
 * the states recover() understands.
 */
#ifndef PVSCSID_RING_JOURNAL_H
#define PVSCSID_RING_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

#define RING_JOURNAL_MAGIC   0x4a535650u   /* "PVSJ" */
#define RING_JOURNAL_VERSION 1u
#define RING_JOURNAL_VM_MAX  64            /* /local/domain/<domid>/vm */

enum journal_slot_state {
    JOURNAL_FREE = 0,     /* no request, or answered */
    JOURNAL_TAKEN = 1,    /* copied off the ring, not yet on a device */
    JOURNAL_STARTED = 2,  /* handed to a LUN handler (may have run) */
};

struct journal_slot {
    uint32_t state;                    /* enum journal_slot_state */
    uint32_t ring_idx;                 /* ring index it was taken from */
    struct vscsiif_request req;        /* the copy the daemon works from */
};

/* Which ring a journal describes: a restart resumes only the same ring of
 * the same domain (a new domain reusing the domid has another vm path). */
struct journal_identity {
    uint32_t domid, devid;
    uint32_t ring_ref, remote_port;
    uint32_t max_segments;             /* feature-sg-grant the frontend read */
    char vm[RING_JOURNAL_VM_MAX];      /* the domain's vm path, "" if none */
};

struct ring_journal {
    uint32_t magic, version;
    struct journal_identity id;
    uint32_t req_cons;                 /* requests taken */
    uint32_t unknown;                  /* taken, unanswerable (see
                                          ring_recover_from_ring) */
    struct journal_slot slots[VSCSI_RING_SIZE];
};

/* ---- the hot path (the ring's worker; j may be NULL: no journal) -------- */

/* Slot `slot` took the request at ring index idx (a copy in *req). */
static inline void journal_take(struct ring_journal *j, unsigned slot, uint32_t idx,
                                const struct vscsiif_request *req)
{
    if (!j)
        return;
    struct journal_slot *js = &j->slots[slot];
    js->req = *req;
    js->ring_idx = idx;
    __atomic_store_n(&js->state, JOURNAL_TAKEN, __ATOMIC_RELEASE);
    __atomic_store_n(&j->req_cons, idx + 1, __ATOMIC_RELEASE);
}

/* The slot's command goes to a device (or a reset to a LUN). */
static inline void journal_started(struct ring_journal *j, unsigned slot)
{
    if (j)
        __atomic_store_n(&j->slots[slot].state, JOURNAL_STARTED, __ATOMIC_RELEASE);
}

/* The slot's response has been written into the ring. */
static inline void journal_answered(struct ring_journal *j, unsigned slot)
{
    if (j)
        __atomic_store_n(&j->slots[slot].state, JOURNAL_FREE, __ATOMIC_RELEASE);
}

struct journal_recovery;

/* ---- the file ------------------------------------------------------------- */

/* Maps the journal of domid/devid under dir, creating an empty one (magic
 * 0) if there is none. NULL with errno set. */
struct ring_journal *ring_journal_map(const char *dir, unsigned domid, unsigned devid);
void ring_journal_unmap(struct ring_journal *j);
/* Deletes the journal file (the ring ended for good). 0 or -errno; a
 * missing file is 0. */
int ring_journal_remove(const char *dir, unsigned domid, unsigned devid);
/* Starts a new record of ring `id` as `rec` describes it: req_cons, the
 * requests taken and not answered (pending) and the unknown ones. */
void ring_journal_reset(struct ring_journal *j, const struct journal_identity *id,
                        const struct journal_recovery *rec);

/* ---- a restart ------------------------------------------------------------ */

struct journal_pending {
    unsigned slot;                     /* the slot it occupied (and occupies again) */
    uint32_t ring_idx;                 /* where it was taken from */
    bool started;                      /* it may have run on its device */
    struct vscsiif_request req;
};

struct journal_recovery {
    uint32_t req_cons, rsp_prod_pvt;   /* for vscsi_back_ring_resume */
    unsigned nr_pending;               /* taken, never answered, in ring order */
    struct journal_pending pending[VSCSI_RING_SIZE];
    unsigned nr_unknown;               /* taken, never answered, unknown */
};

/*
 * What the journal says about ring `id`, checked against the shared ring's
 * indexes (req_prod, rsp_prod, which the guest may have written anything
 * into). 0 with out filled; -ENOENT: no journal (empty file); -ESTALE: a
 * journal of another ring or domain; -EINVAL: a journal that does not fit
 * the shared ring (it is then not used).
 */
int ring_journal_recover(const struct ring_journal *j, const struct journal_identity *id,
                         uint32_t req_prod, uint32_t rsp_prod, struct journal_recovery *out);

/*
 * No journal (lost, or left by another version): what the shared ring
 * alone says, a ring apart at most (else -EINVAL). Responses the previous
 * process wrote but did not publish lie in order from rsp_prod, each
 * recognisable (a response has 0 where a request has its act, 1 to 4):
 * they count as written (out->rsp_prod_pvt). Every request after them is
 * taken again (out->pending, each `started`: it may have run), except
 * those these responses answer (same rqid). Requests whose slots those
 * responses overwrote before they were answered cannot be known:
 * out->nr_unknown counts them; they stay unanswered until the guest aborts.
 */
int ring_recover_from_ring(const struct vscsiif_sring *sring, uint32_t req_prod,
                           uint32_t rsp_prod, struct journal_recovery *out);

#endif

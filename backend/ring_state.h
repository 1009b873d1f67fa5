/*
 * Everything about one vscsi device's ring, in one place: the mapped shared
 * page, the event channel, the consumer state, the preallocated in-flight
 * slots and the LUN table. Nothing about a request lives on a stack across
 * an I/O, so this state could later move to memory that survives a daemon
 * restart (see issue: restart while guests run).
 *
 * Ownership: created and connected by the device's xenbus state machine on
 * the control thread (backend/device.c), then handed to one worker, which
 * alone touches it until it hands it back (backend/worker.c).
 */
#ifndef PVSCSID_RING_STATE_H
#define PVSCSID_RING_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "config.h"
#include "hctl.h"
#include "lun.h"
#include "request.h"
#include "ring.h"
#include "ring_stats.h"

/* LUNs per vscsi device (v-dev entries); REPORT LUNS answers fit a page. */
#define RING_MAX_LUNS 500

struct ring_state;
struct worker_msg;

/* One LUN of the device: the dev-N entry it came from and its handler. */
struct lun_entry {
    unsigned index;              /* N of vscsi-devs/dev-N */
    struct vscsi_hctl vdev;      /* what the guest addresses */
    struct lun *lun;             /* the open handler instance */
    unsigned inflight;           /* commands running on it */
    struct worker_msg *remove_waiter;  /* set while being removed */
};

/* One in-flight request: private copy, data buffers, the handler command. */
struct slot {
    struct ring_state *rs;
    bool busy;
    struct vscsi_request req;                 /* copied once from the ring */
    const struct scsiif_request_segment *segs;/* req.raw.seg or indirect[] */
    struct lun_entry *lun;                    /* NULL for emulated commands */
    struct lun_cmd cmd;
    uint8_t killed_host;       /* ABORT/RESET: answer with this host byte */
    int waiting_abort;         /* slot of an ABORT/RESET waiting on us, -1 */
    unsigned blocking;         /* ABORT/RESET: commands still to finish */
    int32_t tmf_rslt;          /* ABORT/RESET: the answer once unblocked */
    /* Preallocated at ring creation, sized for max_segments. */
    struct scsiif_request_segment *indirect;  /* copied indirect entries */
    uint8_t *buf;                             /* copy mode data buffer */
    struct iovec *iov;
    xengnttab_grant_copy_segment_t *copy;
    uint32_t *refs;                           /* map mode */
    void *mapped;                             /* map mode: current mapping */
    unsigned nr_mapped;
    uint64_t start_ns;                        /* taken off the ring (latency) */
};

/* struct ring_stats and the RING_COUNTER_* accessors (one writer, the
 * ring's worker; relaxed atomics read by the management thread) are in
 * ring_stats.h. */

struct ring_state {
    /* Identity. */
    uint16_t domid;
    uint32_t devid;
    char name[32];                      /* "vscsi-<domid>/<devid>" for logs */
    const struct pvscsid_config *cfg;
    struct vscsi_limits limits;
    bool feature_host;                  /* whole HBA: REPORT LUNS passes through */
    /* Hypervisor handles (one each per ring: simple ownership, and each fd
     * could be kept in systemd's fd store across a restart). */
    xengnttab_handle *gnttab;
    xenevtchn_handle *evtchn;
    evtchn_port_t port;                 /* local port bound to the guest's */
    bool port_bound;
    struct vscsiif_sring *sring;        /* mapped ring page */
    struct vscsi_back_ring ring;
    /* Worker side. */
    struct worker *worker;
    struct uring_tag evtchn_tag;        /* user_data of the evtchn poll */
    bool poll_armed;
    bool poll_cancelling;               /* poll_remove submitted */
    bool detaching;                     /* no new requests; drain */
    bool answer_on_detach;              /* false: guest gone, drop answers */
    bool halted;                        /* frontend broke the ring */
    bool need_push;                     /* responses put, not yet pushed */
    struct worker_msg *detach_waiter;
    unsigned inflight;
    struct slot slots[VSCSI_RING_SIZE];
    /* LUN table (worker-owned once attached). */
    struct lun_entry **luns;            /* entries never move: slots point at them */
    unsigned nr_luns, cap_luns;
    struct ring_stats stats;
    /* The device it belongs to (control thread's business). */
    void *owner;
    /* Worker's list of its rings; then the detach sink's list. */
    struct ring_state *next;
};

/* Allocates the ring state and its per-slot buffers; opens its gnttab and
 * evtchn handles. NULL (errno set) on failure. */
struct ring_state *ring_state_new(const struct pvscsid_config *cfg, uint16_t domid,
                                  uint32_t devid);
/* Maps the guest's ring page and binds its event channel. 0 or -errno. */
int ring_state_connect(struct ring_state *rs, uint32_t ring_ref, evtchn_port_t remote_port);
/* Unbinds and unmaps (idempotent). */
void ring_state_disconnect(struct ring_state *rs);
/* Closes the handles and frees everything; LUNs must be gone already. */
void ring_state_free(struct ring_state *rs);

/* LUN table (owner thread only). */
struct lun_entry *ring_state_find_lun(struct ring_state *rs, uint16_t channel, uint16_t target,
                                      uint16_t lun);
struct lun_entry *ring_state_find_index(struct ring_state *rs, unsigned index);
/* 0, -EEXIST (v-dev or index taken), -ENOMEM. */
int ring_state_add_lun(struct ring_state *rs, unsigned index, const struct vscsi_hctl *vdev,
                       struct lun *lun);
/* Removes an entry (its handler is the caller's to close). */
void ring_state_drop_lun(struct ring_state *rs, struct lun_entry *e);

#endif

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
#include "datapath.h"
#include "hctl.h"
#include "log.h"
#include "lun.h"
#include "qos.h"
#include "request.h"
#include "ring.h"
#include "ring_journal.h"
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

/* ABORT/RESET bookkeeping of a slot (backend/tmf.c). A command an
 * ABORT/RESET ends is answered with end_host once it finishes; the
 * ABORT/RESET is answered after the last of them. */
struct slot_tmf {
    uint8_t end_host;          /* a command: answer with this host byte, 0 = not ended */
    int ended_by;              /* a command: slot index of the ABORT/RESET waiting, -1 */
    unsigned waiting_for;      /* an ABORT/RESET: commands still to finish */
    int32_t answer;            /* an ABORT/RESET: its rslt once they have */
};

/* One in-flight request: private copy, the handler command, data buffers. */
struct slot {
    struct ring_state *rs;
    bool busy;
    struct vscsi_request req;                 /* copied once from the ring */
    struct lun_entry *lun;                    /* NULL for emulated commands */
    struct lun_cmd cmd;
    bool emulated;                            /* REPORT LUNS answered by us */
    bool launched;                            /* handed to its LUN's handler and not
                                                 yet answered: what ABORT/RESET end */
    uint32_t answer_residual;                 /* finished: residual of the answer */
    struct slot_tmf tmf;
    struct slot_data data;                    /* datapath.c's */
    /* Taken over from the previous pvscsid (ring_takeover.c): started when
     * the ring is attached, unless it may have run and may not run twice. */
    bool restarted;
    bool may_have_run;
    uint64_t start_ns;                        /* taken off the ring (latency) */
};

/* struct ring_stats and the RING_COUNTER_* accessors (one writer, the
 * ring's worker; relaxed atomics read by the management thread) are in
 * ring_stats.h. */

struct ring_state {
    /* Identity. */
    uint16_t domid;
    uint32_t devid;
    char name[LOG_DEVICE_NAME_MAX];     /* "vscsi-<domid>/<devid>" for logs */
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
    struct ring_journal *journal;       /* what a restart resumes from; NULL: none */
    unsigned nr_restarted;              /* slots with `restarted` set */
    /* Worker side. */
    struct worker *worker;
    struct uring_tag evtchn_tag;        /* user_data of the evtchn poll */
    bool poll_armed;
    bool poll_cancelling;               /* poll_remove submitted */
    /* Limits (qos.h): a throttled ring waits on its own timeout. */
    struct ring_qos qos;
    struct uring_tag qos_tag;
    struct __kernel_timespec qos_ts;    /* the armed timeout's */
    bool qos_timer_armed;
    bool qos_timer_cancelling;
    bool detaching;                     /* no new requests; drain */
    bool answer_on_detach;              /* false: guest gone, drop answers */
    bool halted;                        /* frontend broke the ring */
    bool need_push;                     /* responses put, not yet pushed */
    /* Grant copies batched per loop turn (datapath.c), and the commands
     * whose answers wait for copy_out. */
    struct copy_batch copy_in, copy_out;
    struct slot *finishing[VSCSI_RING_SIZE];
    unsigned nr_finishing;
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

/* Allocates the ring state and its per-slot buffers for requests of up to
 * max_segments (what the frontend read in feature-sg-grant); opens its
 * gnttab and evtchn handles. NULL (errno set) on failure. */
struct ring_state *ring_state_new(const struct pvscsid_config *cfg, uint16_t domid,
                                  uint32_t devid, unsigned max_segments);

/* Where a ring comes from, for ring_state_connect. */
struct ring_origin {
    uint32_t ring_ref;
    evtchn_port_t remote_port;
    char vm[RING_JOURNAL_VM_MAX];       /* the domain's vm path, "" if unknown */
    bool resume;                        /* the frontend was connected before:
                                           another pvscsid served this ring */
};
/* Maps the guest's ring page, binds its event channel and takes the ring
 * over (ring_takeover.c): a fresh ring, or one the previous pvscsid served,
 * continued from its journal. 0 or -errno. */
int ring_state_connect(struct ring_state *rs, const struct ring_origin *o);
/* Unbinds and unmaps (idempotent). The journal stays for the next pvscsid. */
void ring_state_disconnect(struct ring_state *rs);
/* The ring ended for good (frontend closed, device removed): its journal
 * goes too. */
void ring_state_forget(struct ring_state *rs);
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

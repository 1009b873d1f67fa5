/*
 * Simulated guest with xen-scsifront devices, for tests, the demo and the
 * bench. It behaves as Linux's drivers/scsi/xen-scsifront.c does: the ring
 * page lives in guest RAM (tests/xensim) and is granted to the backend, an
 * unbound event channel is offered, ring-ref/event-channel are written in a
 * transaction, state goes Initialised, and every backend state change is
 * answered as scsifront_backend_changed() answers it (LUNs added in state 3,
 * removed in state 5 on Reconfiguring, Connected at the end).
 *
 * One simguest is one domain; it runs a thread that serves xenstore watches
 * and event channel notifications for all its devices.
 */
#ifndef PVSCSI_SIMFRONT_H
#define PVSCSI_SIMFRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "hctl.h"
#include "wire.h"

struct simguest;
struct simfront;

/* Creates guest domain `domid` (ram_pages of RAM in the simulator) served by
 * backend domain `backend_domid`, and starts its thread. */
struct simguest *simguest_create(uint16_t domid, uint32_t ram_pages, uint16_t backend_domid);
/* Stops the thread, closes every device still open (as a clean shutdown),
 * and destroys the domain. */
void simguest_destroy(struct simguest *g);
/* Like a crashed guest: stops the thread and drops everything without any
 * xenstore handshake; the domain itself stays until simguest_destroy. */
void simguest_crash(struct simguest *g);
uint16_t simguest_domid(const struct simguest *g);
struct xensim_domain *simguest_domain(struct simguest *g);

/* Probes device/vscsi/<devid> of this guest, as the driver's probe does: the
 * toolstack must have written the frontend and backend trees. */
struct simfront *simfront_probe(struct simguest *g, uint32_t devid);
/* Waits until backend and frontend are Connected. 0 or -ETIMEDOUT. */
int simfront_wait_connected(struct simfront *f, int timeout_ms);
/* Clean disconnect (module unload): Closing, wait for the backend to close,
 * revoke the ring grant (fails if the backend still maps it), Closed.
 * 0, -ETIMEDOUT, or -EBUSY when the backend kept a mapping. */
int simfront_close(struct simfront *f, int timeout_ms);
/* After simfront_close: a new ring and port, Initialised again (module
 * reload). 0 or -errno. */
int simfront_reconnect(struct simfront *f);
/* Frees the device (after close, or for a crashed guest). */
void simfront_free(struct simfront *f);

/* xenbus states as the frontend last saw/wrote them. */
int simfront_backend_state(struct simfront *f);
int simfront_frontend_state(struct simfront *f);
/* Segments per request this frontend may use (from feature-sg-grant, as
 * Linux computes it but without Linux's SG_ALL cap unless set below). */
unsigned simfront_max_segments(struct simfront *f);
/* Cap the segment count like Linux's SG_ALL (128) would; 0 = no cap. */
void simfront_set_sg_cap(struct simfront *f, unsigned cap);

/* LUNs the guest currently sees (v-dev of dev-N in state Connected). */
int simfront_luns(struct simfront *f, struct vscsi_hctl *out, int max);
/* Waits until `hctl` is present (want = true) or absent. 0 or -ETIMEDOUT. */
int simfront_wait_lun(struct simfront *f, const struct vscsi_hctl *hctl, bool want,
                      int timeout_ms);

/* ---- I/O ------------------------------------------------------------------ */
struct simfront_cmd {
    /* Set by the caller. */
    uint8_t act;                 /* VSCSIIF_ACT_SCSI_*; 0 means CDB */
    uint16_t channel, target, lun;
    uint8_t cdb[VSCSIIF_MAX_COMMAND_SIZE];
    uint8_t cdb_len;
    uint8_t dir;                 /* enum vscsi_dir */
    void *buf;                   /* data: written from / read into */
    uint32_t len;
    uint16_t timeout_s;          /* timeout_per_command */
    uint16_t ref_rqid;           /* ABORT: the rqid to abort */
    uint16_t first_offset;       /* data starts at this offset in its page */
    uint16_t seg_max;            /* split segments at most this long (0: page) */
    bool force_indirect;         /* use indirect pages even if 26 would do */
    uint16_t indirect_offset;    /* segment list starts here in its page */
    /* Filled on completion. */
    bool done;
    uint16_t rqid;
    int32_t rslt;
    uint8_t sense[VSCSIIF_SENSE_BUFFERSIZE];
    uint8_t sense_len;
    uint32_t residual;
    int grant_errors;            /* grants the backend had not released */
    /* Private to simfront. */
    uint32_t priv_first_page;
    unsigned priv_nr_pages;
    uint32_t *priv_gfns;
    uint32_t *priv_refs;
    unsigned priv_nr_refs;
};

/* Queues a command (notifying the backend if the ring asks for it).
 * Returns the rqid, -EBUSY when the ring is full, -E2BIG when the data needs
 * more segments than the backend allows, -ENOTCONN when not connected. */
int simfront_submit(struct simfront *f, struct simfront_cmd *cmd);
/* Waits for `cmd` to complete. 0 or -ETIMEDOUT. */
int simfront_wait(struct simfront *f, struct simfront_cmd *cmd, int timeout_ms);
/* submit + wait. */
int simfront_exec(struct simfront *f, struct simfront_cmd *cmd, int timeout_ms);

/* ---- Misbehaviour (hostile-guest tests) ------------------------------------ */
/* Puts raw request bytes on the ring; the response (if any) completes `cmd`
 * when raw->rqid is a free slot id, otherwise it counts as stray. push:
 * publish now and notify as the ring asks. Returns 0, -EBUSY (ring full). */
int simfront_submit_raw(struct simfront *f, const struct vscsiif_request *raw,
                        struct simfront_cmd *cmd, bool push);
/* Publishes queued raw requests and notifies unconditionally. */
void simfront_kick(struct simfront *f);
/* The shared ring page, for tests that scribble on it. */
struct vscsiif_sring *simfront_sring(struct simfront *f);
/* Responses that matched no outstanding request. */
unsigned simfront_stray_responses(struct simfront *f);
/* Responses received in total, and notifications received. */
unsigned long simfront_responses(struct simfront *f);
unsigned long simfront_notifications(struct simfront *f);

/* ---- Helpers for tests ------------------------------------------------------ */
/* A CDB command with its data, set up for simfront_exec. */
void simfront_cmd_init(struct simfront_cmd *cmd, const struct vscsi_hctl *lun,
                       const uint8_t *cdb, unsigned cdb_len, uint8_t dir, void *buf,
                       uint32_t len);
/* simfront_cmd_init + simfront_exec: one command, run to its end. */
int simfront_exec_cdb(struct simfront *f, struct simfront_cmd *cmd, const struct vscsi_hctl *lun,
                      const uint8_t *cdb, unsigned cdb_len, uint8_t dir, void *buf,
                      uint32_t len, int timeout_ms);

#endif

/*
 * One vscsi device (backend/vscsi/<domid>/<devid>) and its xenbus state
 * machine, run on the control thread, as Linux's xen-scsiback runs it
 * (scsiback_frontend_changed, scsiback_do_lun_hotplug): probe to InitWait,
 * connect on frontend Initialised, LUN add/remove walks over vscsi-devs,
 * Reconfiguring/Reconfigured for hotplug, drain and disconnect on Closing.
 * Every call re-reads xenstore: watch events only say "look again".
 */
#ifndef PVSCSID_DEVICE_H
#define PVSCSID_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <xenstore.h>

#include "config.h"
#include "hba_follow.h"
#include "log.h"
#include "worker.h"
#include "xsutil.h"
#include "xswatch.h"

struct device_env {
    struct xs_handle *xs;
    struct xswatch_set *watches;    /* the frontend state watch goes here */
    const struct pvscsid_config *cfg;
    /* Picks the worker for a newly connected ring. */
    struct worker *(*pick_worker)(void *ctx);
    void *ctx;
    /* Where workers report rings they finished draining. */
    struct detach_sink *sink;
};

struct device {
    const struct device_env *env;
    uint16_t domid;
    uint32_t devid;
    char name[LOG_DEVICE_NAME_MAX]; /* "vscsi-<domid>/<devid>" in every log line */
    char be_path[XSU_PATH_MAX];
    char fe_path[XSU_PATH_MAX];     /* from the backend's "frontend" node */
    struct xswatch *fe_watch;       /* the frontend's state node */
    bool probed;                    /* feature-sg-grant written (or adopted) */
    unsigned max_segments;          /* the feature-sg-grant the frontend sees */
    int state;                      /* backend state we last wrote */
    bool domain_was_introduced;     /* for @releaseDomain */
    bool feature_host;              /* whole-HBA mode (xend HOST mode) */
    uint64_t qos_iops, qos_bps;     /* the ring's limits (qos-iops, qos-bps; 0: none) */
    struct hba_follow hba;          /* its LUNs follow the physical host */
    struct ring_state *rs;          /* while connected (or draining) */
    bool draining;                  /* ring handed back, not yet returned */
    bool dying;                     /* free once drained */
    bool handover;                  /* dying for a restart: the journal stays */
    struct device *next;
};

struct device *device_new(const struct device_env *env, uint16_t domid, uint32_t devid);
/* Re-reads the device's nodes and moves the state machine. */
void device_changed(struct device *d);
/* The backend directory went away, the domain died, or we shut down:
 * drain (answering the guest only if `answer`), disconnect, close LUNs,
 * drop the watch. Returns true when d is freed; false when its ring is
 * still draining: device_drained() frees it later. */
bool device_destroy(struct device *d, bool answer);
/* The daemon stops and a new one will take over (SIGTERM): the commands in
 * flight finish and are answered, requests still queued stay in the ring,
 * the ring's journal is kept and xenstore is left as it is. Same return
 * rules as device_destroy. */
bool device_handover(struct device *d);
/* Its ring came back from the worker (see struct detach_sink): finishes the
 * disconnect and moves the state machine on. True when d was freed. */
bool device_drained(struct device *d);
/* True when the backend directory still exists. */
bool device_exists(struct device *d);
/* Counters of a connected device; false when not connected. */
bool device_stats(struct device *d, struct ring_stats *out, unsigned *inflight);

#endif

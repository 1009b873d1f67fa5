/* Internals shared by the simulated frontend's files. */
#ifndef PVSCSI_SIMFRONT_PRIV_H
#define PVSCSI_SIMFRONT_PRIV_H

#include <pthread.h>
#include <xenstore.h>

#include "ring.h"
#include "simfront.h"
#include "xensim.h"

#define SIMFRONT_MAX_DEVS 8
#define SIMFRONT_MAX_LUNS 64
#define SIMFRONT_PATH 128

struct simfront_lun {
    char dev[32];            /* "dev-N" */
    struct vscsi_hctl hctl;
};

struct simfront {
    struct simguest *g;
    uint32_t devid;
    char path[SIMFRONT_PATH];       /* /local/domain/<d>/device/vscsi/<devid> */
    char be_path[SIMFRONT_PATH];    /* the backend's path, from "backend" */
    char token[32];

    /* ring */
    uint32_t ring_gfn;
    int64_t ring_ref;
    int port;                       /* 0: none */
    struct vscsi_front_ring ring;
    bool connected_ring;            /* ring set up and not closed */
    struct simfront_cmd *shadow[VSCSI_RING_SIZE];

    /* xenbus */
    int fe_state, be_state;
    unsigned max_segs, sg_cap;
    struct simfront_lun luns[SIMFRONT_MAX_LUNS];
    int nr_luns;

    unsigned stray;
    unsigned long responses, notifications;
};

struct simguest {
    uint16_t domid, backend_domid;
    struct xensim_domain *dom;
    struct xs_handle *xs;
    pthread_t thread;
    bool thread_running;
    int stop_pipe[2];
    pthread_mutex_t lock;           /* everything below and in each simfront */
    pthread_cond_t cond;            /* broadcast on any state change */
    struct simfront *devs[SIMFRONT_MAX_DEVS];
};

/* simfront_xenbus.c: react to a backend state change (lock held). */
void simfront_backend_changed(struct simfront *f);
/* simfront_io.c: drain responses of f's ring (lock held). */
void simfront_handle_event(struct simfront *f);
/* simfront_io.c: completes all outstanding commands with DID_RESET as
 * Linux's scsifront_finish_all does (lock held). */
void simfront_finish_all(struct simfront *f);
/* simfront_xenbus.c: takes the guest's lock and waits until cond(f, arg) holds,
 * woken by every state change. 0, or -ETIMEDOUT after timeout_ms. */
int simfront_wait_until(struct simfront *f, bool (*cond)(struct simfront *, const void *),
                        const void *arg, int timeout_ms);
/* Writes a string node; retries never needed outside transactions. */
int simfront_xs_write(struct xs_handle *xs, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads an unsigned node; -1 when missing or malformed. */
long simfront_xs_read_uint(struct xs_handle *xs, const char *path);

#endif

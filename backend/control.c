#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <xenstore.h>

#include "autoattach.h"
#include "control.h"
#include "mgmt.h"
#include "state_dir.h"
#include "device.h"
#include "log.h"
#include "lun_probe.h"
#include "uevents.h"
#include "worker.h"
#include "xsutil.h"
#include "xswatch.h"

/* The fds the control loop waits on, by name. */
enum control_fd { FD_XENSTORE, FD_SIGNALS, FD_DRAINED, FD_UEVENTS, FD_COUNT };

struct control {
    const struct pvscsid_config *cfg;
    struct xs_handle *xs;
    struct xswatch_set watches;
    struct device_env env;
    struct worker **workers;
    unsigned nr_workers, next_worker;
    struct device *devices;
    unsigned draining;              /* destroyed devices still draining */
    struct detach_sink sink;
    bool sink_ready;
    /* Held by the control thread while it changes devices, and by the
     * management thread while it reads their counters. */
    pthread_mutex_t lock;
    struct mgmt_server *mgmt;
    /* SCSI devices coming and going (whole-HBA mode follows them). */
    struct uevents *uevents;
    char root[XSU_PATH_MAX];        /* /local/domain/<be>/backend/vscsi */
    struct pollfd pfd[FD_COUNT];
    int lock_fd;                        /* held: one pvscsid per state dir */
    uint64_t watchdog_us, last_ping_us; /* systemd watchdog (0: off) */
};

static struct worker *pick_worker(void *ctx)
{
    struct control *c = ctx;
    /* Round robin: rings are long-lived, so this spreads them evenly. */
    struct worker *w = c->workers[c->next_worker];
    c->next_worker = (c->next_worker + 1) % c->nr_workers;
    return w;
}

static struct device *find_device(struct control *c, uint16_t domid, uint32_t devid)
{
    for (struct device *d = c->devices; d; d = d->next)
        if (d->domid == domid && d->devid == devid)
            return d;
    return NULL;
}

static void remove_device(struct control *c, struct device *d, bool answer)
{
    for (struct device **p = &c->devices; *p; p = &(*p)->next) {
        if (*p == d) {
            *p = d->next;
            break;
        }
    }
    log_info("%s: removed", d->name);
    if (!device_destroy(d, answer))
        c->draining++;
}

/* Rings the workers finished draining. */
static void take_drained(struct control *c)
{
    struct ring_state *rs = detach_sink_take(&c->sink);
    while (rs) {
        struct ring_state *next = rs->next;
        if (device_drained(rs->owner))
            c->draining--;
        rs = next;
    }
}

static bool device_known(void *ctx, unsigned domid, unsigned devid)
{
    return find_device(ctx, (uint16_t)domid, devid) != NULL;
}

/* Looks at one device: creates it if new, forgets it if its directory went
 * away, else runs its state machine. */
static void touch_device(struct control *c, uint16_t domid, uint32_t devid)
{
    struct device *d = find_device(c, domid, devid);
    if (!d) {
        d = device_new(&c->env, domid, devid);
        if (!d) {
            char name[LOG_DEVICE_NAME_MAX];
            log_err("%s: out of memory", log_device_name(name, domid, devid));
            return;
        }
        if (!device_exists(d)) {
            (void)device_destroy(d, false);   /* never connected: freed */
            return;
        }
        d->next = c->devices;
        c->devices = d;
        log_info("%s: found", d->name);
    } else if (!device_exists(d)) {
        /* The toolstack removed the device: the guest is not listening. */
        remove_device(c, d, false);
        return;
    }
    device_changed(d);
}

/* Full rescan of backend/vscsi: new devices, vanished ones, every state. */
static void rescan(struct control *c)
{
    struct xsu_device *devs;
    int n = xsu_devices(c->xs, XBT_NULL, c->cfg->backend_domid, &devs);
    for (int i = 0; i < n; i++)
        touch_device(c, (uint16_t)devs[i].domid, devs[i].devid);
    free(devs);
    /* Devices whose directory is gone. */
    struct device *d = c->devices;
    while (d) {
        struct device *next = d->next;
        if (!device_exists(d))
            remove_device(c, d, false);
        d = next;
    }
}

/* A domain that was introduced and no longer is has been destroyed. */
static void check_domains(struct control *c)
{
    struct device *d = c->devices;
    while (d) {
        struct device *next = d->next;
        if (d->domain_was_introduced && !xs_is_domain_introduced(c->xs, d->domid)) {
            log_info("domain %u is gone", (unsigned)d->domid);
            /* xl knows nothing of vscsi and leaves our backend tree behind;
             * as the vscsi toolstack we clear it, or its p-devs would stay
             * "assigned" to a dead domain. */
            char path[XSU_PATH_MAX];
            int r = xsu_path(path, "%s/%u", c->root, (unsigned)d->domid);
            remove_device(c, d, false);
            if (r == 0 && !xs_rm(c->xs, XBT_NULL, path) && errno != ENOENT)
                log_warn("removing %s: %s", path, strerror(errno));
        }
        d = next;
    }
}

/* @introduceDomain: configured LUNs of a domain that just appeared. */
static void on_domain_introduced(void *ctx, const char *path)
{
    struct control *c = ctx;
    (void)path;
    autoattach_run(c->cfg->autoattach, c->xs, c->cfg->backend_domid);
}

/* @releaseDomain: a domain went away. */
static void on_domain_released(void *ctx, const char *path)
{
    (void)path;
    check_domains(ctx);
}

/* Under backend/vscsi: <domid>/<devid>/... concerns one device; the root
 * or a <domid> directory itself means "rescan". */
static void on_backend_changed(void *ctx, const char *path)
{
    struct control *c = ctx;
    unsigned domid, devid;
    if (xsu_parse_device_path(path, c->root, &domid, &devid))
        touch_device(c, (uint16_t)domid, devid);
    else
        rescan(c);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* mgmt hook (management thread): counters of every connected ring. */
static int stats_hook(void *opaque, struct mgmt_ring_stats *out, size_t max)
{
    struct control *c = opaque;
    int n = 0;
    pthread_mutex_lock(&c->lock);
    for (struct device *d = c->devices; d; d = d->next) {
        struct ring_stats st;
        unsigned inflight;
        if (!device_stats(d, &st, &inflight))
            continue;
        if ((size_t)n < max) {
            _Static_assert(RING_LAT_BUCKETS == MGMT_LAT_BUCKETS, "one histogram layout");
            out[n] = (struct mgmt_ring_stats){
                .domid = d->domid, .devid = d->devid, .requests = st.requests,
                .bytes = st.bytes, .good = st.good, .check_conditions = st.check_condition,
                .other_status = st.other_status, .transport_errors = st.transport_errors,
                .denied = st.denied, .in_flight = inflight, .latency_sum_ns = st.latency_sum_ns};
            memcpy(out[n].latency, st.latency, sizeof(out[n].latency));
        }
        n++;
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* mgmt hook (management thread): can this p-dev be opened as a LUN? */
static int check_pdev_hook(void *opaque, const char *p_dev, char *err, size_t errlen)
{
    const struct control *c = opaque;
    return lun_probe(c->cfg, p_dev, err, errlen);
}

static int start_mgmt(struct control *c)
{
    const struct pvscsid_config *cfg = c->cfg;
    if (!cfg->mgmt)
        return 0;
    struct mgmt_config mc = {
        .socket_path = cfg->mgmt_socket,
        .tcp_address = cfg->mgmt_tcp,
        .password_file = cfg->mgmt_password_file,
        .sysfs_root = cfg->sysfs_root,
        .backend_domid = cfg->backend_domid,
    };
    struct mgmt_hooks hooks = {.stats = stats_hook, .check_pdev = check_pdev_hook, .opaque = c};
    char err[256];
    c->mgmt = mgmt_server_start(&mc, &hooks, err, sizeof(err));
    if (!c->mgmt) {
        log_err("management API: %s", err);
        return -1;
    }
    log_info("management API on %s%s%s", cfg->mgmt_socket ? cfg->mgmt_socket : MGMT_DEFAULT_SOCKET,
             cfg->mgmt_tcp ? " and tcp " : "", cfg->mgmt_tcp ? cfg->mgmt_tcp : "");
    return 0;
}

/* Listens for SCSI devices coming and going; without events (no netlink
 * in a container, say) SIGHUP does the same rescan. */
static int start_uevents(struct control *c)
{
    c->uevents = uevents_open(UEVENTS_UDEV_CONTROL);
    if (!c->uevents) {
        log_warn("no SCSI device events (%s): SIGHUP rescans SCSI devices", strerror(errno));
        return -1;
    }
    if (uevents_source(c->uevents) == UEVENTS_UDEV)
        log_info("SCSI device events from udevd");
    else
        log_info("SCSI device events from the kernel (udevd is not running: no %s)",
                 UEVENTS_UDEV_CONTROL);
    return uevents_fd(c->uevents);
}

static int setup_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* SIGHUP rescans; SIGTERM/SIGINT end the loop (false). */
static bool on_signal(struct control *c)
{
    struct signalfd_siginfo si;
    if (read(c->pfd[FD_SIGNALS].fd, &si, sizeof(si)) != sizeof(si))
        return true;
    if (si.ssi_signo != SIGHUP) {
        log_info("signal %u: shutting down", si.ssi_signo);
        return false;
    }
    mgmt_server_devices_changed(c->mgmt);
    pthread_mutex_lock(&c->lock);
    autoattach_run(c->cfg->autoattach, c->xs, c->cfg->backend_domid);
    rescan(c);
    pthread_mutex_unlock(&c->lock);
    return true;
}

/* Alive means the control loop turns and every worker answers a message:
 * a stuck worker stops the pings. At most two per interval. */
static void watchdog_tick(struct control *c)
{
    if (!c->watchdog_us)
        return;
    uint64_t now = now_us();
    if (now - c->last_ping_us < c->watchdog_us / 2)
        return;
    for (unsigned i = 0; i < c->nr_workers; i++)
        worker_ping(c->workers[i]);
    sd_notify(0, "WATCHDOG=1");
    c->last_ping_us = now;
}

/* Everything the loop needs, in order; on failure what was set up is
 * undone by control_teardown. 0 or -1. */
static int control_setup(struct control *c)
{
    const struct pvscsid_config *cfg = c->cfg;
    if (cfg->state_dir && cfg->state_dir[0] && (c->lock_fd = state_dir_lock(cfg->state_dir)) < 0)
        return -1;
    /* Block the signals before any thread starts, so workers inherit it. */
    int sfd = setup_signals();
    c->pfd[FD_SIGNALS] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (sfd < 0) {
        log_err("signals: %s", strerror(errno));
        return -1;
    }
    c->xs = xs_open(0);
    if (!c->xs) {
        log_err("cannot connect to xenstore: %s", strerror(errno));
        return -1;
    }
    xswatch_set_init(&c->watches, c->xs);
    c->pfd[FD_XENSTORE] = (struct pollfd){.fd = xs_fileno(c->xs), .events = POLLIN};
    if (detach_sink_init(&c->sink) < 0) {
        log_err("eventfd: %s", strerror(errno));
        return -1;
    }
    c->sink_ready = true;
    c->pfd[FD_DRAINED] = (struct pollfd){.fd = c->sink.efd, .events = POLLIN};
    c->env = (struct device_env){.xs = c->xs, .watches = &c->watches, .cfg = cfg,
                                 .pick_worker = pick_worker, .ctx = c, .sink = &c->sink};
    if (xsu_backend_root(c->root, cfg->backend_domid) < 0)
        return -1;
    c->workers = calloc(cfg->workers, sizeof(*c->workers));
    if (!c->workers)
        return -1;
    for (; c->nr_workers < cfg->workers; c->nr_workers++) {
        c->workers[c->nr_workers] = worker_start(c->nr_workers, cfg);
        if (!c->workers[c->nr_workers]) {
            log_err("cannot start worker %u: %s", c->nr_workers, strerror(errno));
            return -1;
        }
    }
    if (!xswatch_add(&c->watches, c->root, on_backend_changed, c) ||
        !xswatch_add(&c->watches, "@releaseDomain", on_domain_released, c) ||
        (cfg->autoattach &&
         !xswatch_add(&c->watches, "@introduceDomain", on_domain_introduced, c))) {
        log_err("cannot watch %s: %s", c->root, strerror(errno));
        return -1;
    }
    log_info("serving %s with %u worker%s, %s datapath, feature-sg-grant %u", c->root,
             c->nr_workers, c->nr_workers == 1 ? "" : "s",
             cfg->datapath == DATAPATH_MAP ? "grant map" : "grant copy", cfg->max_segments);
    if (start_mgmt(c) < 0)
        return -1;
    /* Listening before the first scan: nothing falls in between. */
    c->pfd[FD_UEVENTS] = (struct pollfd){.fd = start_uevents(c), .events = POLLIN};
    pthread_mutex_lock(&c->lock);
    autoattach_run(cfg->autoattach, c->xs, cfg->backend_domid);
    rescan(c);
    if (cfg->state_dir && cfg->state_dir[0])
        state_dir_forget_journals(cfg->state_dir, device_known, c);
    pthread_mutex_unlock(&c->lock);
    if (sd_watchdog_enabled(0, &c->watchdog_us) <= 0)
        c->watchdog_us = 0;
    /* Under systemd (Type=notify): ready once the watches are set. */
    sd_notifyf(0, "READY=1\nSTATUS=serving %s", c->root);
    return 0;
}

/* SIGTERM (systemctl restart, an upgrade): every ring is handed over to
 * the next pvscsid. The management API goes first (nothing may ask about
 * devices being torn down); then each ring stops taking requests, the
 * commands in flight finish and are answered, and the ring is let go with
 * its journal; requests queued meanwhile wait in the ring for the next
 * process. xenstore is left as it is: the frontends stay Connected. Past
 * stop_timeout_s the process leaves anyway, and the next one deals with
 * the commands still running as after a crash. */
static void control_hand_over_all(struct control *c)
{
    sd_notify(0, "STOPPING=1");
    mgmt_server_stop(c->mgmt);
    c->mgmt = NULL;
    unsigned rings = 0;
    while (c->devices) {
        struct device *d = c->devices;
        c->devices = d->next;
        rings += d->rs != NULL;
        if (!device_handover(d))
            c->draining++;
    }
    uint64_t deadline = now_us() + (uint64_t)c->cfg->stop_timeout_s * 1000000u;
    while (c->draining > 0) {
        uint64_t now = now_us();
        if (now >= deadline) {
            log_warn("%u ring%s still running commands after %u s: leaving them to the next "
                     "pvscsid, which answers them as after a crash", c->draining,
                     c->draining == 1 ? "" : "s", c->cfg->stop_timeout_s);
            /* Workers still own those rings: nothing may be freed. The
             * kernel closes the descriptors; the journals stay. */
            _exit(0);
        }
        struct pollfd p = {.fd = c->sink.efd, .events = POLLIN};
        int ms = (int)((deadline - now) / 1000u) + 1;
        if (poll(&p, 1, ms) < 0 && errno != EINTR)
            break;
        take_drained(c);
    }
    log_info("%u ring%s handed over", rings, rings == 1 ? "" : "s");
}

static void control_teardown(struct control *c)
{
    uevents_close(c->uevents);
    mgmt_server_stop(c->mgmt);
    for (unsigned i = 0; i < c->nr_workers; i++)
        worker_stop(c->workers[i]);
    free(c->workers);
    if (c->sink_ready)
        detach_sink_destroy(&c->sink);
    if (c->xs) {
        xswatch_set_destroy(&c->watches);
        xs_close(c->xs);
    }
    if (c->pfd[FD_SIGNALS].fd >= 0)
        close(c->pfd[FD_SIGNALS].fd);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    pthread_mutex_destroy(&c->lock);
}

int control_run(const struct pvscsid_config *cfg)
{
    struct control c = {.cfg = cfg, .pfd[FD_SIGNALS].fd = -1, .lock_fd = -1};
    pthread_mutex_init(&c.lock, NULL);
    int rc = 1;
    if (control_setup(&c) < 0)
        goto out;
    int poll_ms = c.watchdog_us ? (int)(c.watchdog_us / 2000) : -1;
    for (;;) {
        int n = poll(c.pfd, FD_COUNT, poll_ms);
        if (n < 0 && errno != EINTR) {
            log_err("poll: %s", strerror(errno));
            break;
        }
        watchdog_tick(&c);
        if (n <= 0)
            continue;
        if (c.pfd[FD_SIGNALS].revents && !on_signal(&c)) {
            rc = 0;
            break;
        }
        pthread_mutex_lock(&c.lock);
        if (c.pfd[FD_DRAINED].revents)
            take_drained(&c);
        if (c.pfd[FD_UEVENTS].revents && uevents_take(c.uevents)) {
            mgmt_server_devices_changed(c.mgmt);
            rescan(&c);
        }
        if (c.pfd[FD_XENSTORE].revents)
            xswatch_dispatch(&c.watches);
        pthread_mutex_unlock(&c.lock);
    }
    control_hand_over_all(&c);
out:
    control_teardown(&c);
    return rc;
}

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
#include "device.h"
#include "log.h"
#include "lun_probe.h"
#include "uevents.h"
#include "worker.h"

struct control {
    const struct pvscsid_config *cfg;
    struct xs_handle *xs;
    struct device_env env;
    struct worker **workers;
    unsigned nr_workers, next_worker;
    struct device *devices;
    unsigned draining;              /* destroyed devices still draining */
    struct detach_sink sink;
    /* Held by the control thread while it changes devices, and by the
     * management thread while it reads their counters. */
    pthread_mutex_t lock;
    struct mgmt_server *mgmt;
    /* SCSI devices coming and going (whole-HBA mode follows them). */
    struct uevents *uevents;
    char root[64];                  /* /local/domain/<be>/backend/vscsi */
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
    log_info("vscsi-%u/%u: removed", (unsigned)d->domid, (unsigned)d->devid);
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

/* Strict decimal within [0, max]; -1 otherwise. */
static long parse_id(const char *s, long max)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return (errno || *end || v > max) ? -1 : v;
}

/* Looks at one device: creates it if new, forgets it if its directory went
 * away, else runs its state machine. */
static void touch_device(struct control *c, uint16_t domid, uint32_t devid)
{
    struct device *d = find_device(c, domid, devid);
    if (!d) {
        d = device_new(&c->env, domid, devid);
        if (!d) {
            log_err("vscsi-%u/%u: out of memory", (unsigned)domid, (unsigned)devid);
            return;
        }
        if (!device_exists(d)) {
            (void)device_destroy(d, false);   /* never connected: freed */
            return;
        }
        d->next = c->devices;
        c->devices = d;
        log_info("vscsi-%u/%u: found", (unsigned)domid, (unsigned)devid);
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
    unsigned nd = 0;
    char **doms = xs_directory(c->xs, XBT_NULL, c->root, &nd);
    for (unsigned i = 0; doms && i < nd; i++) {
        long domid = parse_id(doms[i], 0x7fef);
        if (domid < 0)
            continue;
        char path[96];
        snprintf(path, sizeof(path), "%s/%ld", c->root, domid);
        unsigned nv = 0;
        char **devs = xs_directory(c->xs, XBT_NULL, path, &nv);
        for (unsigned j = 0; devs && j < nv; j++) {
            long devid = parse_id(devs[j], 0x7fffffff);
            if (devid >= 0)
                touch_device(c, (uint16_t)domid, (uint32_t)devid);
        }
        free(devs);
    }
    free(doms);
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
            char path[96];
            snprintf(path, sizeof(path), "%s/%u", c->root, (unsigned)d->domid);
            remove_device(c, d, false);
            if (!xs_rm(c->xs, XBT_NULL, path) && errno != ENOENT)
                log_warn("removing %s: %s", path, strerror(errno));
        }
        d = next;
    }
}

static void on_watch(struct control *c, const char *path, const char *token)
{
    if (strcmp(token, "introduce") == 0) {
        autoattach_run(c->cfg->autoattach, c->xs, c->cfg->backend_domid);
        return;
    }
    if (strcmp(token, "release") == 0) {
        check_domains(c);
        return;
    }
    if (strncmp(token, "fe:", 3) == 0) {
        unsigned domid, devid;
        if (sscanf(token, "fe:%u:%u", &domid, &devid) == 2 && find_device(c, (uint16_t)domid, devid))
            touch_device(c, (uint16_t)domid, devid);
        return;
    }
    /* Under backend/vscsi: <domid>/<devid>/... concerns one device; the
     * root or a <domid> directory itself means "rescan". */
    size_t rl = strlen(c->root);
    if (strncmp(path, c->root, rl) != 0)
        return;
    const char *rest = path + rl;
    unsigned domid, devid;
    int used = 0;
    if (sscanf(rest, "/%u/%u%n", &domid, &devid, &used) == 2 && domid < 0x7ff0 &&
        (rest[used] == '/' || rest[used] == '\0'))
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
                .in_flight = inflight, .latency_sum_ns = st.latency_sum_ns};
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

int control_run(const struct pvscsid_config *cfg)
{
    struct control c = {.cfg = cfg};
    int rc = 1;
    pthread_mutex_init(&c.lock, NULL);
    /* Block the signals before any thread starts, so workers inherit it. */
    int sfd = setup_signals();
    if (sfd < 0) {
        log_err("signals: %s", strerror(errno));
        return 1;
    }
    c.xs = xs_open(0);
    if (!c.xs) {
        log_err("cannot connect to xenstore: %s", strerror(errno));
        goto out_sfd;
    }
    if (detach_sink_init(&c.sink) < 0) {
        log_err("eventfd: %s", strerror(errno));
        goto out_xs;
    }
    c.env = (struct device_env){.xs = c.xs, .cfg = cfg, .pick_worker = pick_worker, .ctx = &c,
                                .sink = &c.sink};
    snprintf(c.root, sizeof(c.root), "/local/domain/%u/backend/vscsi",
             (unsigned)cfg->backend_domid);
    c.workers = calloc(cfg->workers, sizeof(*c.workers));
    if (!c.workers)
        goto out_sink;
    for (; c.nr_workers < cfg->workers; c.nr_workers++) {
        c.workers[c.nr_workers] = worker_start(c.nr_workers, cfg);
        if (!c.workers[c.nr_workers]) {
            log_err("cannot start worker %u: %s", c.nr_workers, strerror(errno));
            goto out_workers;
        }
    }
    if (!xs_watch(c.xs, c.root, "be") || !xs_watch(c.xs, "@releaseDomain", "release") ||
        (cfg->autoattach && !xs_watch(c.xs, "@introduceDomain", "introduce"))) {
        log_err("cannot watch %s: %s", c.root, strerror(errno));
        goto out_workers;
    }
    log_info("serving %s with %u worker%s, %s datapath, feature-sg-grant %u", c.root,
             c.nr_workers, c.nr_workers == 1 ? "" : "s",
             cfg->datapath == DATAPATH_MAP ? "grant map" : "grant copy", cfg->max_segments);
    if (start_mgmt(&c) < 0)
        goto out_workers;
    /* Listening before the first scan: nothing falls in between. */
    int ufd = start_uevents(&c);
    pthread_mutex_lock(&c.lock);
    autoattach_run(cfg->autoattach, c.xs, cfg->backend_domid);
    rescan(&c);
    pthread_mutex_unlock(&c.lock);
    /* Under systemd (Type=notify): ready once the watches are set. */
    sd_notifyf(0, "READY=1\nSTATUS=serving %s", c.root);
    uint64_t watchdog_us = 0;
    if (sd_watchdog_enabled(0, &watchdog_us) <= 0)
        watchdog_us = 0;
    int poll_ms = watchdog_us ? (int)(watchdog_us / 2000) : -1;
    uint64_t last_ping_us = 0;

    struct pollfd pfd[4] = {{.fd = xs_fileno(c.xs), .events = POLLIN},
                            {.fd = sfd, .events = POLLIN},
                            {.fd = c.sink.efd, .events = POLLIN},
                            {.fd = ufd, .events = POLLIN}};
    for (;;) {
        int n = poll(pfd, 4, poll_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_err("poll: %s", strerror(errno));
            break;
        }
        if (watchdog_us) {
            /* Alive means the control loop turns and every worker answers
             * a message: a stuck worker stops the pings. At most two per
             * interval, however many events arrive. */
            uint64_t now = now_us();
            if (now - last_ping_us >= watchdog_us / 2) {
                for (unsigned i = 0; i < c.nr_workers; i++)
                    worker_ping(c.workers[i]);
                sd_notify(0, "WATCHDOG=1");
                last_ping_us = now;
            }
        }
        if (n == 0)
            continue;
        if (pfd[1].revents) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                    mgmt_server_devices_changed(c.mgmt);
                    pthread_mutex_lock(&c.lock);
                    autoattach_run(cfg->autoattach, c.xs, cfg->backend_domid);
                    rescan(&c);
                    pthread_mutex_unlock(&c.lock);
                    continue;
                }
                log_info("signal %u: shutting down", si.ssi_signo);
                rc = 0;
                break;
            }
        }
        pthread_mutex_lock(&c.lock);
        if (pfd[2].revents)
            take_drained(&c);
        if (pfd[3].revents && uevents_take(c.uevents)) {
            mgmt_server_devices_changed(c.mgmt);
            rescan(&c);
        }
        char **w;
        while ((w = xs_check_watch(c.xs)) != NULL) {
            on_watch(&c, w[XS_WATCH_PATH], w[XS_WATCH_TOKEN]);
            free(w);
        }
        pthread_mutex_unlock(&c.lock);
    }
    sd_notify(0, "STOPPING=1");
    /* The management API goes first: nothing may ask about devices that
     * are being torn down. */
    mgmt_server_stop(c.mgmt);
    c.mgmt = NULL;
    /* Shutdown: answer what is in flight, then close every device. The
     * frontends see us gone; xenstore states stay for a restarted daemon. */
    while (c.devices)
        remove_device(&c, c.devices, true);
    while (c.draining > 0) {
        struct pollfd p = {.fd = c.sink.efd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        take_drained(&c);
    }
out_workers:
    uevents_close(c.uevents);
    mgmt_server_stop(c.mgmt);
    for (unsigned i = 0; i < c.nr_workers; i++)
        worker_stop(c.workers[i]);
    free(c.workers);
out_sink:
    detach_sink_destroy(&c.sink);
out_xs:
    xs_close(c.xs);
out_sfd:
    close(sfd);
    pthread_mutex_destroy(&c.lock);
    return rc;
}

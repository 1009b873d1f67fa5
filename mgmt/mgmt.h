/*
 * pvscsid's management service: XenAPI PSCSI/DSCSI(VSCSI)/VM/host calls over
 * XML-RPC and JSON-RPC, served by its own threads so the daemon's I/O
 * workers never wait for it.
 *
 *   struct mgmt_config cfg = {.backend_domid = 0};       // defaults elsewhere
 *   struct mgmt_hooks hooks = {.stats = my_stats, .opaque = me};
 *   char err[256];
 *   struct mgmt_server *s = mgmt_server_start(&cfg, &hooks, err, sizeof(err));
 *   ...
 *   mgmt_server_stop(s);
 */
#ifndef PVSCSI_MGMT_H
#define PVSCSI_MGMT_H

#include <stddef.h>
#include <stdint.h>

/* No '_' in it: XenAPI's Python client maps '_' in the URL host to '/'. */
#define MGMT_DEFAULT_SOCKET "/run/pvscsid/xapi.sock"
#define MGMT_DEFAULT_MAX_BODY (1024 * 1024)
#define MGMT_DEFAULT_REQUEST_TIMEOUT 10   /* seconds */

/* Latency histogram: bucket i counts commands answered within 2^i
 * microseconds (1 us .. 33.5 s), the last one those that took longer. */
#define MGMT_LAT_BUCKETS 27

/* One vscsi ring as the daemon sees it (pvscsid.get_stats, pvscsictl
 * stats, GET /metrics). Counters only grow while the ring lives. */
struct mgmt_ring_stats {
    uint32_t domid;        /* frontend domain */
    uint32_t devid;        /* vscsi device id (the virtual host) */
    uint64_t requests;     /* requests taken off the ring */
    uint64_t bytes;        /* data bytes moved, both directions */
    /* How commands were answered: */
    uint64_t good;              /* GOOD */
    uint64_t check_conditions;  /* CHECK CONDITION (sense data: a filemark,
                                   a short block, a medium error...) */
    uint64_t other_status;      /* BUSY, RESERVATION CONFLICT, TASK SET FULL... */
    uint64_t transport_errors;  /* host byte not OK: no such LUN, timeout,
                                   abort, reset, a rejected request */
    uint64_t denied;            /* refused by a LUN's command policy (its
                                   CHECK CONDITION is counted above too) */
    uint32_t in_flight;    /* requests taken off the ring, not yet answered */
    uint64_t latency_sum_ns;
    uint64_t latency[MGMT_LAT_BUCKETS];
};

struct mgmt_hooks {
    /*
     * Writes at most max entries to rings and returns how many rings exist
     * (more than max means: call again with a bigger array), or -errno.
     * Called from a management thread; must be thread-safe and quick.
     * NULL: no stats (pvscsid.get_stats answers an empty list).
     */
    int (*stats)(void *opaque, struct mgmt_ring_stats *rings, size_t max);
    /*
     * Could the daemon serve this p-dev ("h:c:t:l", "file:/path", "null:1G")?
     * Opens it as a LUN would be opened and closes it again: 0, or -errno
     * with a one-line reason in err. VSCSI.create (DSCSI.create) and
     * pvscsid.attach_disk ask before writing anything. Called from a
     * management thread. NULL: nothing is checked before attaching.
     */
    int (*check_pdev)(void *opaque, const char *p_dev, char *err, size_t errlen);
    void *opaque;
};

struct mgmt_config {
    const char *socket_path;    /* NULL: MGMT_DEFAULT_SOCKET */
    const char *tcp_address;    /* "host:port" to also listen on TCP; NULL: none */
    const char *password_file;  /* required with tcp_address: the TCP password */
    const char *sysfs_root;     /* NULL: "/sys" (tests point it at a fake tree) */
    const char *dev_root;       /* NULL: "/dev" (for the SG_IO VPD fallback) */
    const char *host_uuid;      /* NULL: derived from /etc/machine-id */
    unsigned backend_domid;     /* domain whose backend/vscsi tree we own */
    size_t max_body;            /* bigger request bodies are refused; 0: default */
    /* A request must arrive (and its answer leave) within this many seconds
     * of the connection opening or of the previous answer; also the idle
     * timeout. 0: MGMT_DEFAULT_REQUEST_TIMEOUT. */
    unsigned request_timeout_s;
};

struct mgmt_server;

/*
 * Scans PSCSIs, opens xenstore, binds the listeners and starts serving.
 * NULL on failure with a message in err (never truncated silently: a message
 * that does not fit ends in "...").
 */
struct mgmt_server *mgmt_server_start(const struct mgmt_config *cfg,
                                      const struct mgmt_hooks *hooks, char *err,
                                      size_t errlen);

/* The bound TCP port (useful with port 0), or 0 without TCP. */
unsigned mgmt_server_tcp_port(const struct mgmt_server *s);

/* SCSI devices came or went (a uevent, SIGHUP): the PSCSI list is scanned
 * again before the next call is answered. Any thread; never blocks.
 * Accepts NULL. */
void mgmt_server_devices_changed(struct mgmt_server *s);

/* Stops the threads, closes the listeners, removes the socket. Accepts NULL. */
void mgmt_server_stop(struct mgmt_server *s);

#endif

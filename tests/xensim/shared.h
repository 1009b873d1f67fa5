/*
 * xensim internals shared by domain.c, gnttab.c and evtchn.c: file layouts,
 * paths, the simulator-wide lock and a per-process cache of mapped files.
 */
#ifndef XENSIM_SHARED_H
#define XENSIM_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/grant_table.h>

#include "xensim.h"

#define XS_MAGIC_GNT 0x58534754u /* "XSGT" */
#define XS_MAGIC_EVT 0x58534556u /* "XSEV" */
#define XS_OWNER_LEN 48u

/* dom<D>.gnt. entries[] has the byte layout of struct grant_entry_v1 but is
 * accessed as whole 64-bit words, so Xen reads each entry in one atomic load
 * (the guest may rewrite it concurrently). */
struct xs_gnt_file {
    uint64_t entries[XENSIM_NR_GRANTS];
    uint32_t active[XENSIM_NR_GRANTS]; /* active foreign mappings */
    uint32_t magic;
    uint32_t nr_pages;
    uint32_t dead;                     /* set by destroy before unlink */
    uint32_t pad;
};

enum { XS_PORT_FREE = 0, XS_PORT_UNBOUND = 1, XS_PORT_INTERDOMAIN = 2 };

/* One event channel port; all fields change under the simulator lock. */
struct xs_port {
    uint32_t state;
    uint32_t remote_dom;   /* UNBOUND: who may bind; INTERDOMAIN: peer */
    uint32_t remote_port;
    uint32_t masked;
    uint32_t pending;
    uint32_t undelivered;  /* datagram could not be queued (queue full) */
    char owner[XS_OWNER_LEN]; /* socket file name (in XENSIM_DIR) */
};

/* dom<D>.evt */
struct xs_evt_file {
    uint32_t magic;
    uint32_t dead;
    uint32_t undelivered;  /* number of ports with undelivered set */
    uint32_t pad;
    struct xs_port ports[XENSIM_NR_PORTS];
};

struct xs_stats_file {
    uint64_t copy_segments;
};

/* Guest domain object (private to the process that created it). */
struct xensim_domain {
    uint16_t domid;
    uint32_t nr_pages;
    uint8_t *ram;
    size_t ram_size;
    struct xs_gnt_file *gnt;
    struct xs_evt_file *evt;
    uint8_t *page_used;   /* one byte per gfn */
    uint8_t *ref_used;    /* one byte per grant ref */
    int sock;             /* event delivery socket */
    char sock_name[XS_OWNER_LEN];
};

/* ---- paths ---- */
/* "<XENSIM_DIR>/<name>" into buf; -ENOENT if no dir, -ENAMETOOLONG. */
int xs_path(char *buf, size_t len, const char *name);
/* XENSIM_DOMID of this process (default 0). */
uint16_t xs_self_domid(void);

/* ---- simulator-wide lock (process mutex + flock on <dir>/lock) ---- */
int xs_lock(void);   /* 0 or -errno */
void xs_unlock(void);

/* ---- files ---- */
/* Creates (O_EXCL when excl) and sizes a file, maps it shared. Returns the
 * mapping or NULL with errno; *fd_out gets the fd when non-NULL (else it is
 * closed). */
void *xs_map_file(const char *name, size_t size, bool create, bool excl,
                  int *fd_out);

/* ---- per-process cache of other domains' files ---- */
struct xs_gdom {            /* a domain's grant table + RAM */
    struct xs_gnt_file *gnt;
    uint8_t *ram;
    size_t ram_size;
    int ram_fd;
};
/* Looks up a live domain; NULL with errno ENOENT (bad domain). Release with
 * xs_gdom_put. */
struct xs_gdom *xs_gdom_get(uint16_t domid);
void xs_gdom_put(struct xs_gdom *g);
/* Event table of a live domain (create: make dom<D>.evt if missing, for the
 * real-API domain that has no guest files). Release with xs_evt_put. */
struct xs_evt_file *xs_evt_get(uint16_t domid, bool create);
void xs_evt_put(struct xs_evt_file *e);
/* Forgets every cached file (after the directory changed). */
void xs_cache_flush(void);
void xs_stats_add_copy(uint64_t n);

/* ---- grant entry helpers ---- */
static inline struct grant_entry_v1 xs_gnt_load(const struct xs_gnt_file *g, uint32_t ref)
{
    uint64_t raw = __atomic_load_n(&g->entries[ref], __ATOMIC_ACQUIRE);
    struct grant_entry_v1 e;
    _Static_assert(sizeof(e) == sizeof(raw), "grant_entry_v1 is 8 bytes");
    __builtin_memcpy(&e, &raw, sizeof(e));
    return e;
}
static inline uint64_t xs_gnt_raw(struct grant_entry_v1 e)
{
    uint64_t raw;
    __builtin_memcpy(&raw, &e, sizeof(raw));
    return raw;
}
static inline void xs_gnt_store(struct xs_gnt_file *g, uint32_t ref, struct grant_entry_v1 e)
{
    __atomic_store_n(&g->entries[ref], xs_gnt_raw(e), __ATOMIC_RELEASE);
}

/* ---- event channels (evtchn.c) ---- */
/* Makes a bound, non-blocking datagram socket named "<prefix>.<pid>.<n>". */
int xs_sock_open(const char *prefix, char name[XS_OWNER_LEN]);
void xs_sock_close(int fd, const char *name);
/* Frees every port of `evt` (domain `domid`) owned by socket `owner`
 * (owner NULL: every port), as EVTCHNOP_close. Caller holds the lock. */
void xs_evt_close_owned(struct xs_evt_file *evt, uint16_t domid, const char *owner);

#endif

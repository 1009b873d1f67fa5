/*
 * xensim internals shared by its files: file layouts, paths, the
 * simulator-wide lock, leases (what dies with a process) and a per-process
 * cache of mapped files.
 */
#ifndef XENSIM_SHARED_H
#define XENSIM_SHARED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/grant_table.h>

#include "xensim.h"

#define XS_MAGIC_GNT 0x58534754u  /* "XSGT" */
#define XS_MAGIC_EVT 0x58534556u  /* "XSEV" */
#define XS_MAGIC_LOCK 0x58534c4bu /* "XSLK" */
#define XS_GNT_HOLDERS 4u         /* processes mapping one grant at once */
#define XS_NAME_LEN 16u           /* "s<id>", "l<id>" and a NUL fit */

/* One holder of foreign mappings of a grant: the lease of the mapping
 * process and how many mappings it has. A slot is free when count is 0.
 * Each field is one aligned word, so a process killed at any instruction
 * leaves a state the reaper understands. */
struct xs_gnt_holder {
    uint32_t lease;
    uint32_t count;
};

/* dom<D>.gnt. entries[] has the byte layout of struct grant_entry_v1 but is
 * accessed as whole 64-bit words, so Xen reads each entry in one atomic load
 * (the guest may rewrite it concurrently). The sum of a grant's holder
 * counts is Xen's active mapping count of it. */
struct xs_gnt_file {
    uint64_t entries[XENSIM_NR_GRANTS];
    struct xs_gnt_holder holders[XENSIM_NR_GRANTS][XS_GNT_HOLDERS];
    uint32_t magic;
    uint32_t nr_pages;
    uint32_t dead;                     /* set by destroy before unlink */
    uint32_t pad;
};

enum { XS_PORT_FREE = 0, XS_PORT_UNBOUND = 1, XS_PORT_INTERDOMAIN = 2 };

/* One event channel port; all fields change under the simulator lock. */
struct xs_port {
    uint32_t state;        /* written last when a port is set up */
    uint32_t remote_dom;   /* UNBOUND: who may bind; INTERDOMAIN: peer */
    uint32_t remote_port;
    uint32_t masked;
    uint32_t pending;
    uint32_t undelivered;  /* datagram could not be queued (queue full) */
    uint32_t owner;        /* id of the owner: its socket is "s<owner>" */
    uint32_t leased;       /* owner is a lease: the port dies with it */
    uint32_t sending;      /* its owner masked the peer port, datagram not sent yet */
    uint32_t pad;
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

/* "lock": the simulator-wide lock, a robust process-shared mutex (no
 * syscall when uncontended; a holder's death is seen by the next locker),
 * and the source of ids (sockets, leases), never reused within a directory. */
struct xs_lock_file {
    uint32_t magic;
    uint32_t next_id;
    pthread_mutex_t mu;
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
    uint32_t sock_id;     /* its name is "s<sock_id>" */
};

/* ---- paths ---- */
/* "<XENSIM_DIR>/<name>" into buf; -ENOENT if no dir, -ENAMETOOLONG. */
int xs_path(char *buf, size_t len, const char *name);
/* XENSIM_DOMID of this process (default 0). */
uint16_t xs_self_domid(void);

/* ---- simulator-wide lock (lock.c) ---- */
int xs_lock(void);   /* 0 or -errno */
void xs_unlock(void);
/* A fresh id (lock held). */
uint32_t xs_new_id(void);
/* Maps the directory's lock file, creating and publishing it if missing. */
struct xs_lock_file *xs_lock_file_open(size_t *size);
/* The current directory's lock file from the cache; release the token. */
struct xs_lock_file *xs_lock_file_get(void **token);
void xs_lock_file_put(void *token);

/* ---- files ---- */
/* Creates (O_EXCL when excl) and sizes a file, maps it shared. Returns the
 * mapping or NULL with errno; *fd_out gets the fd when non-NULL (else it is
 * closed). */
void *xs_map_file(const char *name, size_t size, bool create, bool excl,
                  int *fd_out);
/* Calls fn(domid, arg) for every dom<D>.<ext> of the directory. */
void xs_for_each_domain(const char *ext, void (*fn)(uint16_t domid, void *arg), void *arg);

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

/* ---- leases (lease.c) ----
 * A lease is an id whose file "l<id>" its holder keeps flock()ed through an
 * O_CLOEXEC fd. The kernel drops the flock when the last fd of that open
 * file goes: at close, exit, SIGKILL or exec, never at a thread's exit,
 * and a forked child shares it (as it shares the device fds of the real
 * libraries). State that dies with its holder (event channel ports, grant
 * mappings) names its lease; whoever observes such state first asks
 * xs_lease_alive(), which reaps the state of a dead lease. */
struct xs_lease;
/* Takes a new lease for an event channel handle (lock held). */
struct xs_lease *xs_lease_new(void);
uint32_t xs_lease_id(const struct xs_lease *l);
/* Closes this process's fd of the lease. If that was the last one and
 * reap (lock held), reaps its state and returns true. */
bool xs_lease_drop(struct xs_lease *l, bool reap);
/* This process's lease for its grant mappings (lock held): a process's
 * mappings die with its address space, so a forked child gets its own. */
uint32_t xs_map_lease(int *err);
/* False when the holder of lease `id` is gone (its state is reaped then).
 * Lock held. Ids this process holds answer without a syscall. */
bool xs_lease_alive(uint32_t id);
/* Forgets the leases of the directory being removed. */
void xs_lease_forget_dir(void);
/* Changes in every forked child: a mapping made under another generation
 * was inherited and is not this process's. */
unsigned xs_fork_gen(void);

/* Reaping (lock held): what dies with lease `id`. */
void xs_evt_reap_lease(struct xs_evt_file *evt, uint16_t domid, uint32_t id);
void xs_gnt_reap_lease(struct xs_gnt_file *gnt, uint32_t id);
/* Asks after every leased owner in the table / every holder of a grant, so
 * the dead ones are reaped (lock held). */
void xs_evt_reap_dead(struct xs_evt_file *evt);
/* The same for one port: its owner and its interdomain peer's owner. */
void xs_evt_reap_port(struct xs_evt_file *evt, uint32_t port);
void xs_gnt_reap_dead(struct xs_gnt_file *gnt, uint32_t ref);
/* Recomputes derived counters after a lock holder died (lock held). */
void xs_evt_repair(struct xs_evt_file *evt);

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
/* Active foreign mappings of ref (any holder). */
static inline uint32_t xs_gnt_active(const struct xs_gnt_file *g, uint32_t ref)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < XS_GNT_HOLDERS; i++)
        n += __atomic_load_n(&g->holders[ref][i].count, __ATOMIC_ACQUIRE);
    return n;
}

/* ---- event channels (evtchn.c) ---- */
/* Who acts on a port table: a real handle or a guest domain. */
struct evctx {
    struct xs_evt_file *evt;
    uint16_t domid;
    uint32_t owner;   /* socket id (and, for a handle, its lease) */
    bool leased;      /* a handle: its ports die with its lease */
    int sock;
};
/* The operations, returning a port, 0 or -errno. not_ours: notify's error
 * for a port that is not the caller's (ENOTCONN for a handle as the Linux
 * driver, EINVAL for a guest as Xen). */
int ev_alloc_unbound(struct evctx *c, uint16_t remote);
int ev_bind_interdomain(struct evctx *c, uint32_t domid, uint32_t remote_port);
int ev_notify(struct evctx *c, uint32_t port, int not_ours);
int ev_close(struct evctx *c, uint32_t port);
int ev_unmask(struct evctx *c, uint32_t port);
int ev_pending(struct evctx *c);

/* Makes the bound, non-blocking datagram socket "s<id>". */
int xs_sock_open(uint32_t id);
/* Removes the socket file "s<id>" (its fd stays with whoever has it). */
void xs_sock_unlink(uint32_t id);
/* Frees every port of `evt` (domain `domid`) owned by `owner` (all: every
 * port), as EVTCHNOP_close. Caller holds the lock. */
void xs_evt_close_owned(struct xs_evt_file *evt, uint16_t domid, bool all, uint32_t owner);

#endif

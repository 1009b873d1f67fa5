/*
 * xensim: a hypervisor simulator for machines without Xen.
 *
 * The library exports the real libxengnttab and libxenevtchn functions
 * (declared in <xengnttab.h> and <xenevtchn.h>) with Xen's semantics, so the
 * daemon's unmodified code runs on top of it. This header is the other side:
 * what a simulated guest (and a test) uses to own RAM, grant pages, offer
 * event channels and inspect the simulated hypervisor.
 *
 * All state lives in files under one directory (XENSIM_DIR, on tmpfs), so
 * several processes (daemon, guests, tests) share one "hypervisor":
 *   dom<D>.ram   guest RAM, gfn N at offset N * 4096
 *   dom<D>.gnt   grant table in Xen's v1 format (struct grant_entry_v1),
 *                followed by the active foreign mappings of each entry, per
 *                mapping process
 *   dom<D>.evt   event channel table (port states, peers, mask/pending)
 *   lock         the simulator-wide lock (a robust process-shared mutex)
 *   s<id>        one AF_UNIX datagram socket per event channel handle or
 *                guest domain
 *   l<id>        one lease per event channel handle and per mapping process
 *
 * A process using the real API acts as domain XENSIM_DOMID (default 0).
 *
 * When a process dies (exit, SIGKILL; not when one of its threads exits),
 * what the kernel would release goes, as on Xen + Linux: the ports of its
 * event channel handles are closed (the remote end of an interdomain channel
 * becomes unbound, offered to the dead process's domain again; the guest's
 * notifications meanwhile are dropped) and its grant mappings end (active
 * counts drop, the last clears GTF_reading/GTF_writing). A forked child
 * shares its parent's event channel handles but none of its mappings.
 * See lease.c.
 *
 * Syscalls per call of the real API (the daemon links the simulator, so
 * they count as the daemon's), next to those of the real libraries on
 * Linux (libxenevtchn, libxengnttab over /dev/xen/evtchn and gntdev);
 * tests/unit/xensim/test_syscalls.c counts them:
 *
 *   call                               simulator                real
 *   xenevtchn_notify                   sendto, or none when     ioctl
 *                                      the peer port is masked
 *   xenevtchn_pending                  recvfrom (a second one   read
 *                                      only after re-queueing an
 *                                      undelivered port)
 *   xenevtchn_unmask                   none, or sendto when     write
 *                                      the port was pending
 *   xengnttab_grant_copy               none                     ioctl
 *   xengnttab_map_*grant_ref*          mmap, madvise when the   ioctl, mmap
 *                                      frames are consecutive
 *                                      (always for one page);
 *                                      else mmap per run of
 *                                      consecutive frames + 2
 *   xengnttab_unmap                    munmap                   ioctl, munmap,
 *                                                               ioctl
 *   bind_interdomain, bind_unbound,    a few more, to find      ioctl
 *   xenevtchn_open/close,              dead processes' leases
 *   xengnttab_open/close               (rare calls)
 *
 * The lock takes no syscall unless contended (a futex wait then).
 */
#ifndef XENSIM_H
#define XENSIM_H

#include <stdbool.h>
#include <stdint.h>

#define XENSIM_PAGE_SIZE 4096u
#define XENSIM_NR_GRANTS 8192u   /* grant entries per domain */
#define XENSIM_NR_PORTS  1024u   /* event channel ports per domain */

/* Creates (if needed) the simulator directory and exports it as XENSIM_DIR
 * for this process and its children. dir NULL: a fresh /dev/shm/xensim.XXXXXX.
 * Returns 0 or -errno. */
int xensim_setup(const char *dir);
/* The directory in use (XENSIM_DIR), or NULL when none is set. */
const char *xensim_dir(void);
/* Removes every file of the simulator directory and the directory. */
int xensim_teardown(void);

/* ---- Guest domains ------------------------------------------------------ */
struct xensim_domain;

/* Creates domain `domid` with nr_pages of RAM, an empty grant table and no
 * event channels. Fails with NULL/errno EEXIST if it exists. */
struct xensim_domain *xensim_domain_create(uint16_t domid, uint32_t nr_pages);
/* Destroys the domain: its files go away; pages still mapped by a backend
 * stay valid for that backend (as with a dying domain) until unmapped; its
 * bound event channels are closed (peers see ECONNRESET-like silence). */
void xensim_domain_destroy(struct xensim_domain *d);
uint16_t xensim_domain_id(const struct xensim_domain *d);

/* Guest RAM. Page allocation is a simple allocator over the domain's RAM. */
int64_t xensim_alloc_page(struct xensim_domain *d);      /* gfn or -errno */
void xensim_free_page(struct xensim_domain *d, uint32_t gfn);
void *xensim_page(struct xensim_domain *d, uint32_t gfn); /* NULL if out of range */

/* Grant table, guest side (what Linux's gnttab_grant_foreign_access does).
 * Returns the grant ref (>= GNTTAB_NR_RESERVED_ENTRIES) or -errno. */
int64_t xensim_grant_access(struct xensim_domain *d, uint16_t to_domid,
                            uint32_t gfn, bool readonly);
/* Revokes a grant; -EBUSY while a foreign mapping of it exists (as
 * gnttab_end_foreign_access_ref fails while GTF_reading/writing are set).
 * Mappings of a process that died are gone, as on Xen. */
int xensim_end_access(struct xensim_domain *d, uint32_t ref);
/* The flags of a grant entry as the guest reads them (GTF_reading and
 * GTF_writing while mapped), or -EINVAL for a bad ref. */
int xensim_grant_flags(struct xensim_domain *d, uint32_t ref);
/* Writes an arbitrary v1 entry (for hostile-guest tests). */
int xensim_grant_set_raw(struct xensim_domain *d, uint32_t ref, uint16_t flags,
                         uint16_t domid, uint32_t frame);

/* Event channels, guest side. */
/* Allocates a port that `remote_domid` may bind to (EVTCHNOP_alloc_unbound). */
int xensim_evtchn_alloc_unbound(struct xensim_domain *d, uint16_t remote_domid);
/* An fd that becomes readable when one of the domain's ports is notified. */
int xensim_evtchn_fd(struct xensim_domain *d);
/* Reads one pending port without blocking: port, or -EAGAIN if none.
 * The port stays masked until xensim_evtchn_unmask, as with the real driver. */
int xensim_evtchn_pending(struct xensim_domain *d);
int xensim_evtchn_unmask(struct xensim_domain *d, uint32_t port);
int xensim_evtchn_notify(struct xensim_domain *d, uint32_t port);
int xensim_evtchn_close(struct xensim_domain *d, uint32_t port);

/* ---- Introspection (leak checks) ------------------------------------------ */
/* Active foreign mappings of grants of domain `domid` (any mapper). A
 * process's mappings end with it (exit, SIGKILL) as gntdev's do. */
int xensim_count_mappings(uint16_t domid);
/* Active foreign mappings of one grant: count, -EINVAL (bad ref) or -ESRCH
 * (no such domain). */
int xensim_count_grant_mappings(uint16_t domid, uint32_t ref);
/* Event channel ports of domain `domid` that are bound (unbound-offered ports
 * and interdomain-bound ports). */
int xensim_count_bound_ports(uint16_t domid);
/* EVTCHNOP_status: the state of `port` of domain `domid` and, unbound,
 * who may bind it or, interdomain, its peer. 0, -ESRCH (no such domain) or
 * -EINVAL (port out of range). */
enum { XENSIM_EVTCHN_CLOSED = 0, XENSIM_EVTCHN_UNBOUND = 1, XENSIM_EVTCHN_INTERDOMAIN = 2 };
struct xensim_evtchn_status {
    int state;
    uint16_t remote_dom;
    uint32_t remote_port;
};
int xensim_evtchn_status(uint16_t domid, uint32_t port, struct xensim_evtchn_status *st);
/* Grant copies performed (segments, any status) since setup: lets tests see
 * that data moved by copy rather than by mapping. */
uint64_t xensim_count_copy_segments(void);

#endif

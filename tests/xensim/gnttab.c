/*
 * xensim: the real xengnttab_* API. The caller is domain XENSIM_DOMID.
 *
 * Grant checks are those of Xen's map_grant_ref / acquire_grant_for_copy for
 * v1 entries: type GTF_permit_access, entry domid == caller, no write access
 * to a GTF_readonly entry, ref < XENSIM_NR_GRANTS, frame < domain's pages.
 * Maps set GTF_reading (and GTF_writing) in the shared entry with a
 * compare-and-swap that also re-validates it, as Xen does, and count active
 * mappings per entry and mapping process (its map lease, see lease.c); the
 * last unmap clears the bits. A process's mappings die with it.
 */
#include "shared.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xengnttab.h>

/* Far above any real use; keeps count * page size and allocations sane. */
#define XENSIM_MAX_MAP_PAGES (1u << 20)

struct page_map {
    struct xs_gdom *g;   /* holds the granting domain's files */
    uint32_t ref;
    uint32_t frame;
};

struct mapping {
    struct mapping *next;
    uint8_t *start;
    uint32_t count;
    uint32_t lease;      /* the mapping process's map lease */
    unsigned fork_gen;   /* another generation: inherited, not mapped here */
    struct page_map pages[];
};

struct xengntdev_handle {
    pthread_mutex_t mu;
    struct mapping *maps;
    uint32_t max_grants;     /* 0: no limit */
    uint32_t mapped_pages;
    uint16_t self;
};

/* Validates ref of g for domain `self` and, when pin, sets GTF_reading /
 * GTF_writing atomically against a concurrent guest rewrite. */
static int16_t check_grant(struct xs_gdom *g, uint32_t ref, uint16_t self, bool write,
                           bool pin, uint32_t *frame)
{
    if (ref >= XENSIM_NR_GRANTS)
        return GNTST_bad_gntref;
    for (int retries = 0; retries < 5; retries++) {
        uint64_t raw = __atomic_load_n(&g->gnt->entries[ref], __ATOMIC_ACQUIRE);
        struct grant_entry_v1 e;
        memcpy(&e, &raw, sizeof(e));
        if ((e.flags & GTF_type_mask) != GTF_permit_access || e.domid != self)
            return GNTST_permission_denied;
        if (write && (e.flags & GTF_readonly))
            return GNTST_permission_denied;
        if (e.frame >= g->gnt->nr_pages)
            return GNTST_bad_page;
        *frame = e.frame;
        if (!pin)
            return GNTST_okay;
        e.flags |= (uint16_t)(GTF_reading | (write ? GTF_writing : 0));
        if (__atomic_compare_exchange_n(&g->gnt->entries[ref], &raw, xs_gnt_raw(e), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return GNTST_okay;
    }
    return GNTST_general_error; /* "Shared grant entry is unstable" in Xen */
}

static void clear_busy_flags(struct xs_gdom *g, uint32_t ref)
{
    uint64_t raw = __atomic_load_n(&g->gnt->entries[ref], __ATOMIC_ACQUIRE);
    for (;;) {
        struct grant_entry_v1 e;
        memcpy(&e, &raw, sizeof(e));
        if (!(e.flags & (GTF_reading | GTF_writing)))
            return;
        e.flags &= (uint16_t)~(GTF_reading | GTF_writing);
        if (__atomic_compare_exchange_n(&g->gnt->entries[ref], &raw, xs_gnt_raw(e), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
}

/* Counts one more mapping of ref by `lease` (lock held); false when every
 * holder slot is taken by live processes (Xen's maptrack is full). */
static bool hold(struct xs_gdom *g, uint32_t ref, uint32_t lease)
{
    struct xs_gnt_holder *hs = g->gnt->holders[ref];
    for (uint32_t i = 0; i < XS_GNT_HOLDERS; i++) {
        if (hs[i].count && hs[i].lease == lease) {
            __atomic_store_n(&hs[i].count, hs[i].count + 1, __ATOMIC_RELEASE);
            return true;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < XS_GNT_HOLDERS; i++) {
            if (!hs[i].count) {
                hs[i].lease = lease;   /* count 0: still a free slot */
                __atomic_store_n(&hs[i].count, 1, __ATOMIC_RELEASE);
                return true;
            }
        }
        if (pass == 0)
            xs_gnt_reap_dead(g->gnt, ref);
    }
    return false;
}

/* Drops one mapping of ref by `lease`; the last one clears GTF_reading and
 * GTF_writing, before the count drops, so a process killed in between
 * leaves a count for the reaper rather than flags nobody clears. Lock held
 * (so no map is between its check and its increment). */
static void unhold(struct xs_gdom *g, uint32_t ref, uint32_t lease)
{
    struct xs_gnt_holder *hs = g->gnt->holders[ref];
    for (uint32_t i = 0; i < XS_GNT_HOLDERS; i++) {
        if (!hs[i].count || hs[i].lease != lease)
            continue;
        if (xs_gnt_active(g->gnt, ref) == 1)
            clear_busy_flags(g, ref);
        __atomic_store_n(&hs[i].count, hs[i].count - 1, __ATOMIC_RELEASE);
        return;
    }
}

void xs_gnt_reap_lease(struct xs_gnt_file *gnt, uint32_t id)
{
    struct xs_gdom g = {.gnt = gnt};
    for (uint32_t ref = 0; ref < XENSIM_NR_GRANTS; ref++) {
        for (uint32_t i = 0; i < XS_GNT_HOLDERS; i++) {
            struct xs_gnt_holder *h = &gnt->holders[ref][i];
            if (!h->count || h->lease != id)
                continue;
            if (xs_gnt_active(gnt, ref) == h->count)
                clear_busy_flags(&g, ref);
            __atomic_store_n(&h->count, 0, __ATOMIC_RELEASE);
        }
    }
}

void xs_gnt_reap_dead(struct xs_gnt_file *gnt, uint32_t ref)
{
    for (uint32_t i = 0; i < XS_GNT_HOLDERS; i++) {
        uint32_t lease = gnt->holders[ref][i].lease;
        if (gnt->holders[ref][i].count)
            xs_lease_alive(lease);
    }
}

/* Undoes pages [0, n) of m; the caller unmaps the address range. */
static void release_pages(struct mapping *m, uint32_t n)
{
    /* Without the lock (directory gone) still drop counts: they are atomic. */
    bool locked = xs_lock() == 0;
    for (uint32_t i = 0; i < n; i++) {
        unhold(m->pages[i].g, m->pages[i].ref, m->lease);
        xs_gdom_put(m->pages[i].g);
    }
    if (locked)
        xs_unlock();
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    (void)logger;
    (void)open_flags;
    if (!xensim_dir()) {
        errno = ENOENT;  /* as without /dev/xen/gntdev */
        return NULL;
    }
    xengnttab_handle *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    int r = pthread_mutex_init(&h->mu, NULL);
    if (r != 0) {
        free(h);
        errno = r;
        return NULL;
    }
    h->self = xs_self_domid();
    return h;
}

static void mapping_destroy(struct mapping *m)
{
    if (m->fork_gen == xs_fork_gen()) {
        munmap(m->start, (size_t)m->count * XENSIM_PAGE_SIZE);
        release_pages(m, m->count);
    } else {
        /* Inherited by fork: not in this address space (MADV_DONTFORK), and
         * its grants are held by the parent's lease, not ours. */
        for (uint32_t i = 0; i < m->count; i++)
            xs_gdom_put(m->pages[i].g);
    }
    free(m);
}

int xengnttab_close(xengnttab_handle *xgt)
{
    if (!xgt)
        return 0;
    /* As when the gntdev fd closes: every mapping goes away. */
    struct mapping *m = xgt->maps, *next;
    for (; m; m = next) {
        next = m->next;
        mapping_destroy(m);
    }
    pthread_mutex_destroy(&xgt->mu);
    free(xgt);
    return 0;
}

int xengnttab_fd(xengnttab_handle *xgt)
{
    (void)xgt;
    errno = ENOSYS;  /* no device behind the simulator */
    return -1;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    pthread_mutex_lock(&xgt->mu);
    xgt->max_grants = nr_grants;
    pthread_mutex_unlock(&xgt->mu);
    return 0;
}

/* Maps m's pinned pages at one address range: one mmap when they are
 * consecutive frames of one domain (always for one page), else a reserved
 * range and one mmap per run of consecutive frames. MADV_DONTFORK: a forked
 * child does not get gntdev mappings (VM_DONTCOPY). 0 or errno. */
static int map_pages(struct mapping *m, int prot)
{
    size_t len = (size_t)m->count * XENSIM_PAGE_SIZE;
    uint32_t run = 1;
    while (run < m->count && m->pages[run].g == m->pages[0].g &&
           m->pages[run].frame == m->pages[0].frame + run)
        run++;
    uint8_t *base;
    if (run == m->count) {
        base = mmap(NULL, len, prot, MAP_SHARED, m->pages[0].g->ram_fd,
                    (off_t)m->pages[0].frame * XENSIM_PAGE_SIZE);
        if (base == MAP_FAILED)
            return errno;
    } else {
        base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED)
            return errno;
        for (uint32_t i = 0; i < m->count; i += run) {
            run = 1;
            while (i + run < m->count && m->pages[i + run].g == m->pages[i].g &&
                   m->pages[i + run].frame == m->pages[i].frame + run)
                run++;
            void *p = mmap(base + (size_t)i * XENSIM_PAGE_SIZE, (size_t)run * XENSIM_PAGE_SIZE,
                           prot, MAP_SHARED | MAP_FIXED, m->pages[i].g->ram_fd,
                           (off_t)m->pages[i].frame * XENSIM_PAGE_SIZE);
            if (p == MAP_FAILED) {
                int e = errno;
                munmap(base, len);
                return e;
            }
        }
    }
    if (madvise(base, len, MADV_DONTFORK) < 0) {
        int e = errno;
        munmap(base, len);
        return e;
    }
    m->start = base;
    return 0;
}

/* domids: one per ref (stride 1) or a single one (stride 0). */
static void *map_refs(xengnttab_handle *h, uint32_t count, const uint32_t *domids,
                      size_t stride, const uint32_t *refs, int prot)
{
    if (count == 0 || !refs || !domids || count > XENSIM_MAX_MAP_PAGES) {
        errno = EINVAL;
        return NULL;
    }
    bool write = (prot & PROT_WRITE) != 0;
    int mprot = PROT_READ | (write ? PROT_WRITE : 0);

    /* The gntdev limit: mapping more than set_max_grants pages fails. */
    pthread_mutex_lock(&h->mu);
    bool over = h->max_grants && (uint64_t)h->mapped_pages + count > h->max_grants;
    if (!over)
        h->mapped_pages += count;
    pthread_mutex_unlock(&h->mu);
    if (over) {
        errno = ENOMEM;
        return NULL;
    }

    struct mapping *m = calloc(1, sizeof(*m) + (size_t)count * sizeof(m->pages[0]));
    int err = ENOMEM;
    if (!m)
        goto fail;
    m->count = count;
    m->fork_gen = xs_fork_gen();

    /* Pin every page first (as gntdev's map ioctl, then its mmap). */
    int r = xs_lock();
    if (r < 0) {
        err = -r;
        goto fail;
    }
    m->lease = xs_map_lease(&err);
    uint32_t i = 0;
    if (m->lease)
        err = 0;
    for (; !err && i < count; i++) {
        uint32_t domid = domids[i * stride];
        struct xs_gdom *g = domid <= UINT16_MAX ? xs_gdom_get((uint16_t)domid) : NULL;
        if (!g) {
            err = EINVAL;   /* GNTST_bad_domain */
            break;
        }
        /* Counted before the entry is pinned: a process killed in between
         * leaves a count the reaper drops, never GTF_reading nobody clears.
         * gntdev turns any failed map op into EINVAL. */
        if (refs[i] >= XENSIM_NR_GRANTS || !hold(g, refs[i], m->lease)) {
            xs_gdom_put(g);
            err = EINVAL;
            break;
        }
        if (check_grant(g, refs[i], h->self, write, true, &m->pages[i].frame) != GNTST_okay) {
            unhold(g, refs[i], m->lease);
            xs_gdom_put(g);
            err = EINVAL;
            break;
        }
        m->pages[i].g = g;
        m->pages[i].ref = refs[i];
    }
    xs_unlock();
    if (err) {
        release_pages(m, i);
        goto fail;
    }
    err = map_pages(m, mprot);
    if (err) {
        release_pages(m, count);
        goto fail;
    }
    pthread_mutex_lock(&h->mu);
    m->next = h->maps;
    h->maps = m;
    pthread_mutex_unlock(&h->mu);
    return m->start;
fail:
    free(m);
    pthread_mutex_lock(&h->mu);
    h->mapped_pages -= count;
    pthread_mutex_unlock(&h->mu);
    errno = err;
    return NULL;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
    return map_refs(xgt, 1, &domid, 0, &ref, prot);
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
    return map_refs(xgt, count, domids, 1, refs, prot);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    return map_refs(xgt, count, &domid, 0, refs, prot);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    pthread_mutex_lock(&xgt->mu);
    struct mapping **pp = &xgt->maps;
    while (*pp && (*pp)->start != start_address)
        pp = &(*pp)->next;
    struct mapping *m = *pp;
    /* gntdev finds the map by exact start and count, else EINVAL. */
    if (!m || m->count != count) {
        pthread_mutex_unlock(&xgt->mu);
        errno = EINVAL;
        return -1;
    }
    if (m->fork_gen != xs_fork_gen()) {
        /* A forked child has no such mapping (gntdev finds no vma). */
        pthread_mutex_unlock(&xgt->mu);
        errno = EINVAL;
        return -1;
    }
    *pp = m->next;
    xgt->mapped_pages -= count;
    pthread_mutex_unlock(&xgt->mu);
    mapping_destroy(m);
    return 0;
}

/* One side of a copy: a grant of another domain, or a local pointer. */
static int16_t copy_side(const union xengnttab_copy_ptr *ptr, bool gref, bool write,
                         uint16_t len, uint16_t self, struct xs_gdom **g, uint8_t **addr)
{
    *g = NULL;
    if (!gref) {
        *addr = ptr->virt;
        return GNTST_okay;
    }
    *g = xs_gdom_get(ptr->foreign.domid);
    if (!*g)
        return GNTST_bad_domain;
    uint32_t frame = 0;
    int16_t st = check_grant(*g, ptr->foreign.ref, self, write, false, &frame);
    if (st != GNTST_okay)
        return st;
    if ((uint32_t)ptr->foreign.offset + len > XENSIM_PAGE_SIZE)
        return GNTST_bad_copy_arg;
    *addr = (*g)->ram + (size_t)frame * XENSIM_PAGE_SIZE + ptr->foreign.offset;
    return GNTST_okay;
}

static int16_t copy_one(xengnttab_grant_copy_segment_t *s, uint16_t self)
{
    if (s->len == 0)
        return GNTST_okay;  /* gntdev issues no hypercall for it */
    struct xs_gdom *gs = NULL, *gd = NULL;
    uint8_t *src = NULL, *dst = NULL;
    int16_t st = copy_side(&s->source, s->flags & GNTCOPY_source_gref, false, s->len, self,
                           &gs, &src);
    if (st == GNTST_okay)
        st = copy_side(&s->dest, s->flags & GNTCOPY_dest_gref, true, s->len, self, &gd, &dst);
    if (st == GNTST_okay)
        memmove(dst, src, s->len);
    xs_gdom_put(gs);
    xs_gdom_put(gd);
    return st;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
    if (count && !segs) {
        errno = EFAULT;
        return -1;
    }
    /* A NULL local pointer would be EFAULT for the whole ioctl. */
    for (uint32_t i = 0; i < count; i++) {
        if ((!(segs[i].flags & GNTCOPY_source_gref) && !segs[i].source.virt && segs[i].len) ||
            (!(segs[i].flags & GNTCOPY_dest_gref) && !segs[i].dest.virt && segs[i].len)) {
            errno = EFAULT;
            return -1;
        }
    }
    for (uint32_t i = 0; i < count; i++)
        segs[i].status = copy_one(&segs[i], xgt->self);
    xs_stats_add_copy(count);
    return 0;
}

/*
 * xensim: the real xengnttab_* API. The caller is domain XENSIM_DOMID.
 *
 * Grant checks are those of Xen's map_grant_ref / acquire_grant_for_copy for
 * v1 entries: type GTF_permit_access, entry domid == caller, no write access
 * to a GTF_readonly entry, ref < XENSIM_NR_GRANTS, frame < domain's pages.
 * Maps set GTF_reading (and GTF_writing) in the shared entry with a
 * compare-and-swap that also re-validates it, as Xen does, and count active
 * mappings per entry; the last unmap clears the bits.
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
};

struct mapping {
    struct mapping *next;
    uint8_t *start;
    uint32_t count;
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

/* Drops one active mapping of ref; the last clears GTF_reading|writing.
 * Caller holds the lock (so no map is between its check and increment). */
static void unpin(struct xs_gdom *g, uint32_t ref)
{
    if (__atomic_sub_fetch(&g->gnt->active[ref], 1, __ATOMIC_ACQ_REL) != 0)
        return;
    uint64_t raw = __atomic_load_n(&g->gnt->entries[ref], __ATOMIC_ACQUIRE);
    for (;;) {
        struct grant_entry_v1 e;
        memcpy(&e, &raw, sizeof(e));
        e.flags &= (uint16_t)~(GTF_reading | GTF_writing);
        if (__atomic_compare_exchange_n(&g->gnt->entries[ref], &raw, xs_gnt_raw(e), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
}

/* Undoes pages [0, n) of m; the caller unmaps the address range. */
static void release_pages(struct mapping *m, uint32_t n)
{
    /* Without the lock (directory gone) still drop counts: they are atomic. */
    bool locked = xs_lock() == 0;
    for (uint32_t i = 0; i < n; i++) {
        unpin(m->pages[i].g, m->pages[i].ref);
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
    munmap(m->start, (size_t)m->count * XENSIM_PAGE_SIZE);
    release_pages(m, m->count);
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

    size_t len = (size_t)count * XENSIM_PAGE_SIZE;
    struct mapping *m = calloc(1, sizeof(*m) + (size_t)count * sizeof(m->pages[0]));
    void *base = MAP_FAILED;
    int err = ENOMEM;
    if (!m)
        goto fail;
    base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        err = errno;
        goto fail;
    }
    m->start = base;
    m->count = count;

    int r = xs_lock();
    if (r < 0) {
        err = -r;
        goto fail;
    }
    uint32_t i;
    err = 0;
    for (i = 0; i < count; i++) {
        uint32_t domid = domids[i * stride], frame = 0;
        struct xs_gdom *g = domid <= UINT16_MAX ? xs_gdom_get((uint16_t)domid) : NULL;
        if (!g) {
            err = EINVAL;   /* GNTST_bad_domain */
            break;
        }
        if (check_grant(g, refs[i], h->self, write, true, &frame) != GNTST_okay) {
            xs_gdom_put(g);
            err = EINVAL;   /* gntdev turns any failed map op into EINVAL */
            break;
        }
        __atomic_add_fetch(&g->gnt->active[refs[i]], 1, __ATOMIC_ACQ_REL);
        m->pages[i].g = g;
        m->pages[i].ref = refs[i];
        void *p = mmap(m->start + (size_t)i * XENSIM_PAGE_SIZE, XENSIM_PAGE_SIZE, mprot,
                       MAP_SHARED | MAP_FIXED, g->ram_fd, (off_t)frame * XENSIM_PAGE_SIZE);
        if (p == MAP_FAILED) {
            err = errno;
            i++;            /* page i is pinned: undo it too */
            break;
        }
    }
    xs_unlock();
    if (err) {
        release_pages(m, i);
        goto fail;
    }
    pthread_mutex_lock(&h->mu);
    m->next = h->maps;
    h->maps = m;
    pthread_mutex_unlock(&h->mu);
    return base;
fail:
    if (base != MAP_FAILED)
        munmap(base, len);
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

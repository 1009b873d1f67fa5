/* xensim: guest domains (RAM, page allocator) and the guest grant API. */
#include "shared.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void dom_name(char *buf, size_t len, uint16_t domid, const char *ext)
{
    snprintf(buf, len, "dom%u.%s", (unsigned)domid, ext);
}

static void dom_unlink(uint16_t domid, const char *ext)
{
    char name[32], path[PATH_MAX];
    dom_name(name, sizeof(name), domid, ext);
    if (xs_path(path, sizeof(path), name) == 0)
        unlink(path);
}

static void dom_free(struct xensim_domain *d)
{
    if (d->ram)
        munmap(d->ram, d->ram_size);
    if (d->gnt)
        munmap(d->gnt, sizeof(*d->gnt));
    if (d->evt)
        munmap(d->evt, sizeof(*d->evt));
    if (d->sock >= 0) {
        xs_sock_unlink(d->sock_id);
        close(d->sock);
    }
    free(d->page_used);
    free(d->ref_used);
    free(d);
}

struct xensim_domain *xensim_domain_create(uint16_t domid, uint32_t nr_pages)
{
    char name[32];
    if (nr_pages == 0 || nr_pages > (UINT32_MAX / XENSIM_PAGE_SIZE)) {
        errno = EINVAL;
        return NULL;
    }
    struct xensim_domain *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->domid = domid;
    d->nr_pages = nr_pages;
    d->sock = -1;
    d->ram_size = (size_t)nr_pages * XENSIM_PAGE_SIZE;
    d->page_used = calloc(nr_pages, 1);
    d->ref_used = calloc(XENSIM_NR_GRANTS, 1);
    if (!d->page_used || !d->ref_used) {
        dom_free(d);
        errno = ENOMEM;
        return NULL;
    }
    memset(d->ref_used, 1, GNTTAB_NR_RESERVED_ENTRIES); /* as Linux guests */

    int r = xs_lock();
    if (r < 0) {
        dom_free(d);
        errno = -r;
        return NULL;
    }
    int err = 0;
    bool made_ram = false, made_evt = false;
    /* RAM and event table first, grant table magic last: others treat the
     * domain as existing once dom<D>.gnt carries its magic. */
    dom_name(name, sizeof(name), domid, "ram");
    d->ram = xs_map_file(name, d->ram_size, true, true, NULL);
    if (!d->ram) {
        err = errno;
        goto fail;
    }
    made_ram = true;
    dom_name(name, sizeof(name), domid, "evt");
    d->evt = xs_map_file(name, sizeof(*d->evt), true, false, NULL);
    if (!d->evt) {
        err = errno;
        goto fail;
    }
    made_evt = true;
    if (d->evt->magic != XS_MAGIC_EVT) {
        memset(d->evt, 0, sizeof(*d->evt));
        __atomic_store_n(&d->evt->magic, XS_MAGIC_EVT, __ATOMIC_RELEASE);
    }
    dom_name(name, sizeof(name), domid, "gnt");
    d->gnt = xs_map_file(name, sizeof(*d->gnt), true, true, NULL);
    if (!d->gnt) {
        err = errno;
        goto fail;
    }
    d->gnt->nr_pages = nr_pages;
    __atomic_store_n(&d->gnt->magic, XS_MAGIC_GNT, __ATOMIC_RELEASE);
    d->sock_id = xs_new_id();
    xs_unlock();

    d->sock = xs_sock_open(d->sock_id);
    if (d->sock < 0) {
        err = errno;
        xensim_domain_destroy(d);
        errno = err;
        return NULL;
    }
    return d;
fail:
    if (made_evt)
        dom_unlink(domid, "evt");
    if (made_ram)
        dom_unlink(domid, "ram");
    xs_unlock();
    dom_free(d);
    errno = err;
    return NULL;
}

void xensim_domain_destroy(struct xensim_domain *d)
{
    if (!d)
        return;
    /* Proceed without the lock if it is gone (directory removed): the
     * files must go and memory must be freed anyway. */
    bool locked = xs_lock() == 0;
    xs_evt_close_owned(d->evt, d->domid, true, 0);
    __atomic_store_n(&d->gnt->dead, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&d->evt->dead, 1, __ATOMIC_RELEASE);
    dom_unlink(d->domid, "gnt");
    dom_unlink(d->domid, "evt");
    dom_unlink(d->domid, "ram");
    if (locked)
        xs_unlock();
    dom_free(d);
}

uint16_t xensim_domain_id(const struct xensim_domain *d)
{
    return d->domid;
}

int64_t xensim_alloc_page(struct xensim_domain *d)
{
    for (uint32_t gfn = 0; gfn < d->nr_pages; gfn++) {
        if (!d->page_used[gfn]) {
            d->page_used[gfn] = 1;
            memset(d->ram + (size_t)gfn * XENSIM_PAGE_SIZE, 0, XENSIM_PAGE_SIZE);
            return gfn;
        }
    }
    return -ENOMEM;
}

void xensim_free_page(struct xensim_domain *d, uint32_t gfn)
{
    if (gfn < d->nr_pages)
        d->page_used[gfn] = 0;
}

void *xensim_page(struct xensim_domain *d, uint32_t gfn)
{
    if (gfn >= d->nr_pages)
        return NULL;
    return d->ram + (size_t)gfn * XENSIM_PAGE_SIZE;
}

int64_t xensim_grant_access(struct xensim_domain *d, uint16_t to_domid,
                            uint32_t gfn, bool readonly)
{
    if (gfn >= d->nr_pages)
        return -EINVAL;
    for (uint32_t ref = GNTTAB_NR_RESERVED_ENTRIES; ref < XENSIM_NR_GRANTS; ref++) {
        if (d->ref_used[ref])
            continue;
        d->ref_used[ref] = 1;
        struct grant_entry_v1 e = {
            .flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
            .domid = to_domid,
            .frame = gfn,
        };
        /* One 64-bit store: Xen never sees flags without domid/frame. */
        xs_gnt_store(d->gnt, ref, e);
        return ref;
    }
    return -ENOSPC; /* as gnttab_grant_foreign_access without free refs */
}

/* Takes the lock for a look at grant ref of d; mappings of it by a process
 * that died are dropped first (the kernel has unmapped them). 0 or -errno. */
static int lock_grant(struct xensim_domain *d, uint32_t ref)
{
    if (ref >= XENSIM_NR_GRANTS)
        return -EINVAL;
    int r = xs_lock();
    if (r < 0)
        return r;
    if (xs_gnt_active(d->gnt, ref) != 0)
        xs_gnt_reap_dead(d->gnt, ref);
    return 0;
}

int xensim_end_access(struct xensim_domain *d, uint32_t ref)
{
    /* Under the lock a map cannot slip in between the check and the clear. */
    int r = lock_grant(d, ref);
    if (r < 0)
        return r;
    struct grant_entry_v1 e = xs_gnt_load(d->gnt, ref);
    if (xs_gnt_active(d->gnt, ref) != 0 || (e.flags & (GTF_reading | GTF_writing))) {
        xs_unlock();
        return -EBUSY;
    }
    xs_gnt_store(d->gnt, ref, (struct grant_entry_v1){0});
    xs_unlock();
    if (ref >= GNTTAB_NR_RESERVED_ENTRIES)
        d->ref_used[ref] = 0;
    return 0;
}

int xensim_grant_flags(struct xensim_domain *d, uint32_t ref)
{
    int r = lock_grant(d, ref);
    if (r < 0)
        return r;
    uint16_t flags = xs_gnt_load(d->gnt, ref).flags;
    xs_unlock();
    return flags;
}

int xensim_grant_set_raw(struct xensim_domain *d, uint32_t ref, uint16_t flags,
                         uint16_t domid, uint32_t frame)
{
    if (ref >= XENSIM_NR_GRANTS)
        return -EINVAL;
    int r = xs_lock();
    if (r < 0)
        return r;
    xs_gnt_store(d->gnt, ref, (struct grant_entry_v1){
        .flags = flags, .domid = domid, .frame = frame});
    xs_unlock();
    d->ref_used[ref] = 1;
    return 0;
}

/* xensim: grant mapping and grant copy through the real xengnttab API. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "sim_fixture.h"

/* A guest page granted to dom0; returns the ref, *gfn and *page. */
static int64_t grant_page(struct xensim_domain *d, bool ro, uint32_t *gfn, unsigned char **page)
{
    int64_t g = xensim_alloc_page(d);
    if (g < 0)
        return g;
    *gfn = (uint32_t)g;
    *page = xensim_page(d, *gfn);
    sim_fill(*page, *gfn + 1);
    return xensim_grant_access(d, 0, *gfn, ro);
}

SIM_DOMAIN_TEST(map_shares_memory_both_ways, 16)
{
    uint32_t gfn;
    unsigned char *page;
    int64_t ref = grant_page(d, false, &gfn, &page);
    REQUIRE(ref >= 8);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    unsigned char *m = xengnttab_map_grant_ref(h, 1, (uint32_t)ref, PROT_READ | PROT_WRITE);
    REQUIRE(m);
    CHECK_MEM_EQ(m, page, XENSIM_PAGE_SIZE);
    m[100] = 0xAB;                      /* backend writes, guest sees */
    CHECK_INT_EQ(page[100], 0xAB);
    page[4095] = 0x5A;                  /* guest writes, backend sees */
    CHECK_INT_EQ(m[4095], 0x5A);
    CHECK_INT_EQ(xensim_count_mappings(1), 1);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)ref), -EBUSY);
    CHECK_INT_EQ(xengnttab_unmap(h, m, 1), 0);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)ref), 0);
    CHECK_INT_EQ(xengnttab_close(h), 0);
}

SIM_DOMAIN_TEST(map_readonly_grant, 4)
{
    uint32_t gfn;
    unsigned char *page;
    int64_t ref = grant_page(d, true, &gfn, &page);
    REQUIRE(ref >= 8);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    errno = 0;
    CHECK(xengnttab_map_grant_ref(h, 1, (uint32_t)ref, PROT_READ | PROT_WRITE) == NULL);
    CHECK_INT_EQ(errno, EINVAL);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
    unsigned char *m = xengnttab_map_grant_ref(h, 1, (uint32_t)ref, PROT_READ);
    REQUIRE(m);
    CHECK_MEM_EQ(m, page, XENSIM_PAGE_SIZE);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)ref), -EBUSY);
    CHECK_INT_EQ(xengnttab_unmap(h, m, 1), 0);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)ref), 0);
    xengnttab_close(h);
}

/* Expects a single-page map of (domid, ref) to fail with EINVAL. */
static void check_map_fails(xengnttab_handle *h, uint32_t domid, uint32_t ref, int prot)
{
    errno = 0;
    void *m = xengnttab_map_grant_ref(h, domid, ref, prot);
    CHECK(m == NULL);
    CHECK_INT_EQ(errno, EINVAL);
    if (m)
        xengnttab_unmap(h, m, 1);
}

SIM_DOMAIN_TEST(map_denials, 8)
{
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    int rw = PROT_READ | PROT_WRITE;
    /* never granted */
    check_map_fails(h, 1, 20, PROT_READ);
    /* granted to another domain */
    int64_t other = xensim_grant_access(d, 5, 0, false);
    REQUIRE(other >= 8);
    check_map_fails(h, 1, (uint32_t)other, PROT_READ);
    /* revoked */
    int64_t ref = xensim_grant_access(d, 0, 1, false);
    REQUIRE(ref >= 8);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)ref), 0);
    check_map_fails(h, 1, (uint32_t)ref, rw);
    /* wrong type (accept_transfer), readonly with write prot */
    CHECK_INT_EQ(xensim_grant_set_raw(d, 30, GTF_accept_transfer, 0, 1), 0);
    check_map_fails(h, 1, 30, PROT_READ);
    CHECK_INT_EQ(xensim_grant_set_raw(d, 31, GTF_permit_access | GTF_readonly, 0, 1), 0);
    check_map_fails(h, 1, 31, rw);
    /* bad ref, unknown domain, frame out of the domain's RAM */
    check_map_fails(h, 1, XENSIM_NR_GRANTS, PROT_READ);
    check_map_fails(h, 1, UINT32_MAX, PROT_READ);
    check_map_fails(h, 9, 8, PROT_READ);
    CHECK_INT_EQ(xensim_grant_set_raw(d, 32, GTF_permit_access, 0, 8), 0);
    check_map_fails(h, 1, 32, PROT_READ);
    CHECK_INT_EQ(xensim_grant_set_raw(d, 33, GTF_permit_access, 0, 7), 0);
    void *ok = xengnttab_map_grant_ref(h, 1, 33, rw);  /* last frame is fine */
    CHECK(ok != NULL);
    if (ok)
        CHECK_INT_EQ(xengnttab_unmap(h, ok, 1), 0);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
    xengnttab_close(h);
}

SIM_DOMAIN_TEST(map_failure_undoes_earlier_pages, 8)
{
    uint32_t refs[3];
    for (int i = 0; i < 2; i++) {
        int64_t r = xensim_grant_access(d, 0, (uint32_t)i, false);
        REQUIRE(r >= 8);
        refs[i] = (uint32_t)r;
    }
    refs[2] = 4000; /* not granted */
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    errno = 0;
    CHECK(xengnttab_map_domain_grant_refs(h, 3, 1, refs, PROT_READ | PROT_WRITE) == NULL);
    CHECK_INT_EQ(errno, EINVAL);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
    CHECK_INT_EQ(xensim_end_access(d, refs[0]), 0);  /* GTF_reading cleared */
    CHECK_INT_EQ(xensim_end_access(d, refs[1]), 0);
    xengnttab_close(h);
}

SIM_TEST(map_domain_refs_contiguous)
{
    enum { N = 5 };
    struct xensim_domain *d = xensim_domain_create(1, 32);
    REQUIRE(d);
    uint32_t refs[N];
    unsigned char *pages[N];
    for (int i = 0; i < N; i++) {
        uint32_t gfn = (uint32_t)(20 - 3 * i);  /* scattered, descending */
        pages[i] = xensim_page(d, gfn);
        REQUIRE(pages[i]);
        sim_fill(pages[i], 100u + (unsigned)i);
        int64_t r = xensim_grant_access(d, 0, gfn, false);
        REQUIRE(r >= 8);
        refs[i] = (uint32_t)r;
    }
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    unsigned char *m = xengnttab_map_domain_grant_refs(h, N, 1, refs, PROT_READ | PROT_WRITE);
    REQUIRE(m);
    for (int i = 0; i < N; i++)
        CHECK_MEM_EQ(m + (size_t)i * XENSIM_PAGE_SIZE, pages[i], XENSIM_PAGE_SIZE);
    memset(m + 2 * XENSIM_PAGE_SIZE, 0xEE, XENSIM_PAGE_SIZE);
    CHECK_INT_EQ(pages[2][17], 0xEE);
    CHECK_INT_EQ(pages[1][17], m[XENSIM_PAGE_SIZE + 17]);
    CHECK_INT_EQ(xensim_count_mappings(1), N);
    CHECK_INT_EQ(xengnttab_unmap(h, m, N - 1), -1);  /* count must match */
    CHECK_INT_EQ(errno, EINVAL);
    CHECK_INT_EQ(xengnttab_unmap(h, m, N), 0);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
    xengnttab_close(h);
    xensim_domain_destroy(d);
}

SIM_TEST(map_refs_of_two_domains)
{
    struct xensim_domain *a = xensim_domain_create(1, 4), *b = xensim_domain_create(2, 4);
    REQUIRE(a && b);
    sim_fill(xensim_page(a, 3), 1);
    sim_fill(xensim_page(b, 2), 2);
    int64_t ra = xensim_grant_access(a, 0, 3, true), rb = xensim_grant_access(b, 0, 2, true);
    REQUIRE(ra >= 8 && rb >= 8);
    uint32_t domids[2] = {2, 1}, refs[2] = {(uint32_t)rb, (uint32_t)ra};
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    unsigned char *m = xengnttab_map_grant_refs(h, 2, domids, refs, PROT_READ);
    REQUIRE(m);
    CHECK_MEM_EQ(m, xensim_page(b, 2), XENSIM_PAGE_SIZE);
    CHECK_MEM_EQ(m + XENSIM_PAGE_SIZE, xensim_page(a, 3), XENSIM_PAGE_SIZE);
    CHECK_INT_EQ(xensim_count_mappings(1), 1);
    CHECK_INT_EQ(xensim_count_mappings(2), 1);
    CHECK_INT_EQ(xengnttab_unmap(h, m, 2), 0);
    CHECK_INT_EQ(xensim_count_mappings(1) + xensim_count_mappings(2), 0);
    xengnttab_close(h);
    xensim_domain_destroy(a);
    xensim_domain_destroy(b);
}

SIM_DOMAIN_TEST(unmap_unknown_address, 4)
{
    int64_t ref = xensim_grant_access(d, 0, 0, false);
    REQUIRE(ref >= 8);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    int local;
    errno = 0;
    CHECK_INT_EQ(xengnttab_unmap(h, &local, 1), -1);
    CHECK_INT_EQ(errno, EINVAL);
    unsigned char *m = xengnttab_map_grant_ref(h, 1, (uint32_t)ref, PROT_READ);
    REQUIRE(m);
    CHECK_INT_EQ(xengnttab_unmap(h, m + XENSIM_PAGE_SIZE / 2, 1), -1);
    CHECK_INT_EQ(xengnttab_unmap(h, m, 1), 0);
    errno = 0;
    CHECK_INT_EQ(xengnttab_unmap(h, m, 1), -1);       /* twice */
    CHECK_INT_EQ(errno, EINVAL);
    xengnttab_close(h);
}

SIM_DOMAIN_TEST(close_unmaps_everything, 4)
{
    int64_t r0 = xensim_grant_access(d, 0, 0, false), r1 = xensim_grant_access(d, 0, 1, true);
    REQUIRE(r0 >= 8 && r1 >= 8);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    CHECK(xengnttab_map_grant_ref(h, 1, (uint32_t)r0, PROT_READ | PROT_WRITE) != NULL);
    CHECK(xengnttab_map_grant_ref(h, 1, (uint32_t)r1, PROT_READ) != NULL);
    CHECK(xengnttab_map_grant_ref(h, 1, (uint32_t)r1, PROT_READ) != NULL);
    CHECK_INT_EQ(xensim_count_mappings(1), 3);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)r1), -EBUSY);
    CHECK_INT_EQ(xengnttab_close(h), 0);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)r0), 0);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)r1), 0);
}

SIM_DOMAIN_TEST(max_grants_limits_maps, 4)
{
    uint32_t refs[3];
    for (int i = 0; i < 3; i++) {
        int64_t r = xensim_grant_access(d, 0, (uint32_t)i, false);
        REQUIRE(r >= 8);
        refs[i] = (uint32_t)r;
    }
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    CHECK_INT_EQ(xengnttab_set_max_grants(h, 2), 0);
    void *m = xengnttab_map_domain_grant_refs(h, 2, 1, refs, PROT_READ);
    CHECK(m != NULL);
    errno = 0;
    CHECK(xengnttab_map_grant_ref(h, 1, refs[2], PROT_READ) == NULL);
    CHECK_INT_EQ(errno, ENOMEM);
    CHECK_INT_EQ(xensim_count_mappings(1), 2);
    if (m)
        CHECK_INT_EQ(xengnttab_unmap(h, m, 2), 0);
    m = xengnttab_map_grant_ref(h, 1, refs[2], PROT_READ);
    CHECK(m != NULL);
    xengnttab_close(h);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
}

SIM_TEST(destroy_keeps_mapping_and_fails_new_maps)
{
    struct xensim_domain *d = xensim_domain_create(1, 4);
    REQUIRE(d);
    sim_fill(xensim_page(d, 2), 9);
    unsigned char copy[XENSIM_PAGE_SIZE];
    memcpy(copy, xensim_page(d, 2), sizeof(copy));
    int64_t ref = xensim_grant_access(d, 0, 2, false);
    REQUIRE(ref >= 8);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    unsigned char *m = xengnttab_map_grant_ref(h, 1, (uint32_t)ref, PROT_READ | PROT_WRITE);
    REQUIRE(m);
    xensim_domain_destroy(d);
    CHECK_MEM_EQ(m, copy, sizeof(copy));       /* still valid memory */
    m[0] ^= 1;
    check_map_fails(h, 1, (uint32_t)ref, PROT_READ);
    unsigned char buf[16];
    xengnttab_grant_copy_segment_t seg = {
        .source.foreign = {.ref = (uint32_t)ref, .offset = 0, .domid = 1},
        .dest.virt = buf, .len = sizeof(buf), .flags = GNTCOPY_source_gref};
    CHECK_INT_EQ(xengnttab_grant_copy(h, 1, &seg), 0);
    CHECK_INT_EQ(seg.status, GNTST_bad_domain);
    CHECK_INT_EQ(xengnttab_unmap(h, m, 1), 0);
    xengnttab_close(h);
}

SIM_TEST(recreated_domain_is_a_new_domain)
{
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    struct xensim_domain *d = xensim_domain_create(1, 4);
    REQUIRE(d);
    int64_t ref = xensim_grant_access(d, 0, 1, false);
    REQUIRE(ref >= 8);
    void *m = xengnttab_map_grant_ref(h, 1, (uint32_t)ref, PROT_READ);
    REQUIRE(m);
    CHECK_INT_EQ(xengnttab_unmap(h, m, 1), 0);
    xensim_domain_destroy(d);
    d = xensim_domain_create(1, 64);
    REQUIRE(d);
    sim_fill(xensim_page(d, 40), 40);
    ref = xensim_grant_access(d, 0, 40, false);
    REQUIRE(ref >= 8);
    m = xengnttab_map_grant_ref(h, 1, (uint32_t)ref, PROT_READ);
    REQUIRE(m);
    CHECK_MEM_EQ(m, xensim_page(d, 40), XENSIM_PAGE_SIZE);
    CHECK_INT_EQ(xengnttab_unmap(h, m, 1), 0);
    xensim_domain_destroy(d);
    xengnttab_close(h);
}

SIM_DOMAIN_TEST(copy_both_directions, 8)
{
    unsigned char *p3 = xensim_page(d, 3), *p4 = xensim_page(d, 4);
    sim_fill(p3, 3);
    memset(p4, 0, XENSIM_PAGE_SIZE);
    int64_t rs = xensim_grant_access(d, 0, 3, true), rd = xensim_grant_access(d, 0, 4, false);
    REQUIRE(rs >= 8 && rd >= 8);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    uint64_t before = xensim_count_copy_segments();
    unsigned char local[300];
    unsigned char out[200];
    memset(out, 0x77, sizeof(out));
    xengnttab_grant_copy_segment_t segs[3] = {
        {.source.foreign = {.ref = (uint32_t)rs, .offset = 1000, .domid = 1},
         .dest.virt = local, .len = sizeof(local), .flags = GNTCOPY_source_gref},
        {.source.virt = out, .dest.foreign = {.ref = (uint32_t)rd, .offset = 3896, .domid = 1},
         .len = sizeof(out), .flags = GNTCOPY_dest_gref},
        {.source.foreign = {.ref = (uint32_t)rs, .offset = 0, .domid = 1},
         .dest.foreign = {.ref = (uint32_t)rd, .offset = 0, .domid = 1},
         .len = 64, .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref},
    };
    for (int i = 0; i < 3; i++)
        segs[i].status = 99;
    CHECK_INT_EQ(xengnttab_grant_copy(h, 3, segs), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(segs[i].status, GNTST_okay);
    CHECK_MEM_EQ(local, p3 + 1000, sizeof(local));
    CHECK_MEM_EQ(p4 + 3896, out, sizeof(out));
    CHECK_MEM_EQ(p4, p3, 64);
    CHECK_INT_EQ(xensim_count_copy_segments() - before, 3);
    CHECK_INT_EQ(xensim_count_mappings(1), 0);  /* copies leave no mapping */
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)rs), 0);
    xengnttab_close(h);
}

SIM_DOMAIN_TEST(copy_status_per_segment, 8)
{
    int64_t rw = xensim_grant_access(d, 0, 1, false);
    int64_t ro = xensim_grant_access(d, 0, 2, true);
    int64_t other = xensim_grant_access(d, 6, 3, false);
    REQUIRE(rw >= 8 && ro >= 8 && other >= 8);
    REQUIRE(xensim_grant_set_raw(d, 50, GTF_permit_access, 0, 8) == 0);  /* frame too big */
    REQUIRE(xensim_grant_set_raw(d, 51, GTF_accept_transfer, 0, 1) == 0);
    memset(xensim_page(d, 1), 0x11, XENSIM_PAGE_SIZE);
    memset(xensim_page(d, 2), 0x22, XENSIM_PAGE_SIZE);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    unsigned char buf[64];
    memset(buf, 0x99, sizeof(buf));
#define FROM(r, off, dom) {.source.foreign = {.ref = (r), .offset = (off), .domid = (dom)}, \
                           .dest.virt = buf, .len = 16, .flags = GNTCOPY_source_gref}
#define INTO(r, off, dom) {.source.virt = buf, .dest.foreign = {.ref = (r), .offset = (off), \
                           .domid = (dom)}, .len = 16, .flags = GNTCOPY_dest_gref}
    xengnttab_grant_copy_segment_t segs[] = {
        FROM((uint32_t)ro, 0, 1),              /* read of r/o grant: fine */
        INTO((uint32_t)ro, 0, 1),              /* write into r/o grant */
        FROM((uint32_t)other, 0, 1),           /* granted to dom6 */
        INTO((uint32_t)other, 0, 1),
        FROM(300, 0, 1),                       /* never granted */
        FROM(51, 0, 1),                        /* not permit_access */
        FROM(XENSIM_NR_GRANTS, 0, 1),          /* bad ref */
        INTO(XENSIM_NR_GRANTS + 5, 0, 1),
        FROM((uint32_t)rw, 0, 7),              /* no such domain */
        INTO((uint32_t)rw, 0, 7),
        FROM((uint32_t)rw, 4090, 1),           /* crosses the page */
        INTO((uint32_t)rw, 4081, 1),
        INTO((uint32_t)rw, 4080, 1),           /* ends exactly at the page end */
        FROM(50, 0, 1),                        /* frame beyond RAM */
    };
    const int16_t want[] = {
        GNTST_okay, GNTST_permission_denied, GNTST_permission_denied,
        GNTST_permission_denied, GNTST_permission_denied, GNTST_permission_denied,
        GNTST_bad_gntref, GNTST_bad_gntref, GNTST_bad_domain, GNTST_bad_domain,
        GNTST_bad_copy_arg, GNTST_bad_copy_arg, GNTST_okay, GNTST_bad_page,
    };
#undef FROM
#undef INTO
    enum { N = sizeof(segs) / sizeof(segs[0]) };
    _Static_assert(N == sizeof(want) / sizeof(want[0]), "one status per segment");
    memset(buf, 0x33, sizeof(buf));
    uint64_t before = xensim_count_copy_segments();
    CHECK_INT_EQ(xengnttab_grant_copy(h, N, segs), 0);
    for (int i = 0; i < N; i++) {
        if (segs[i].status != want[i])
            TAP_DIAG("segment %d", i);
        CHECK_INT_EQ(segs[i].status, want[i]);
    }
    CHECK_INT_EQ(xensim_count_copy_segments() - before, N);
    /* The r/o page was not written; the in-range write landed. */
    CHECK_INT_EQ(((unsigned char *)xensim_page(d, 2))[0], 0x22);
    CHECK_INT_EQ(((unsigned char *)xensim_page(d, 1))[4080], 0x22);
    CHECK_INT_EQ(((unsigned char *)xensim_page(d, 1))[4079], 0x11);
    CHECK_INT_EQ(((unsigned char *)xensim_page(d, 1))[0], 0x11);

    /* len 0 is a no-op, whatever the grant */
    xengnttab_grant_copy_segment_t zero = {
        .source.foreign = {.ref = 300, .offset = 4096, .domid = 1},
        .dest.virt = buf, .len = 0, .flags = GNTCOPY_source_gref, .status = 5};
    CHECK_INT_EQ(xengnttab_grant_copy(h, 1, &zero), 0);
    CHECK_INT_EQ(zero.status, GNTST_okay);
    xengnttab_close(h);
}

struct thread_arg {
    xengnttab_handle *h;
    uint32_t refs[4];
    int failures;
};

static void *map_loop(void *p)
{
    struct thread_arg *a = p;
    unsigned char buf[64];
    for (int i = 0; i < 300; i++) {
        unsigned char *m = xengnttab_map_domain_grant_refs(a->h, 4, 1, a->refs, PROT_READ);
        if (!m || m[3 * XENSIM_PAGE_SIZE] != 3 || xengnttab_unmap(a->h, m, 4) != 0)
            a->failures++;
        xengnttab_grant_copy_segment_t seg = {
            .source.foreign = {.ref = a->refs[i % 4], .offset = 0, .domid = 1},
            .dest.virt = buf, .len = sizeof(buf), .flags = GNTCOPY_source_gref};
        if (xengnttab_grant_copy(a->h, 1, &seg) != 0 || seg.status != GNTST_okay ||
            buf[0] != i % 4)
            a->failures++;
    }
    return NULL;
}

SIM_TEST(threads_share_a_handle)
{
    enum { T = 4 };
    struct xensim_domain *d = xensim_domain_create(1, 4);
    REQUIRE(d);
    struct thread_arg args[T];
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    for (uint32_t i = 0; i < 4; i++) {
        memset(xensim_page(d, i), (int)i, XENSIM_PAGE_SIZE);
        int64_t r = xensim_grant_access(d, 0, i, true);
        REQUIRE(r >= 8);
        for (int t = 0; t < T; t++)
            args[t].refs[i] = (uint32_t)r;
    }
    pthread_t th[T];
    for (int t = 0; t < T; t++) {
        args[t].h = h;
        args[t].failures = 0;
        REQUIRE(pthread_create(&th[t], NULL, map_loop, &args[t]) == 0);
    }
    for (int t = 0; t < T; t++) {
        CHECK_INT_EQ(pthread_join(th[t], NULL), 0);
        CHECK_INT_EQ(args[t].failures, 0);
    }
    CHECK_INT_EQ(xensim_count_mappings(1), 0);
    for (int i = 0; i < 4; i++)
        CHECK_INT_EQ(xensim_end_access(d, args[0].refs[i]), 0);
    xengnttab_close(h);
    xensim_domain_destroy(d);
}

TEST(open_without_simulator_fails_like_no_xen)
{
    char saved[256] = "";
    if (getenv("XENSIM_DIR"))
        snprintf(saved, sizeof(saved), "%s", getenv("XENSIM_DIR"));
    unsetenv("XENSIM_DIR");
    errno = 0;
    CHECK(xengnttab_open(NULL, 0) == NULL);
    CHECK_INT_EQ(errno, ENOENT);
    errno = 0;
    CHECK(xenevtchn_open(NULL, 0) == NULL);
    CHECK_INT_EQ(errno, ENOENT);
    if (saved[0])
        setenv("XENSIM_DIR", saved, 1);
}

TAP_MAIN(map_shares_memory_both_ways, map_readonly_grant, map_denials,
         map_failure_undoes_earlier_pages, map_domain_refs_contiguous,
         map_refs_of_two_domains, unmap_unknown_address, close_unmaps_everything,
         max_grants_limits_maps, destroy_keeps_mapping_and_fails_new_maps,
         recreated_domain_is_a_new_domain, copy_both_directions, copy_status_per_segment,
         threads_share_a_handle, open_without_simulator_fails_like_no_xen)

/*
 * A hostile guest against pvscsid: every request that fails validation is
 * answered with host byte ERROR (never a crash), grants that are not ours
 * to use are refused, a ring overflow halts only that ring, requests
 * rewritten after notification are answered once, and a guest flooding its
 * ring with garbage does not starve another guest.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"
#include "vscsi_req.h"
#include "wait.h"
#include "xensim.h"

#define BAD_GUEST 20
#define GOOD_GUEST 21
#define ERROR_RSLT (XEN_VSCSIIF_RSLT_HOST_ERROR << 16)

struct hostile {
    struct daemon_world w;
    struct simguest *bad, *good;
    struct simfront *fbad, *fgood;
    struct xensim_domain *dom;
    uint32_t page_ref;        /* a page of the bad guest granted to us, rw */
    uint32_t ro_ref;          /* ... granted read-only */
    uint32_t foreign_ref;     /* ... granted to domain 3, not to us */
    uint32_t list_gfn, list_ref;   /* an indirect segment list page */
};

static bool setup_with(struct hostile *h, const char *const *args)
{
    memset(h, 0, sizeof(*h));
    if (world_start(&h->w, args) < 0)
        return false;
    h->bad = simguest_create(BAD_GUEST, 1024, 0);
    h->good = simguest_create(GOOD_GUEST, 1024, 0);
    if (!h->bad || !h->good)
        return false;
    static const struct toolstack_lun lun = {0, "null", "0:0:0:0"};
    h->fbad = world_attach(&h->w, h->bad, 0, &lun, 1);
    h->fgood = world_attach(&h->w, h->good, 0, &lun, 1);
    if (!h->fbad || !h->fgood)
        return false;
    h->dom = simguest_domain(h->bad);
    int64_t gfn = xensim_alloc_page(h->dom);
    int64_t gfn2 = xensim_alloc_page(h->dom);
    int64_t lgfn = xensim_alloc_page(h->dom);
    if (gfn < 0 || gfn2 < 0 || lgfn < 0)
        return false;
    int64_t r1 = xensim_grant_access(h->dom, 0, (uint32_t)gfn, false);
    int64_t r2 = xensim_grant_access(h->dom, 0, (uint32_t)gfn, true);
    int64_t r3 = xensim_grant_access(h->dom, 3, (uint32_t)gfn2, false);
    int64_t r4 = xensim_grant_access(h->dom, 0, (uint32_t)lgfn, true);
    if (r1 < 0 || r2 < 0 || r3 < 0 || r4 < 0)
        return false;
    h->page_ref = (uint32_t)r1;
    h->ro_ref = (uint32_t)r2;
    h->foreign_ref = (uint32_t)r3;
    h->list_gfn = (uint32_t)lgfn;
    h->list_ref = (uint32_t)r4;
    return true;
}

static bool setup(struct hostile *h)
{
    return setup_with(h, NULL);
}

static void teardown(struct hostile *h)
{
    simguest_destroy(h->bad);
    simguest_destroy(h->good);
    CHECK_INT_EQ(xensim_count_mappings(BAD_GUEST), 0);
    CHECK_INT_EQ(world_stop(&h->w), 0);
}

/* A well-formed INQUIRY into one page of the bad guest. */
static struct vscsiif_request inquiry(const struct hostile *h, uint16_t rqid)
{
    struct vscsiif_request r = vscsi_req_cdb(rqid, 0x12, 6, VSCSI_DIR_FROM_DEVICE);
    r.cmnd[4] = 36;
    vscsi_req_seg(&r, h->page_ref, 0, 36);
    return r;
}

static int32_t send_raw(struct hostile *h, const struct vscsiif_request *raw)
{
    struct simfront_cmd c;
    memset(&c, 0, sizeof(c));
    if (simfront_submit_raw(h->fbad, raw, &c, true) < 0)
        return -1;
    if (simfront_wait(h->fbad, &c, 5000) < 0)
        return -2;
    return c.rslt;
}

/* The good guest is served meanwhile. */
static void good_guest_served(struct hostile *h)
{
    static const struct vscsi_hctl l0 = {0, 0, 0, 0};
    const uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0};
    uint8_t buf[36];
    struct simfront_cmd c;
    CHECK_INT_EQ(simfront_exec_cdb(h->fgood, &c, &l0, inq, 6, VSCSI_DIR_FROM_DEVICE,
                                   buf, 36, 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_MEM_EQ(buf + 8, "PVSCSID ", 8);
}

/* Writes n segment entries into the list page at byte offset `at`. */
static void put_list(struct hostile *h, unsigned at, const struct scsiif_request_segment *s,
                     unsigned n)
{
    uint8_t *page = xensim_page(h->dom, h->list_gfn);
    memcpy(page + at, s, n * sizeof(*s));
}

static void malformed_requests(const char *datapath)
{
    const char *args[] = {"--datapath", datapath, NULL};
    struct hostile h;
    REQUIRE(setup_with(&h, args));
    struct vscsiif_request r;

    r = inquiry(&h, 1);
    CHECK_INT_EQ(send_raw(&h, &r), 0);            /* the baseline is served */

    r = inquiry(&h, 1), r.act = 9;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* unknown act */
    r = inquiry(&h, 1), r.act = VSCSIIF_ACT_SCSI_SG_PRESET;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* deprecated act */
    r = inquiry(&h, 1), r.cmd_len = 17;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* CDB too long */
    r = inquiry(&h, 1), r.cmd_len = 0;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* no CDB */
    r = inquiry(&h, 1), r.sc_data_direction = 4;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* no such direction */
    r = inquiry(&h, 1), r.nr_segments = VSCSIIF_SG_TABLESIZE + 1;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* 27 direct segments */
    r = inquiry(&h, 1), r.seg[0].offset = 4000, r.seg[0].length = 200;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* segment past its page */
    r = inquiry(&h, 1), r.seg[0].length = 0;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* empty segment */
    r = inquiry(&h, 1), r.sc_data_direction = VSCSI_DIR_NONE;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);   /* segments without direction */

    /* Grants: not granted at all, granted to another domain, read-only
     * where the device must write. */
    r = inquiry(&h, 1), r.seg[0].gref = 7000;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    r = inquiry(&h, 1), r.seg[0].gref = h.foreign_ref;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    r = inquiry(&h, 1), r.seg[0].gref = h.ro_ref;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);

    /* Indirect: more list pages than 256 segments need (2)... */
    r = inquiry(&h, 1);
    r.nr_segments = VSCSIIF_SG_GRANT | 3;
    for (int i = 0; i < 3; i++)
        r.seg[i] = (struct scsiif_request_segment){h.list_ref, 0, 8};
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    /* ...a list of 257 entries (over feature-sg-grant)... */
    r = inquiry(&h, 1);
    r.nr_segments = VSCSIIF_SG_GRANT | 1;
    r.seg[0] = (struct scsiif_request_segment){h.list_ref, 0, 257 * 8};
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    /* ...a list descriptor that is not a whole number of entries... */
    r.seg[0].length = 12;
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    /* ...a list page we may not read... */
    r.seg[0] = (struct scsiif_request_segment){7001, 0, 8};
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    /* ...and entries that break the segment rules. */
    struct scsiif_request_segment bad_entries[2] = {{h.page_ref, 0, 4096},
                                                    {h.page_ref, 4090, 100}};
    put_list(&h, 0, bad_entries, 2);
    r.seg[0] = (struct scsiif_request_segment){h.list_ref, 0, 16};
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    bad_entries[1].length = 0;
    bad_entries[1].offset = 0;
    put_list(&h, 0, bad_entries, 2);
    CHECK_INT_EQ(send_raw(&h, &r), ERROR_RSLT);
    /* A well-formed indirect list is served. */
    struct scsiif_request_segment ok_entry = {h.page_ref, 0, 36};
    put_list(&h, 64, &ok_entry, 1);
    r.seg[0] = (struct scsiif_request_segment){h.list_ref, 64, 8};
    CHECK_INT_EQ(send_raw(&h, &r), 0);

    /* ABORT and RESET carry no CDB and are still answered. */
    memset(&r, 0, sizeof(r));
    r.rqid = 2;
    r.act = VSCSIIF_ACT_SCSI_RESET;
    r.sc_data_direction = VSCSI_DIR_NONE;
    r.nr_segments = 200;   /* ignored for task management */
    CHECK_INT_EQ(send_raw(&h, &r), XEN_VSCSIIF_RSLT_RESET_SUCCESS);

    /* REPORT LUNS into a data-out (read-only) buffer: refused, not written
     * (with grant map this page is mapped read-only). */
    r = inquiry(&h, 3);
    r.cmd_len = 12;
    memset(r.cmnd, 0, sizeof(r.cmnd));
    r.cmnd[0] = 0xa0;
    r.cmnd[9] = 36;
    r.sc_data_direction = VSCSI_DIR_TO_DEVICE;
    r.seg[0].gref = h.ro_ref;
    CHECK_INT_EQ(send_raw(&h, &r), VSCSI_STATUS_CHECK_CONDITION);

    CHECK_INT_EQ(simfront_stray_responses(h.fbad), 0);
    good_guest_served(&h);
    teardown(&h);
}

TEST(every_malformed_request_gets_error)
{
    malformed_requests("copy");
}

TEST(every_malformed_request_gets_error_grant_map)
{
    malformed_requests("map");
}

TEST(ring_overflow_halts_only_that_ring)
{
    struct hostile h;
    REQUIRE(setup(&h));
    struct vscsiif_sring *s = simfront_sring(h.fbad);
    /* Claim 40 requests on a 16-slot ring. */
    __atomic_store_n(&s->req_prod, s->req_prod + 40, __ATOMIC_RELEASE);
    simfront_kick(h.fbad);
    usleep(100000);
    good_guest_served(&h);
    CHECK(world_daemon_alive(&h.w));
    unsigned long before = simfront_responses(h.fbad);
    usleep(100000);
    CHECK_INT_EQ(simfront_responses(h.fbad), before);   /* halted, as xen-scsiback */
    /* Clean up: the frontend closes; the daemon releases everything. */
    simguest_crash(h.bad);
    CHECK_INT_EQ(toolstack_vscsi_destroy(h.w.xs, 0, BAD_GUEST, 0), 0);
    WAIT_UNTIL_EVERY(xensim_count_mappings(BAD_GUEST) == 0, 2000, 5);
    CHECK_INT_EQ(xensim_count_mappings(BAD_GUEST), 0);
    good_guest_served(&h);
    teardown(&h);
}

TEST(requests_rewritten_after_notify_are_answered_once)
{
    struct hostile h;
    REQUIRE(setup(&h));
    struct vscsiif_sring *s = simfront_sring(h.fbad);
    unsigned long before = simfront_responses(h.fbad);
    struct simfront_cmd c[200];
    int answered = 0, ok = 0, err = 0;
    for (int i = 0; i < 200; i++) {
        struct vscsiif_request r = inquiry(&h, (uint16_t)(i % 16));
        unsigned idx = s->req_prod & (VSCSI_RING_SIZE - 1);
        memset(&c[i], 0, sizeof(c[i]));
        REQUIRE(simfront_submit_raw(h.fbad, &r, &c[i], true) == 0);
        /* Race the backend: break the request it may be reading. */
        volatile struct vscsiif_request *slot = &s->ring[idx].req;
        slot->cmd_len = 17;
        slot->nr_segments = 0xff;
        slot->seg[0].length = 0xffff;
        if (simfront_wait(h.fbad, &c[i], 5000) == 0) {
            answered++;
            if (c[i].rslt == 0)
                ok++;
            else if (c[i].rslt == ERROR_RSLT)
                err++;
        }
    }
    /* Each request answered exactly once, either as first written or as
     * rewritten; nothing else. */
    CHECK_INT_EQ(answered, 200);
    CHECK_INT_EQ(ok + err, 200);
    CHECK_INT_EQ(simfront_responses(h.fbad) - before, 200);
    CHECK_INT_EQ(simfront_stray_responses(h.fbad), 0);
    TAP_DIAG("%d served as first written, %d as rewritten", ok, err);
    good_guest_served(&h);
    teardown(&h);
}

struct flood {
    struct simfront *f;
    atomic_bool stop;
    atomic_ulong sent;
};

static void *flood_thread(void *arg)
{
    struct flood *fl = arg;
    uint32_t x = 12345;
    while (!atomic_load(&fl->stop)) {
        struct vscsiif_request r;
        uint8_t *p = (uint8_t *)&r;
        for (size_t i = 0; i < sizeof(r); i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            p[i] = (uint8_t)x;
        }
        unsigned long sent = atomic_load(&fl->sent);
        r.rqid = (uint16_t)(sent % 16 + 100);   /* not a shadow slot: stray */
        if (simfront_submit_raw(fl->f, &r, NULL, true) == 0)
            atomic_store(&fl->sent, sent + 1);
        else
            usleep(50);
    }
    return NULL;
}

TEST(garbage_flood_does_not_starve_another_guest)
{
    struct hostile h;
    REQUIRE(setup(&h));
    struct flood fl = {.f = h.fbad};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, flood_thread, &fl) == 0);
    /* At least 200 good round trips, and on until the flood has really
     * run alongside them (a loaded machine may start its thread late). */
    int good = 0;
    while (good < 200 || (atomic_load(&fl.sent) <= 200 && good < 20000)) {
        good_guest_served(&h);
        good++;
    }
    atomic_store(&fl.stop, true);
    pthread_join(t, NULL);
    unsigned long sent = atomic_load(&fl.sent);
    TAP_DIAG("%lu garbage requests sent during %d good round trips", sent, good);
    CHECK(sent > 200);
    CHECK(world_daemon_alive(&h.w));
    /* Every garbage request was answered too. */
    WAIT_UNTIL_EVERY(simfront_responses(h.fbad) >= sent, 1000, 5);
    CHECK_INT_EQ(simfront_responses(h.fbad), sent);
    teardown(&h);
}

TAP_MAIN(every_malformed_request_gets_error, every_malformed_request_gets_error_grant_map,
         ring_overflow_halts_only_that_ring,
         requests_rewritten_after_notify_are_answered_once,
         garbage_flood_does_not_starve_another_guest)

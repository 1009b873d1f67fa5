/* ABORT and RESET through dispatch (backend/dispatch.c, tmf.c) with
 * commands taken in the same pass: a ring over the hypervisor simulator,
 * a null LUN (answers at once, its data copied back with the pass's
 * answers). Found by the ring fuzz target (tests/fuzz/fuzz_ring.c). */
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "result.h"
#include "ring_state.h"
#include "tap.h"
#include "xensim.h"

#define GUEST 9

struct world {
    struct xensim_domain *dom;
    struct ring_state *rs;
    struct lun *lun;
    struct vscsi_front_ring fr;
    uint32_t data_gfn, data_ref;
    int port;
};

static const struct pvscsid_config cfg = {.datapath = DATAPATH_COPY, .max_segments = 32,
                                          .state_dir = ""};

static bool setup(struct world *w)
{
    memset(w, 0, sizeof(*w));
    if (xensim_setup(NULL) < 0)
        return false;
    w->dom = xensim_domain_create(GUEST, 8);
    int64_t ring_gfn = w->dom ? xensim_alloc_page(w->dom) : -1;
    int64_t data_gfn = w->dom ? xensim_alloc_page(w->dom) : -1;
    if (ring_gfn < 0 || data_gfn < 0)
        return false;
    int64_t ring_ref = xensim_grant_access(w->dom, 0, (uint32_t)ring_gfn, false);
    int64_t data_ref = xensim_grant_access(w->dom, 0, (uint32_t)data_gfn, false);
    w->port = xensim_evtchn_alloc_unbound(w->dom, 0);
    if (ring_ref < 0 || data_ref < 0 || w->port < 0)
        return false;
    w->data_gfn = (uint32_t)data_gfn;
    w->data_ref = (uint32_t)data_ref;
    vscsi_front_ring_init(&w->fr, xensim_page(w->dom, (uint32_t)ring_gfn));
    w->rs = ring_state_new(&cfg, GUEST, 0, 32);
    if (!w->rs)
        return false;
    struct ring_origin o = {.ring_ref = (uint32_t)ring_ref, .remote_port = (evtchn_port_t)w->port};
    if (ring_state_connect(w->rs, &o) < 0)
        return false;
    struct lun_params params = {.finished = dispatch_cmd_finished};
    char err[128];
    const struct lun_ops *ops = lun_ops_for_pdev("null:1M");
    if (!ops || ops->open("null:1M", &params, &w->lun, err, sizeof(err)) < 0)
        return false;
    struct vscsi_hctl h = {0, 0, 0, 0};
    return ring_state_add_lun(w->rs, 0, &h, w->lun) == 0;
}

static void teardown(struct world *w)
{
    if (w->rs) {
        while (w->rs->nr_luns)
            ring_state_drop_lun(w->rs, w->rs->luns[0]);
        ring_state_free(w->rs);
    }
    if (w->lun)
        w->lun->ops->close(w->lun);
    if (w->dom)
        xensim_domain_destroy(w->dom);
    xensim_teardown();
}

/* A request to 0:0:0; with data, 512 bytes into the data page. */
static struct vscsiif_request request(const struct world *w, uint16_t rqid, uint8_t act,
                                      uint8_t op, bool data)
{
    struct vscsiif_request r;
    memset(&r, 0, sizeof(r));
    r.rqid = rqid;
    r.act = act;
    r.cmnd[0] = op;
    r.cmd_len = op < 0x20 ? 6 : 10;
    r.sc_data_direction = VSCSI_DIR_NONE;
    if (op == 0x12)
        r.cmnd[4] = 96;                      /* INQUIRY allocation length */
    if (op == 0x28)
        r.cmnd[8] = 1;                       /* READ(10) of one block */
    if (data) {
        r.sc_data_direction = VSCSI_DIR_FROM_DEVICE;
        r.nr_segments = 1;
        r.seg[0] = (struct scsiif_request_segment){.gref = w->data_ref, .offset = 0,
                                                   .length = 512};
    }
    return r;
}

/* Pushes the requests, runs one worker pass (dispatch, flush) and reads
 * the answers in the order they were put. */
static int pass(struct world *w, const struct vscsiif_request *reqs, unsigned n,
                struct vscsiif_response *out)
{
    for (unsigned i = 0; i < n; i++)
        if (!vscsi_front_ring_put(&w->fr, &reqs[i]))
            return -1;
    vscsi_front_ring_push(&w->fr);
    dispatch_ring(w->rs, NULL);
    dispatch_flush(w->rs);
    int got = 0;
    while (got < (int)n && vscsi_front_ring_take(&w->fr, &out[got]) == 1)
        got++;
    return got;
}

TEST(reset_does_not_end_commands_after_it_on_the_ring)
{
    struct world w;
    REQUIRE(setup(&w));
    uint8_t *page = xensim_page(w.dom, w.data_gfn);
    memset(page, 0xee, 4096);
    struct vscsiif_request reqs[2] = {
        request(&w, 1, VSCSIIF_ACT_SCSI_RESET, 0, false),
        request(&w, 2, VSCSIIF_ACT_SCSI_CDB, 0x12, true),   /* INQUIRY after it */
    };
    struct vscsiif_response rsp[2];
    REQUIRE(pass(&w, reqs, 2, rsp) == 2);
    CHECK_INT_EQ(rsp[0].rqid, 1);
    CHECK_INT_EQ(rsp[0].rslt, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    /* The INQUIRY came after the RESET: it runs and is answered GOOD. */
    CHECK_INT_EQ(rsp[1].rqid, 2);
    CHECK_INT_EQ(rsp[1].rslt, 0);
    CHECK_INT_EQ(page[0], 0x00);
    CHECK(memcmp(page + 16, "NULL DISK", 9) == 0);
    CHECK_INT_EQ(RING_COUNTER_GET(w.rs->inflight), 0);
    teardown(&w);
}

TEST(abort_after_a_command_in_the_same_pass_ends_it)
{
    struct world w;
    REQUIRE(setup(&w));
    struct vscsiif_request reqs[2] = {
        request(&w, 5, VSCSIIF_ACT_SCSI_CDB, 0x28, true),   /* READ, done at once */
        request(&w, 6, VSCSIIF_ACT_SCSI_ABORT, 0, false),
    };
    reqs[1].ref_rqid = 5;
    struct vscsiif_response rsp[2];
    REQUIRE(pass(&w, reqs, 2, rsp) == 2);
    /* The READ was running (its data on the way back) when the ABORT came:
     * the ABORT succeeds, so the READ is answered as aborted, first. */
    CHECK_INT_EQ(rsp[0].rqid, 5);
    CHECK_INT_EQ(rsp[0].rslt, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_ABORT, 0));
    CHECK_INT_EQ(rsp[0].residual_len, 512);
    CHECK_INT_EQ(rsp[1].rqid, 6);
    CHECK_INT_EQ(rsp[1].rslt, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    CHECK_INT_EQ(RING_COUNTER_GET(w.rs->inflight), 0);
    teardown(&w);
}

TEST(abort_before_its_command_on_the_ring_finds_nothing)
{
    struct world w;
    REQUIRE(setup(&w));
    struct vscsiif_request reqs[2] = {
        request(&w, 6, VSCSIIF_ACT_SCSI_ABORT, 0, false),
        request(&w, 5, VSCSIIF_ACT_SCSI_CDB, 0x28, true),
    };
    reqs[0].ref_rqid = 5;
    struct vscsiif_response rsp[2];
    REQUIRE(pass(&w, reqs, 2, rsp) == 2);
    CHECK_INT_EQ(rsp[0].rqid, 6);
    CHECK_INT_EQ(rsp[0].rslt, XEN_VSCSIIF_RSLT_RESET_FAILED);
    CHECK_INT_EQ(rsp[1].rqid, 5);
    CHECK_INT_EQ(rsp[1].rslt, 0);
    CHECK_INT_EQ(rsp[1].residual_len, 0);
    teardown(&w);
}

TAP_MAIN(reset_does_not_end_commands_after_it_on_the_ring,
         abort_after_a_command_in_the_same_pass_ends_it,
         abort_before_its_command_on_the_ring_finds_nothing)

/*
 * Check, then act (issue #14): a command that may not run twice (a tape
 * READ) whose data cannot be delivered (its destination grant is
 * read-only) is refused before it reaches the device; a disk READ to the
 * same grant runs (a failed delivery is retried harmlessly). Over the
 * hypervisor simulator with a fake tape and disk; the ring is driven
 * without a worker.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dispatch.h"
#include "result.h"
#include "ring_state.h"
#include "tap.h"
#include "vscsi_req.h"
#include "xensim.h"

#define GUEST 7

struct fake_lun {
    struct lun base;
    unsigned started;
};

/* Fills the data-in buffer with 0x5a and finishes GOOD. */
static enum lun_step fake_start(struct lun *l, struct lun_cmd *cmd, struct io_uring *ring)
{
    (void)ring;
    ((struct fake_lun *)(void *)l)->started++;
    for (unsigned i = 0; i < cmd->iov_cnt; i++)
        memset(cmd->iov[i].iov_base, 0x5a, cmd->iov[i].iov_len);
    lun_cmd_good(cmd, 0);
    return LUN_DONE;
}

static const struct lun_ops fake_ops = {.name = "fake", .start = fake_start};

static _Alignas(4096) unsigned char page[4096];

/* A READ(6) of 4 KiB at v-dev target `target` into grant `gref`, taken. */
static void put_read(struct ring_state *rs, struct vscsi_front_ring *fr, uint16_t rqid,
                     uint16_t target, uint32_t gref)
{
    struct vscsiif_request r = vscsi_req_cdb(rqid, 0x08, 6, VSCSI_DIR_FROM_DEVICE);
    r.cmnd[4] = 8;
    r.id = target;
    vscsi_req_seg(&r, gref, 0, 4096);
    REQUIRE(vscsi_front_ring_put(fr, &r));
    vscsi_front_ring_push(fr);
    (void)rs;
}

TEST(a_tape_read_with_an_unwritable_destination_is_refused_before_it_runs)
{
    REQUIRE(xensim_setup(NULL) == 0);
    struct xensim_domain *g = xensim_domain_create(GUEST, 64);
    REQUIRE(g);
    int64_t ro_gfn = xensim_alloc_page(g), rw_gfn = xensim_alloc_page(g);
    REQUIRE(ro_gfn >= 0 && rw_gfn >= 0);
    int64_t ro = xensim_grant_access(g, 0, (uint32_t)ro_gfn, true);
    int64_t rw = xensim_grant_access(g, 0, (uint32_t)rw_gfn, false);
    REQUIRE(ro > 0 && rw > 0);
    memset(xensim_page(g, (uint32_t)rw_gfn), 0, 4096);

    static const struct pvscsid_config cfg = {.datapath = DATAPATH_COPY, .max_segments = 256};
    struct ring_state *rs = ring_state_new(&cfg, GUEST, 0, 256);
    REQUIRE(rs);
    struct vscsi_front_ring fr;
    struct vscsiif_sring *s = (struct vscsiif_sring *)page;
    vscsi_front_ring_init(&fr, s);
    REQUIRE(vscsi_back_ring_resume(&rs->ring, s, 0, 0) == 0);
    struct fake_lun tape = {.base = {.ops = &fake_ops, .peripheral_type = 0x01}};
    struct fake_lun disk = {.base = {.ops = &fake_ops, .peripheral_type = 0x00}};
    struct vscsi_hctl t = {0, 0, 0, 0}, d = {0, 0, 1, 0};
    REQUIRE(ring_state_add_lun(rs, 0, &t, &tape.base) == 0);
    REQUIRE(ring_state_add_lun(rs, 1, &d, &disk.base) == 0);

    put_read(rs, &fr, 1, 0, (uint32_t)ro);   /* tape, read-only destination */
    put_read(rs, &fr, 2, 1, (uint32_t)ro);   /* disk, read-only destination */
    put_read(rs, &fr, 3, 0, (uint32_t)rw);   /* tape, writable */
    dispatch_ring(rs, NULL);
    dispatch_flush(rs);
    struct vscsiif_response rsp[3];
    for (int i = 0; i < 3; i++)
        REQUIRE(vscsi_front_ring_take(&fr, &rsp[i]) == 1);
    /* The tape ran only the READ it could deliver; the disk ran its READ,
     * whose delivery then failed. */
    CHECK_INT_EQ(tape.started, 1);
    CHECK_INT_EQ(disk.started, 1);
    for (int i = 0; i < 3; i++) {
        if (rsp[i].rqid == 3) {
            CHECK_INT_EQ(rsp[i].rslt, 0);
            CHECK_INT_EQ(rsp[i].residual_len, 0);
        } else {
            CHECK_INT_EQ(vscsi_rslt_host(rsp[i].rslt), XEN_VSCSIIF_RSLT_HOST_ERROR);
            CHECK_INT_EQ(rsp[i].residual_len, 4096);
        }
    }
    const uint8_t *got = xensim_page(g, (uint32_t)rw_gfn);
    CHECK(got[0] == 0x5a && got[4095] == 0x5a);
    CHECK_INT_EQ(xensim_count_mappings(GUEST), 0);
    CHECK_INT_EQ(RING_COUNTER_GET(rs->inflight), 0);

    for (unsigned i = 0; i < rs->nr_luns; i++)
        free(rs->luns[i]);
    rs->nr_luns = 0;
    ring_state_free(rs);
    xensim_domain_destroy(g);
    CHECK_INT_EQ(xensim_teardown(), 0);
}

TAP_MAIN(a_tape_read_with_an_unwritable_destination_is_refused_before_it_runs)

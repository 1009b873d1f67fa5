/* Requests a ring took over from a previous pvscsid (dispatch_restarted in
 * backend/dispatch.c): run, run again, or answered as lost, by device type
 * and command. Fake handlers count what reaches a device. */
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "result.h"
#include "ring_state.h"
#include "tap.h"
#include "vscsi_req.h"

struct fake_lun {
    struct lun base;
    unsigned started;
    uint8_t last_op;
};

static enum lun_step fake_start(struct lun *l, struct lun_cmd *cmd, struct io_uring *ring)
{
    (void)ring;
    struct fake_lun *f = (struct fake_lun *)(void *)l;
    f->started++;
    f->last_op = cmd->cdb[0];
    lun_cmd_good(cmd, 0);
    return LUN_DONE;
}

static const struct lun_ops fake_ops = {.name = "fake", .start = fake_start};

static _Alignas(4096) unsigned char page[4096];

struct world {
    struct ring_state *rs;
    struct vscsi_front_ring fr;
    struct fake_lun tape, disk, changer;
};

static struct vscsiif_request cdb(uint16_t rqid, uint16_t target, uint8_t op)
{
    struct vscsiif_request r = vscsi_req_cdb(rqid, op, op < 0x20 ? 6 : 10, VSCSI_DIR_NONE);
    r.id = target;
    return r;
}

/* slot i taken over, holding r. */
static void restarted(struct world *w, unsigned i, struct vscsiif_request r, bool may_have_run)
{
    struct slot *s = &w->rs->slots[i];
    s->busy = true;
    s->req.raw = r;
    s->restarted = true;
    s->may_have_run = may_have_run;
    w->rs->nr_restarted++;
    RING_COUNTER_ADD(w->rs->inflight, 1);
}

static bool setup(struct world *w)
{
    static const struct pvscsid_config cfg = {.datapath = DATAPATH_COPY, .max_segments = 256};
    memset(w, 0, sizeof(*w));
    w->rs = calloc(1, sizeof(*w->rs));
    if (!w->rs)
        return false;
    w->rs->cfg = &cfg;
    w->rs->limits.max_segments = 256;
    strcpy(w->rs->name, "vscsi-5/0");
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++) {
        w->rs->slots[i].rs = w->rs;
        w->rs->slots[i].tmf.ended_by = -1;
    }
    struct vscsiif_sring *s = (struct vscsiif_sring *)page;
    vscsi_front_ring_init(&w->fr, s);
    /* Six requests were taken by the previous process; none answered. */
    w->fr.r.req_prod_pvt = 6;
    s->req_prod = 6;
    if (vscsi_back_ring_resume(&w->rs->ring, s, 6, 0) < 0)
        return false;
    struct vscsi_hctl t = {0, 0, 0, 0}, d = {0, 0, 1, 0}, c = {0, 0, 2, 0};
    w->tape.base = (struct lun){.ops = &fake_ops, .peripheral_type = 0x01};
    w->disk.base = (struct lun){.ops = &fake_ops, .peripheral_type = 0x00};
    w->changer.base = (struct lun){.ops = &fake_ops, .peripheral_type = 0x08};
    return ring_state_add_lun(w->rs, 0, &t, &w->tape.base) == 0 &&
           ring_state_add_lun(w->rs, 1, &d, &w->disk.base) == 0 &&
           ring_state_add_lun(w->rs, 2, &c, &w->changer.base) == 0;
}

static void teardown(struct world *w)
{
    for (unsigned i = 0; i < w->rs->nr_luns; i++)
        free(w->rs->luns[i]);
    free(w->rs->luns);
    free(w->rs);
}

/* The responses, by rqid. */
static struct vscsiif_response answers[6];
static bool collect(struct world *w)
{
    vscsi_back_ring_push(&w->rs->ring);
    struct vscsiif_response r;
    int n = 0;
    while (vscsi_front_ring_take(&w->fr, &r) == 1) {
        if (r.rqid < 1 || r.rqid > 6)
            return false;
        answers[r.rqid - 1] = r;
        n++;
    }
    return n == 6;
}

TEST(taken_over_requests_run_or_are_answered_as_lost)
{
    struct world w;
    REQUIRE(setup(&w));
    restarted(&w, 0, cdb(1, 0, 0x0a), true);    /* tape WRITE(6), may have run */
    restarted(&w, 1, cdb(2, 1, 0x2a), true);    /* disk WRITE(10), may have run */
    restarted(&w, 2, cdb(3, 0, 0x0a), false);   /* tape WRITE(6), never reached it */
    restarted(&w, 3, cdb(4, 0, 0x00), true);    /* tape TEST UNIT READY */
    restarted(&w, 4, cdb(5, 2, 0xa5), true);    /* changer MOVE MEDIUM */
    struct vscsiif_request reset = cdb(6, 0, 0);
    reset.act = VSCSIIF_ACT_SCSI_RESET;
    restarted(&w, 5, reset, true);
    dispatch_restarted(w.rs, NULL);
    CHECK_INT_EQ(w.rs->nr_restarted, 0);
    CHECK_INT_EQ(RING_COUNTER_GET(w.rs->inflight), 0);
    REQUIRE(collect(&w));
    /* The tape ran the WRITE that had not reached it, and the TEST UNIT
     * READY again; never the WRITE that may have run. */
    CHECK_INT_EQ(w.tape.started, 2);
    CHECK_INT_EQ(w.disk.started, 1);
    CHECK_INT_EQ(w.disk.last_op, 0x2a);
    CHECK_INT_EQ(w.changer.started, 0);
    /* Lost tape WRITE: CHECK CONDITION, UNIT ATTENTION, I_T NEXUS LOSS. */
    CHECK_INT_EQ(answers[0].rslt, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_OK, 2));
    CHECK_INT_EQ(answers[0].sense_len, 18);
    CHECK_INT_EQ(answers[0].sense_buffer[0], 0x70);
    CHECK_INT_EQ(answers[0].sense_buffer[2], 0x06);
    CHECK_INT_EQ(answers[0].sense_buffer[7], 10);
    CHECK_INT_EQ(answers[0].sense_buffer[12], 0x29);
    CHECK_INT_EQ(answers[0].sense_buffer[13], 0x07);
    CHECK_INT_EQ(answers[1].rslt, 0);
    CHECK_INT_EQ(answers[2].rslt, 0);
    CHECK_INT_EQ(answers[3].rslt, 0);
    /* Lost changer command: HARDWARE ERROR, INTERNAL TARGET FAILURE. */
    CHECK_INT_EQ(answers[4].rslt, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_OK, 2));
    CHECK_INT_EQ(answers[4].sense_buffer[2], 0x04);
    CHECK_INT_EQ(answers[4].sense_buffer[12], 0x44);
    CHECK_INT_EQ(answers[4].sense_buffer[13], 0x00);
    /* A reset under way: FAILED, so the guest's error handling goes on. */
    CHECK_INT_EQ(answers[5].rslt, XEN_VSCSIIF_RSLT_RESET_FAILED);
    teardown(&w);
}

TEST(what_may_run_twice)
{
    struct lun disk = {.peripheral_type = 0x00}, tape = {.peripheral_type = 0x01},
               unknown = {.peripheral_type = -1}, cd = {.peripheral_type = 0x05};
    const uint8_t rd[10] = {0x28}, wr[10] = {0x2a}, pr_out[10] = {0x5f}, caw[16] = {0x89},
                  tur[6] = {0x00}, rpos[10] = {0x34}, wfm[6] = {0x10}, res[10] = {0xb8};
    CHECK(lun_cmd_repeatable(&disk, rd));
    CHECK(lun_cmd_repeatable(&disk, wr));
    CHECK(!lun_cmd_repeatable(&disk, pr_out));
    CHECK(!lun_cmd_repeatable(&disk, caw));
    CHECK(!lun_cmd_repeatable(&tape, rd));
    CHECK(!lun_cmd_repeatable(&tape, wfm));
    CHECK(lun_cmd_repeatable(&tape, tur));
    CHECK(lun_cmd_repeatable(&tape, rpos));
    CHECK(!lun_cmd_repeatable(&cd, wr));
    CHECK(!lun_cmd_repeatable(&unknown, rd));
    CHECK(lun_cmd_repeatable(&unknown, res));
}

TAP_MAIN(taken_over_requests_run_or_are_answered_as_lost, what_may_run_twice)

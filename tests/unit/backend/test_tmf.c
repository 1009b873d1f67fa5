/* ABORT/RESET bookkeeping (backend/tmf.c), over a ring's slot table. */
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "tap.h"
#include "tmf.h"

static struct ring_state *ring(void)
{
    struct ring_state *rs = calloc(1, sizeof(*rs));
    for (unsigned i = 0; rs && i < VSCSI_RING_SIZE; i++) {
        rs->slots[i].rs = rs;
        rs->slots[i].tmf.ended_by = -1;
    }
    return rs;
}

/* A command in slot i with rqid, running on LUN e (NULL: emulated). */
static struct slot *cmd(struct ring_state *rs, unsigned i, uint16_t rqid, struct lun_entry *e)
{
    struct slot *s = &rs->slots[i];
    s->busy = true;
    s->req.act = VSCSIIF_ACT_SCSI_CDB;
    s->req.raw.rqid = rqid;
    s->lun = e;
    s->launched = e != NULL;   /* emulated ones never reach a handler */
    return s;
}

static struct slot *tmf(struct ring_state *rs, unsigned i, uint8_t act, uint16_t ref_rqid)
{
    struct slot *t = &rs->slots[i];
    t->busy = true;
    t->req.act = act;
    t->req.raw.rqid = (uint16_t)(100 + i);
    t->req.raw.ref_rqid = ref_rqid;
    return t;
}

TEST(abort_waits_for_its_command)
{
    struct ring_state *rs = ring();
    REQUIRE(rs);
    struct lun_entry e = {0};
    struct slot *c = cmd(rs, 0, 7, &e);
    struct slot *t = tmf(rs, 1, VSCSIIF_ACT_SCSI_ABORT, 7);
    CHECK(!tmf_abort(rs, t));
    CHECK_INT_EQ(c->tmf.end_host, XEN_VSCSIIF_RSLT_HOST_ABORT);
    CHECK_INT_EQ(c->tmf.ended_by, 1);
    CHECK_INT_EQ(t->tmf.waiting_for, 1);
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    /* The command finishes: the ABORT is due, and the command forgets it. */
    CHECK(tmf_finished(rs, c) == t);
    CHECK_INT_EQ(c->tmf.ended_by, -1);
    CHECK_INT_EQ(c->tmf.end_host, 0);
    CHECK_INT_EQ(t->tmf.waiting_for, 0);
    free(rs);
}

TEST(abort_of_nothing_fails_at_once)
{
    struct ring_state *rs = ring();
    REQUIRE(rs);
    struct lun_entry e = {0};
    cmd(rs, 0, 7, &e);
    cmd(rs, 2, 9, NULL);   /* emulated (REPORT LUNS): not abortable */
    struct slot *t = tmf(rs, 1, VSCSIIF_ACT_SCSI_ABORT, 8);
    CHECK(tmf_abort(rs, t));
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_FAILED);
    t = tmf(rs, 3, VSCSIIF_ACT_SCSI_ABORT, 9);
    CHECK(tmf_abort(rs, t));
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_FAILED);
    /* A second ABORT of a command already being aborted fails too. */
    struct slot *a1 = tmf(rs, 4, VSCSIIF_ACT_SCSI_ABORT, 7);
    CHECK(!tmf_abort(rs, a1));
    struct slot *a2 = tmf(rs, 5, VSCSIIF_ACT_SCSI_ABORT, 7);
    CHECK(tmf_abort(rs, a2));
    CHECK_INT_EQ(a2->tmf.answer, XEN_VSCSIIF_RSLT_RESET_FAILED);
    /* An ABORT does not find itself (its own rqid is the ref). */
    struct slot *self = tmf(rs, 6, VSCSIIF_ACT_SCSI_ABORT, 106);
    CHECK(tmf_abort(rs, self));
    free(rs);
}

TEST(reset_ends_every_command_of_its_lun)
{
    struct ring_state *rs = ring();
    REQUIRE(rs);
    struct lun_entry e = {0}, other = {0};
    struct slot *a = cmd(rs, 0, 1, &e);
    struct slot *b = cmd(rs, 1, 2, &e);
    struct slot *o = cmd(rs, 2, 3, &other);
    struct slot *t = tmf(rs, 3, VSCSIIF_ACT_SCSI_RESET, 0);
    CHECK(!tmf_reset(rs, t, &e, 0));
    CHECK_INT_EQ(t->tmf.waiting_for, 2);
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    CHECK_INT_EQ(a->tmf.end_host, XEN_VSCSIIF_RSLT_HOST_RESET);
    CHECK_INT_EQ(b->tmf.end_host, XEN_VSCSIIF_RSLT_HOST_RESET);
    CHECK_INT_EQ(o->tmf.end_host, 0);
    CHECK_INT_EQ(o->tmf.ended_by, -1);
    CHECK(tmf_finished(rs, o) == NULL);
    CHECK(tmf_finished(rs, b) == NULL);
    CHECK(tmf_finished(rs, a) == t);
    free(rs);
}

TEST(reset_answers_at_once_when_idle_or_failed)
{
    struct ring_state *rs = ring();
    REQUIRE(rs);
    struct lun_entry e = {0};
    struct slot *t = tmf(rs, 0, VSCSIIF_ACT_SCSI_RESET, 0);
    CHECK(tmf_reset(rs, t, &e, 0));
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    /* The handler's reset failed: FAILED, still after the commands. */
    struct slot *c = cmd(rs, 1, 5, &e);
    t = tmf(rs, 2, VSCSIIF_ACT_SCSI_RESET, 0);
    CHECK(!tmf_reset(rs, t, &e, -5));
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_FAILED);
    CHECK(tmf_finished(rs, c) == t);
    /* No LUN at the address: FAILED at once. */
    t = tmf(rs, 3, VSCSIIF_ACT_SCSI_RESET, 0);
    CHECK(tmf_reset(rs, t, NULL, 0));
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_FAILED);
    free(rs);
}

/* A command an ABORT has ended keeps that ABORT's host byte, and a RESET
 * of its LUN is answered only after the ABORT, which comes after the
 * command: never while the command still runs. */
TEST(reset_waits_for_commands_an_abort_holds)
{
    struct ring_state *rs = ring();
    REQUIRE(rs);
    struct lun_entry e = {0};
    struct slot *c = cmd(rs, 0, 7, &e);
    struct slot *d = cmd(rs, 3, 8, &e);
    struct slot *a = tmf(rs, 1, VSCSIIF_ACT_SCSI_ABORT, 7);
    CHECK(!tmf_abort(rs, a));
    struct slot *t = tmf(rs, 2, VSCSIIF_ACT_SCSI_RESET, 0);
    CHECK(!tmf_reset(rs, t, &e, 0));
    CHECK_INT_EQ(t->tmf.waiting_for, 2);           /* d, and the ABORT of c */
    CHECK_INT_EQ(c->tmf.end_host, XEN_VSCSIIF_RSLT_HOST_ABORT);
    CHECK_INT_EQ(d->tmf.end_host, XEN_VSCSIIF_RSLT_HOST_RESET);
    CHECK(tmf_finished(rs, d) == NULL);
    CHECK(tmf_finished(rs, c) == a);               /* the ABORT is due... */
    CHECK(tmf_finished(rs, a) == t);               /* ...then the RESET */
    free(rs);
}

/* Commands taken in the same pass but after the ABORT/RESET on the ring
 * are routed to their LUN and not yet launched: neither ends them. */
TEST(commands_not_launched_are_not_ended)
{
    struct ring_state *rs = ring();
    REQUIRE(rs);
    struct lun_entry e = {0};
    struct slot *c = cmd(rs, 0, 7, &e);
    c->launched = false;
    struct slot *t = tmf(rs, 1, VSCSIIF_ACT_SCSI_RESET, 0);
    CHECK(tmf_reset(rs, t, &e, 0));
    CHECK_INT_EQ(t->tmf.answer, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    CHECK_INT_EQ(c->tmf.end_host, 0);
    CHECK_INT_EQ(c->tmf.ended_by, -1);
    struct slot *a = tmf(rs, 2, VSCSIIF_ACT_SCSI_ABORT, 7);
    CHECK(tmf_abort(rs, a));
    CHECK_INT_EQ(a->tmf.answer, XEN_VSCSIIF_RSLT_RESET_FAILED);
    CHECK_INT_EQ(c->tmf.end_host, 0);
    free(rs);
}

TAP_MAIN(abort_waits_for_its_command, abort_of_nothing_fails_at_once,
         reset_ends_every_command_of_its_lun, reset_answers_at_once_when_idle_or_failed,
         reset_waits_for_commands_an_abort_holds, commands_not_launched_are_not_ended)

/* The ring journal (backend/ring_journal.c): what a restart reads back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring_journal.h"
#include "tap.h"
#include "vscsi_req.h"

static const struct journal_identity id = {.domid = 5, .devid = 1, .ring_ref = 8,
                                           .remote_port = 3, .max_segments = 256,
                                           .vm = "/vm/0d1c9f0e-6a43-4bd2-8a0b-3b8f9a6c2e11"};

/* WRITE(6) with rqid (the direction field left 0). */
static struct vscsiif_request req(uint16_t rqid)
{
    return vscsi_req_cdb(rqid, 0x0a, 6, VSCSI_DIR_BIDIRECTIONAL);
}

/* A journal as the worker leaves it: 20 requests taken, the ones at ring
 * indexes 17 (slot 4, started) and 19 (slot 9, not yet on a device) not
 * answered. */
static struct ring_journal *busy_journal(void)
{
    struct ring_journal *j = calloc(1, sizeof(*j));
    struct journal_recovery none = {.req_cons = 0};
    ring_journal_reset(j, &id, &none);
    for (uint32_t i = 0; i < 20; i++) {
        unsigned slot = i == 17 ? 4 : i == 19 ? 9 : i % 4;
        struct vscsiif_request r = req((uint16_t)(100 + i));
        journal_take(j, slot, i, &r);
        if (i == 17)
            journal_started(j, slot);
        else if (i != 19) {
            journal_started(j, slot);
            journal_answered(j, slot);
        }
    }
    return j;
}

TEST(recovers_the_unanswered_requests)
{
    struct ring_journal *j = busy_journal();
    REQUIRE(j);
    struct journal_recovery rec;
    /* The guest saw 16 responses and queued one more request (20). */
    CHECK_INT_EQ(ring_journal_recover(j, &id, 21, 16, &rec), 0);
    CHECK_INT_EQ(rec.req_cons, 20);
    CHECK_INT_EQ(rec.rsp_prod_pvt, 18);      /* two written, not yet published */
    CHECK_INT_EQ(rec.nr_pending, 2);
    CHECK_INT_EQ(rec.nr_unknown, 0);
    CHECK_INT_EQ(rec.pending[0].slot, 4);    /* ring order */
    CHECK_INT_EQ(rec.pending[0].ring_idx, 17);
    CHECK(rec.pending[0].started);
    CHECK_INT_EQ(rec.pending[0].req.rqid, 117);
    CHECK_INT_EQ(rec.pending[1].slot, 9);
    CHECK(!rec.pending[1].started);
    CHECK_INT_EQ(rec.pending[1].req.rqid, 119);
    free(j);
}

TEST(a_slot_filled_but_not_yet_counted_was_never_taken)
{
    struct ring_journal *j = busy_journal();
    REQUIRE(j);
    /* The process died between copying request 20 and moving req_cons. */
    struct vscsiif_request r = req(120);
    j->slots[11].req = r;
    j->slots[11].ring_idx = 20;
    j->slots[11].state = JOURNAL_TAKEN;
    struct journal_recovery rec;
    CHECK_INT_EQ(ring_journal_recover(j, &id, 21, 16, &rec), 0);
    CHECK_INT_EQ(rec.req_cons, 20);
    CHECK_INT_EQ(rec.nr_pending, 2);
    free(j);
}

TEST(refuses_other_rings_and_impossible_indexes)
{
    struct ring_journal *j = busy_journal();
    REQUIRE(j);
    struct journal_recovery rec;
    struct journal_identity other = id;
    other.ring_ref = 9;                      /* the frontend set up a new ring */
    CHECK_INT_EQ(ring_journal_recover(j, &other, 21, 16, &rec), -ESTALE);
    other = id;
    strcpy(other.vm, "/vm/another-domain-same-domid");
    CHECK_INT_EQ(ring_journal_recover(j, &other, 21, 16, &rec), -ESTALE);
    other = id;
    other.max_segments = 128;
    CHECK_INT_EQ(ring_journal_recover(j, &other, 21, 16, &rec), -ESTALE);
    /* The shared page disagrees: responses published beyond what was
     * written, requests produced behind what was taken, a ring overrun. */
    CHECK_INT_EQ(ring_journal_recover(j, &id, 21, 19, &rec), -EINVAL);
    CHECK_INT_EQ(ring_journal_recover(j, &id, 19, 16, &rec), -EINVAL);
    CHECK_INT_EQ(ring_journal_recover(j, &id, 40, 16, &rec), -EINVAL);
    /* Two slots claiming one request. */
    j->slots[12] = j->slots[4];
    CHECK_INT_EQ(ring_journal_recover(j, &id, 21, 16, &rec), -EINVAL);
    /* Never written. */
    memset(j, 0, sizeof(*j));
    CHECK_INT_EQ(ring_journal_recover(j, &id, 0, 0, &rec), -ENOENT);
    free(j);
}

TEST(reset_records_what_a_takeover_keeps)
{
    struct ring_journal *j = calloc(1, sizeof(*j));
    REQUIRE(j);
    struct journal_recovery in = {.req_cons = 50, .rsp_prod_pvt = 47, .nr_pending = 2,
                                  .nr_unknown = 1};
    in.pending[0] = (struct journal_pending){.slot = 3, .ring_idx = 48, .started = true,
                                             .req = req(7)};
    in.pending[1] = (struct journal_pending){.slot = 0, .ring_idx = 49, .req = req(8)};
    ring_journal_reset(j, &id, &in);
    struct journal_recovery out;
    CHECK_INT_EQ(ring_journal_recover(j, &id, 50, 45, &out), 0);
    CHECK_INT_EQ(out.req_cons, 50);
    CHECK_INT_EQ(out.rsp_prod_pvt, 47);
    CHECK_INT_EQ(out.nr_pending, 2);
    CHECK_INT_EQ(out.nr_unknown, 1);
    CHECK_INT_EQ(out.pending[0].slot, 3);
    CHECK(out.pending[0].started);
    CHECK_INT_EQ(out.pending[1].req.rqid, 8);
    free(j);
}

/* Without a journal: unpublished responses at the front are kept, requests
 * they answer are not taken again, the overwritten ones are unknown. */
TEST(the_shared_ring_alone)
{
    static _Alignas(4096) unsigned char page[4096];
    struct vscsiif_sring *s = (struct vscsiif_sring *)page;
    memset(page, 0, sizeof(page));
    /* Indexes 30..35 unanswered as the guest sees them. The old process
     * had taken 30..34 and written two responses (to 33 and an overwritten
     * one, rqid 130) into slots 30 and 31; 35 is new. */
    for (uint32_t i = 30; i < 36; i++) {
        struct vscsiif_request r = req((uint16_t)(100 + i));
        memcpy(&s->ring[i % 16].req, &r, sizeof(r));
    }
    struct vscsiif_response a = {.rqid = 133}, b = {.rqid = 130};
    memcpy(&s->ring[30 % 16].rsp, &a, sizeof(a));
    memcpy(&s->ring[31 % 16].rsp, &b, sizeof(b));
    struct journal_recovery rec;
    CHECK_INT_EQ(ring_recover_from_ring(s, 36, 30, &rec), 0);
    CHECK_INT_EQ(rec.req_cons, 36);
    CHECK_INT_EQ(rec.rsp_prod_pvt, 32);
    /* 32, 34, 35 are taken (again): 33 was answered. */
    CHECK_INT_EQ(rec.nr_pending, 3);
    CHECK_INT_EQ(rec.pending[0].req.rqid, 132);
    CHECK_INT_EQ(rec.pending[1].req.rqid, 134);
    CHECK_INT_EQ(rec.pending[2].req.rqid, 135);
    CHECK(rec.pending[0].started);
    CHECK_INT_EQ(rec.pending[2].ring_idx, 35);
    /* 31 (overwritten, unanswered) cannot be known. */
    CHECK_INT_EQ(rec.nr_unknown, 1);
    CHECK_INT_EQ(rec.req_cons - rec.rsp_prod_pvt, rec.nr_pending + rec.nr_unknown);
    /* An overrun ring is refused. */
    CHECK_INT_EQ(ring_recover_from_ring(s, 50, 30, &rec), -EINVAL);
}

TEST(the_file_survives_its_process)
{
    char dir[] = "/tmp/journal-test.XXXXXX";
    REQUIRE(mkdtemp(dir));
    struct ring_journal *j = ring_journal_map(dir, 5, 1);
    REQUIRE(j);
    CHECK_INT_EQ(j->magic, 0);                 /* a new, empty one */
    struct journal_recovery none = {.req_cons = 9};
    ring_journal_reset(j, &id, &none);
    ring_journal_unmap(j);
    j = ring_journal_map(dir, 5, 1);
    REQUIRE(j);
    struct journal_recovery rec;
    CHECK_INT_EQ(ring_journal_recover(j, &id, 9, 9, &rec), 0);
    CHECK_INT_EQ(rec.req_cons, 9);
    ring_journal_unmap(j);
    char path[128];
    snprintf(path, sizeof(path), "%s/ring-5-1.journal", dir);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_INT_EQ(ring_journal_remove(dir, 5, 1), 0);
    CHECK_INT_EQ(ring_journal_remove(dir, 5, 1), 0);   /* gone already: fine */
    CHECK(stat(path, &st) < 0);
    CHECK(rmdir(dir) == 0);
}

TAP_MAIN(recovers_the_unanswered_requests, a_slot_filled_but_not_yet_counted_was_never_taken,
         refuses_other_rings_and_impossible_indexes, reset_records_what_a_takeover_keeps,
         the_shared_ring_alone, the_file_survives_its_process)

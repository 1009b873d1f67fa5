/* Shared-ring helpers (protocol/ring.c): both ends over one page. */
#include <errno.h>

#include "ring.h"
#include "tap.h"
#include "vscsi_req.h"

static _Alignas(4096) unsigned char page[4096];

static struct vscsiif_sring *fresh(struct vscsi_front_ring *fr, struct vscsi_back_ring *br)
{
    struct vscsiif_sring *s = (struct vscsiif_sring *)page;
    memset(page, 0xa5, sizeof(page));
    vscsi_front_ring_init(fr, s);
    vscsi_back_ring_init(br, s);
    return s;
}

/* TEST UNIT READY with rqid. */
static struct vscsiif_request req_with(uint16_t rqid)
{
    return vscsi_req_cdb(rqid, 0x00, 6, VSCSI_DIR_NONE);
}

TEST(sixteen_slots)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    fresh(&fr, &br);
    CHECK_INT_EQ(VSCSI_RING_SIZE, 16);
    CHECK_INT_EQ(RING_SIZE(&br.r), 16);
    CHECK_INT_EQ(vscsi_front_ring_free(&fr), 16);
}

TEST(request_and_response_travel)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    fresh(&fr, &br);
    struct vscsiif_request q = req_with(5);
    q.cmnd[0] = 0x12;
    CHECK(vscsi_front_ring_put(&fr, &q));
    CHECK_INT_EQ(vscsi_back_ring_available(&br), 0);   /* not pushed yet */
    CHECK(vscsi_front_ring_push(&fr));                 /* first request: notify */
    CHECK_INT_EQ(vscsi_back_ring_available(&br), 1);

    struct vscsiif_request got;
    vscsi_back_ring_take(&br, &got);
    CHECK_MEM_EQ(&got, &q, sizeof(q));
    CHECK_INT_EQ(vscsi_back_ring_available(&br), 0);
    CHECK_INT_EQ(vscsi_back_ring_unanswered(&br), 1);

    struct vscsiif_response rsp = {.rqid = 5, .rslt = 0x2, .residual_len = 11, .sense_len = 1};
    rsp.sense_buffer[0] = 0x70;
    CHECK(vscsi_back_ring_put(&br, &rsp));
    struct vscsiif_response out;
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), 0);  /* not pushed yet */
    CHECK(vscsi_back_ring_push(&br));   /* frontend asked (rsp_event = 1) */
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), 1);
    CHECK_MEM_EQ(&out, &rsp, sizeof(rsp));
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), 0);
    CHECK_INT_EQ(vscsi_front_ring_free(&fr), 16);
}

TEST(take_copies_once)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    struct vscsiif_sring *s = fresh(&fr, &br);
    struct vscsiif_request q = req_with(1);
    vscsi_front_ring_put(&fr, &q);
    vscsi_front_ring_push(&fr);
    struct vscsiif_request got;
    vscsi_back_ring_take(&br, &got);
    s->ring[0].req.cmd_len = 200;   /* the guest changes it afterwards */
    s->ring[0].req.rqid = 99;
    CHECK_INT_EQ(got.cmd_len, 6);
    CHECK_INT_EQ(got.rqid, 1);
}

TEST(no_response_without_request)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    fresh(&fr, &br);
    struct vscsiif_response rsp = {.rqid = 1};
    CHECK(!vscsi_back_ring_put(&br, &rsp));
    CHECK(!vscsi_back_ring_push(&br));   /* nothing new: no notify */
}

TEST(notifications_only_when_needed)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    fresh(&fr, &br);
    struct vscsiif_request q = req_with(0), got;

    vscsi_front_ring_put(&fr, &q);
    CHECK(vscsi_front_ring_push(&fr));
    /* Backend busy (has not re-armed req_event): no notify for more. */
    vscsi_back_ring_take(&br, &got);
    vscsi_front_ring_put(&fr, &q);
    CHECK(!vscsi_front_ring_push(&fr));
    /* Backend sees it by its final check, so it never sleeps on it. */
    CHECK(vscsi_back_ring_final_check(&br));
    vscsi_back_ring_take(&br, &got);
    CHECK(!vscsi_back_ring_final_check(&br));   /* idle: req_event re-armed */
    vscsi_front_ring_put(&fr, &q);
    CHECK(vscsi_front_ring_push(&fr));          /* so the next one notifies */

    /* Responses: the frontend re-arms rsp_event in its final check. */
    struct vscsiif_response rsp = {0}, out;
    CHECK(vscsi_back_ring_put(&br, &rsp));
    CHECK(vscsi_back_ring_push(&br));           /* rsp_event was 1 */
    CHECK(vscsi_back_ring_put(&br, &rsp));
    CHECK(!vscsi_back_ring_push(&br));          /* front has not re-armed */
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), 1);
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), 1);
    CHECK(!vscsi_front_ring_final_check(&fr));
    CHECK_INT_EQ(vscsi_back_ring_available(&br), 1);   /* the third request */
    vscsi_back_ring_take(&br, &got);
    CHECK(vscsi_back_ring_put(&br, &rsp));
    CHECK(vscsi_back_ring_push(&br));
}

TEST(batch_notifies_once)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    fresh(&fr, &br);
    struct vscsiif_request q = req_with(0), got;
    for (int i = 0; i < 16; i++)
        CHECK(vscsi_front_ring_put(&fr, &q));
    CHECK(!vscsi_front_ring_put(&fr, &q));   /* full */
    CHECK(vscsi_front_ring_push(&fr));
    CHECK_INT_EQ(vscsi_back_ring_available(&br), 16);
    for (int i = 0; i < 16; i++)
        vscsi_back_ring_take(&br, &got);
    struct vscsiif_response rsp = {0};
    for (int i = 0; i < 16; i++)
        CHECK(vscsi_back_ring_put(&br, &rsp));
    CHECK(!vscsi_back_ring_put(&br, &rsp));
    CHECK(vscsi_back_ring_push(&br));
    CHECK(!vscsi_back_ring_push(&br));
}

TEST(overflowing_producer_breaks_ring)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    struct vscsiif_sring *s = fresh(&fr, &br);
    s->req_prod = 17;   /* claims 17 outstanding requests in 16 slots */
    CHECK_INT_EQ(vscsi_back_ring_available(&br), -1);
    CHECK(br.broken);
    s->req_prod = 1;    /* repairing it does not help: the ring is halted */
    CHECK_INT_EQ(vscsi_back_ring_available(&br), -1);
    CHECK(!vscsi_back_ring_final_check(&br));
}

TEST(unanswered_requests_count_against_ring)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    struct vscsiif_sring *s = fresh(&fr, &br);
    struct vscsiif_request got;
    s->req_prod = 10;
    CHECK_INT_EQ(vscsi_back_ring_available(&br), 10);
    for (int i = 0; i < 10; i++)
        vscsi_back_ring_take(&br, &got);
    /* 10 unanswered: 6 more are possible, 7 are not. */
    s->req_prod = 16;
    CHECK_INT_EQ(vscsi_back_ring_available(&br), 6);
    s->req_prod = 17;
    CHECK_INT_EQ(vscsi_back_ring_available(&br), -1);
}

TEST(producer_moving_backwards_breaks_ring)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    struct vscsiif_sring *s = fresh(&fr, &br);
    struct vscsiif_request got;
    struct vscsiif_response rsp = {0};
    s->req_prod = 4;
    for (int i = 0; i < 4; i++)
        vscsi_back_ring_take(&br, &got);
    for (int i = 0; i < 2; i++)
        vscsi_back_ring_put(&br, &rsp);
    s->req_prod = 3;   /* behind our consumer index */
    CHECK_INT_EQ(vscsi_back_ring_available(&br), -1);
}

TEST(indexes_wrap_around)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    struct vscsiif_sring *s = fresh(&fr, &br);
    const RING_IDX start = 0xfffffff8u;
    s->req_prod = s->rsp_prod = start;
    s->req_event = s->rsp_event = start + 1;
    fr.r.req_prod_pvt = fr.r.rsp_cons = start;
    br.r.req_cons = br.r.rsp_prod_pvt = start;

    unsigned done = 0;
    for (uint16_t id = 0; id < 40; id++) {
        struct vscsiif_request q = req_with(id), got;
        struct vscsiif_response rsp = {.rqid = id}, out;
        CHECK(vscsi_front_ring_put(&fr, &q));
        vscsi_front_ring_push(&fr);
        CHECK_INT_EQ(vscsi_back_ring_available(&br), 1);
        vscsi_back_ring_take(&br, &got);
        CHECK_INT_EQ(got.rqid, id);
        CHECK(vscsi_back_ring_put(&br, &rsp));
        vscsi_back_ring_push(&br);
        CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), 1);
        CHECK_INT_EQ(out.rqid, id);
        done++;
    }
    CHECK_INT_EQ(done, 40);
    CHECK(br.r.req_cons == start + 40);   /* wrapped past 2^32 */
    CHECK(!br.broken);
}

TEST(frontend_detects_bogus_responses)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    struct vscsiif_sring *s = fresh(&fr, &br);
    struct vscsiif_response out;
    s->rsp_prod = 1;   /* a response to a request never made */
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), -1);
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), -1);
}

/* A second backend instance takes over a ring the first served: 20 requests
 * sent (more than a ring's worth, so fresh indexes would call it an
 * overflow), 17 answered and published, 1 answered but not published, 2
 * taken and not answered, 0 queued; then 1 more queued. */
TEST(resume_continues_from_the_journal)
{
    struct vscsi_front_ring fr;
    struct vscsi_back_ring br;
    struct vscsiif_sring *s = fresh(&fr, &br);
    struct vscsiif_request q, got;
    struct vscsiif_response rsp = {0}, out;
    for (uint16_t i = 0; i < 20; i++) {
        q = req_with(i);
        REQUIRE(vscsi_front_ring_put(&fr, &q));
        vscsi_front_ring_push(&fr);
        vscsi_back_ring_take(&br, &got);
        if (i < 18) {
            rsp.rqid = i;
            REQUIRE(vscsi_back_ring_put(&br, &rsp));
            if (i < 17)
                vscsi_back_ring_push(&br);
        }
        while (vscsi_front_ring_take(&fr, &out) == 1)
            ;
    }
    q = req_with(20);
    REQUIRE(vscsi_front_ring_put(&fr, &q));
    vscsi_front_ring_push(&fr);
    /* The first instance is gone; a fresh one reads the journal. */
    struct vscsi_back_ring nb;
    memset(&nb, 0x5a, sizeof(nb));
    CHECK_INT_EQ(vscsi_back_ring_resume(&nb, s, 20, 18), 0);
    CHECK_INT_EQ(vscsi_back_ring_unanswered(&nb), 2);
    CHECK_INT_EQ(vscsi_back_ring_available(&nb), 1);   /* not an overflow */
    vscsi_back_ring_push(&nb);                         /* the unpublished answer */
    CHECK_INT_EQ(s->rsp_prod, 18);
    CHECK_INT_EQ(vscsi_front_ring_take(&fr, &out), 1);
    CHECK_INT_EQ(out.rqid, 17);
    vscsi_back_ring_take(&nb, &got);
    CHECK_INT_EQ(got.rqid, 20);
    /* Indexes that disagree with the shared page are refused. */
    struct vscsi_back_ring bad = nb;
    CHECK_INT_EQ(vscsi_back_ring_resume(&bad, s, 22, 18), -EINVAL);   /* past req_prod */
    CHECK_INT_EQ(vscsi_back_ring_resume(&bad, s, 20, 16), -EINVAL);   /* behind rsp_prod */
    CHECK_INT_EQ(vscsi_back_ring_resume(&bad, s, 18, 19), -EINVAL);   /* answers > requests */
    CHECK(memcmp(&bad, &nb, sizeof(nb)) == 0);                        /* untouched */
    /* Without a journal: from the shared page, every unanswered request
     * taken again. */
    CHECK_INT_EQ(vscsi_back_ring_resume(&bad, s, s->rsp_prod, s->rsp_prod), 0);
    CHECK_INT_EQ(vscsi_back_ring_available(&bad), 21 - 18);
}

TAP_MAIN(resume_continues_from_the_journal, sixteen_slots, request_and_response_travel, take_copies_once,
         no_response_without_request, notifications_only_when_needed, batch_notifies_once,
         overflowing_producer_breaks_ring, unanswered_requests_count_against_ring,
         producer_moving_backwards_breaks_ring, indexes_wrap_around,
         frontend_detects_bogus_responses)

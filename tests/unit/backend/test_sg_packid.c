/* pack_id allocation (backend/handlers/sg_packid.c). */
#include <errno.h>

#include "sg_packid.h"
#include "tap.h"

TEST(counts_up_from_zero)
{
    struct sg_packid p;
    int32_t id = -1;
    sg_packid_init(&p);
    CHECK_INT_EQ(sg_packid_take(&p, &id), 0);
    CHECK_INT_EQ(id, 0);
    CHECK_INT_EQ(sg_packid_take(&p, &id), 1);
    CHECK_INT_EQ(id, 1);
    sg_packid_release(&p, 0);
    /* The slot is reused, the id is not (yet). */
    CHECK_INT_EQ(sg_packid_take(&p, &id), 0);
    CHECK_INT_EQ(id, 2);
}

TEST(sixteen_in_flight_at_most)
{
    struct sg_packid p;
    int32_t id = -1;
    sg_packid_init(&p);
    for (int i = 0; i < 16; i++) {
        CHECK_INT_EQ(sg_packid_take(&p, &id), i);
        CHECK_INT_EQ(id, i);
    }
    CHECK_INT_EQ(sg_packid_take(&p, &id), -EBUSY);
    CHECK_INT_EQ(id, 15);               /* untouched */
    sg_packid_release(&p, 5);
    CHECK_INT_EQ(sg_packid_take(&p, &id), 5);
    CHECK_INT_EQ(id, 16);
    CHECK_INT_EQ(sg_packid_take(&p, &id), -EBUSY);
    /* Out-of-range slots are ignored. */
    sg_packid_release(&p, -1);
    sg_packid_release(&p, 16);
    CHECK_INT_EQ(sg_packid_take(&p, &id), -EBUSY);
}

TEST(wraps_to_zero_never_negative)
{
    struct sg_packid p;
    int32_t id = -1;
    sg_packid_init(&p);
    p.next = INT32_MAX;
    CHECK_INT_EQ(sg_packid_take(&p, &id), 0);
    CHECK_INT_EQ(id, INT32_MAX);
    CHECK_INT_EQ(sg_packid_take(&p, &id), 1);
    CHECK_INT_EQ(id, 0);
}

TEST(skips_ids_still_in_flight)
{
    struct sg_packid p;
    int32_t id = -1;
    sg_packid_init(&p);
    CHECK_INT_EQ(sg_packid_take(&p, &id), 0);    /* id 0 stays in flight */
    CHECK_INT_EQ(sg_packid_take(&p, &id), 1);    /* id 1 */
    CHECK_INT_EQ(sg_packid_take(&p, &id), 2);    /* id 2 */
    sg_packid_release(&p, 1);
    p.next = INT32_MAX;
    CHECK_INT_EQ(sg_packid_take(&p, &id), 1);
    CHECK_INT_EQ(id, INT32_MAX);
    /* 0 and 2 are in flight: 1 is next, then 3. */
    CHECK_INT_EQ(sg_packid_take(&p, &id), 3);
    CHECK_INT_EQ(id, 1);
    CHECK_INT_EQ(sg_packid_take(&p, &id), 4);
    CHECK_INT_EQ(id, 3);
}

TAP_MAIN(counts_up_from_zero, sixteen_in_flight_at_most, wraps_to_zero_never_negative,
         skips_ids_still_in_flight)

#include <string.h>

#include "tap.h"
#include "toolstack_lite.h"
#include "xsfix.h"
#include "xsview.h"

#define U5 "55555555-5555-5555-5555-555555555555"

TEST(vms_listed_with_uuid_and_name)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    REQUIRE(xsfix_add_domain(5, "guest-five", U5));
    REQUIRE(xsfix_add_domain(6, "no-vm-path", NULL));
    struct xsv_view v;
    REQUIRE(xsv_load(xs, 0, &v) == 0);
    const struct xsv_vm *d0 = xsv_vm_by_domid(&v, 0), *d5 = xsv_vm_by_domid(&v, 5),
                        *d6 = xsv_vm_by_domid(&v, 6);
    REQUIRE(d0 && d5 && d6);
    CHECK_STR_EQ(d0->name, "Domain-0");
    CHECK_STR_EQ(d0->uuid, "00000000-0000-0000-0000-000000000000");
    CHECK_STR_EQ(d5->name, "guest-five");
    CHECK_STR_EQ(d5->uuid, U5);
    CHECK(uuid5_valid(d6->uuid));
    CHECK(xsv_vm_by_uuid(&v, U5) == d5);
    CHECK(xsv_vm_by_uuid(&v, "x") == NULL);
    CHECK_INT_EQ(v.nhost, 0);
    char u6[UUID_STRLEN];
    strcpy(u6, d6->uuid);
    xsv_free(&v);
    /* Same identity on a second read. */
    struct xsv_view w;
    REQUIRE(xsv_load(xs, 0, &w) == 0);
    d6 = xsv_vm_by_domid(&w, 6);
    REQUIRE(d6);
    CHECK_STR_EQ(d6->uuid, u6);
    xsv_free(&w);
}

TEST(devices_of_another_toolstack_appear)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    REQUIRE(xsfix_add_domain(7, "guest-seven", "77777777-7777-7777-7777-777777777777"));
    const struct lite_lun luns[] = {{0, "1:0:1:0", "3:0:0:0", "4"},
                                    {1, "1:0:2:0", "3:0:1:0", "5"},
                                    {2, "0:0:0:0", "3:0:2:0", NULL}};
    REQUIRE(lite_vscsi_create(xs, 0, 7, 3, luns, 3, "4", "4"));
    struct xsv_view v;
    REQUIRE(xsv_load(xs, 0, &v) == 0);
    REQUIRE(v.nhost == 1);
    CHECK_INT_EQ(v.host[0].domid, 7);
    CHECK_INT_EQ(v.host[0].devid, 3);
    CHECK_INT_EQ(v.host[0].be_state, 4);
    CHECK_INT_EQ(v.host[0].fe_state, 4);
    CHECK(!v.host[0].feature_host);
    CHECK(xsv_vhost_by_uuid(&v, v.host[0].uuid) == &v.host[0]);
    CHECK(xsv_vhost_by_uuid(&v, "x") == NULL);
    CHECK(xsv_vhost_by_uuid(&v, NULL) == NULL);
    REQUIRE(v.nlun == 3);
    int seen = 0;
    for (size_t i = 0; i < v.nlun; i++) {
        const struct xsv_lun *l = &v.lun[i];
        CHECK_INT_EQ(l->vhost, 0);
        CHECK(uuid5_valid(l->uuid));
        if (l->index == 0) {
            CHECK_STR_EQ(l->p_dev, "1:0:1:0");
            CHECK_STR_EQ(l->v_dev, "3:0:0:0");
            CHECK_INT_EQ(l->state, 4);
            CHECK(xsv_lun_live(l));
            seen++;
        } else if (l->index == 1) {
            CHECK_INT_EQ(l->state, 5);
            CHECK(!xsv_lun_live(l));
            seen++;
        } else {
            CHECK_INT_EQ(l->state, -1);
            CHECK(xsv_lun_live(l));
            seen++;
        }
    }
    CHECK_INT_EQ(seen, 3);
    CHECK(strcmp(v.lun[0].uuid, v.lun[1].uuid) != 0);
    xsv_free(&v);
}

TAP_MAIN(vms_listed_with_uuid_and_name, devices_of_another_toolstack_appear)

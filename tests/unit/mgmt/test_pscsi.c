#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fakesys.h"
#include "pscsi.h"
#include "tap.h"

#define HOST "11111111-2222-3333-4444-555555555555"

TEST(standard_tree)
{
    char *root = fakesys_create();
    REQUIRE(root);
    REQUIRE(fakesys_standard(root) == 0);
    struct pscsi_set s;
    REQUIRE(pscsi_scan(root, "/nonexistent", HOST, &s) == 0);
    CHECK_INT_EQ(s.n, 5);
    CHECK_INT_EQ(s.skipped, 0);
    CHECK_INT_EQ(s.nhba, 3);
    const char *hctls[] = {"0:0:0:0", "1:0:1:0", "1:0:2:0", "2:0:0:0", "2:0:0:1"};
    const char *devs[] = {"sda", "st0", "sch0", "sr0", "sdb"};
    /* st's mode-0 pair only, rewinding first; sdb in the old layout. */
    const char *nodes[] = {"sda", "st0 nst0", "sch0", "sr0", "sdb"};
    const char *drivers[] = {"sd", "st", "ch", "sr", "sd"};
    for (size_t i = 0; i < s.n && i < 5; i++) {
        CHECK_STR_EQ(s.dev[i].hctl, hctls[i]);
        CHECK_STR_EQ(s.dev[i].dev_name, devs[i]);
        CHECK_STR_EQ(s.dev[i].dev_nodes, nodes[i]);
        CHECK_STR_EQ(s.dev[i].driver, drivers[i]);
        CHECK_STR_EQ(s.dev[i].scsi_id, fakesys_standard_ids[i]);
        CHECK(uuid5_valid(s.dev[i].uuid));
    }
    REQUIRE(s.n == 5);
    CHECK_STR_EQ(s.dev[1].vendor, "IBM     ");      /* padding kept, as xend */
    CHECK_STR_EQ(s.dev[1].model, "ULT3580-TD5     ");
    CHECK_STR_EQ(s.dev[1].revision, "D8D5");
    CHECK_INT_EQ(s.dev[1].type_id, 1);
    CHECK_INT_EQ(s.dev[1].scsi_level, 6);
    CHECK_STR_EQ(s.dev[1].sg_name, "sg1");
    CHECK_STR_EQ(s.dev[4].sg_name, "sg4");           /* old "class:name" layout */
    CHECK_INT_EQ(s.hba[1].host, 1);
    CHECK_STR_EQ(s.dev[1].hba_uuid, s.hba[1].uuid);
    CHECK_STR_EQ(s.dev[2].hba_uuid, s.hba[1].uuid);
    CHECK(pscsi_find_uuid(&s, s.dev[3].uuid) == &s.dev[3]);
    CHECK(pscsi_find_hctl(&s, &s.dev[2].addr) == &s.dev[2]);
    CHECK(pscsi_hba_find_uuid(&s, s.hba[2].uuid) == &s.hba[2]);
    CHECK(pscsi_hba_find_host(&s, 1) == &s.hba[1]);
    CHECK(pscsi_find_uuid(&s, "nope") == NULL);
    CHECK(pscsi_hba_find_host(&s, 9) == NULL);
    pscsi_set_free(&s);
    fakesys_destroy(root);
}

TEST(uuids_follow_the_lun_not_the_hctl)
{
    char *root = fakesys_create();
    REQUIRE(root);
    REQUIRE(fakesys_standard(root) == 0);
    struct pscsi_set a, b;
    REQUIRE(pscsi_scan(root, "/nonexistent", HOST, &a) == 0);
    REQUIRE(pscsi_scan(root, "/nonexistent", HOST, &b) == 0);
    REQUIRE(a.n == 5 && b.n == 5);
    for (size_t i = 0; i < 5; i++)
        CHECK_STR_EQ(a.dev[i].uuid, b.dev[i].uuid);
    /* The tape re-appears at another address: same uuid. */
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof(from), "%s/bus/scsi/devices/1:0:1:0", root);
    snprintf(to, sizeof(to), "%s/bus/scsi/devices/5:0:0:3", root);
    REQUIRE(rename(from, to) == 0);
    pscsi_set_free(&b);
    REQUIRE(pscsi_scan(root, "/nonexistent", HOST, &b) == 0);
    REQUIRE(b.n == 5);
    CHECK_STR_EQ(b.dev[4].hctl, "5:0:0:3");
    CHECK_STR_EQ(b.dev[4].uuid, a.dev[1].uuid);
    CHECK_INT_EQ(b.nhba, 4);
    /* Another host: other uuids. */
    struct pscsi_set c;
    REQUIRE(pscsi_scan(root, "/nonexistent", "99999999-2222-3333-4444-555555555555", &c) == 0);
    CHECK(strcmp(c.dev[0].uuid, a.dev[0].uuid) != 0);
    pscsi_set_free(&a);
    pscsi_set_free(&b);
    pscsi_set_free(&c);
    fakesys_destroy(root);
}

TEST(multipath_same_id_gets_distinct_uuids)
{
    char *root = fakesys_create();
    REQUIRE(root);
    const uint8_t pg[] = {0x00, 0x83, 0x00, 0x0c, 0x01, 0x03, 0x00, 0x08,
                          0x50, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    struct fakesys_dev d = {.hctl = "3:0:0:0", .vendor = "A", .model = "B", .type = 0,
                            .pg83 = pg, .pg83_len = sizeof(pg)};
    REQUIRE(fakesys_add(root, &d) == 0);
    d.hctl = "4:0:0:0";
    REQUIRE(fakesys_add(root, &d) == 0);
    struct pscsi_set s;
    REQUIRE(pscsi_scan(root, "/nonexistent", HOST, &s) == 0);
    REQUIRE(s.n == 2);
    CHECK_STR_EQ(s.dev[0].scsi_id, s.dev[1].scsi_id);
    CHECK(strcmp(s.dev[0].uuid, s.dev[1].uuid) != 0);
    /* No upper-level driver, no sg: nothing to name it by. */
    CHECK_STR_EQ(s.dev[0].dev_nodes, "");
    CHECK_STR_EQ(s.dev[0].driver, "");
    CHECK_STR_EQ(s.dev[0].dev_name, "");
    pscsi_set_free(&s);
    fakesys_destroy(root);
}

TEST(unreadable_device_skipped_and_counted)
{
    char *root = fakesys_create();
    REQUIRE(root);
    REQUIRE(fakesys_add_entry(root, "7:0:0:0") == 0);     /* no attributes */
    char big[200];
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct fakesys_dev d = {.hctl = "8:0:0:0", .vendor = big, .model = "m", .type = 0};
    REQUIRE(fakesys_add(root, &d) == 0);                  /* vendor too long */
    struct pscsi_set s;
    REQUIRE(pscsi_scan(root, "/nonexistent", HOST, &s) == 0);
    CHECK_INT_EQ(s.n, 0);
    CHECK_INT_EQ(s.skipped, 2);
    pscsi_set_free(&s);
    fakesys_destroy(root);
}

TEST(missing_tree_is_empty)
{
    struct pscsi_set s;
    CHECK_INT_EQ(pscsi_scan("/nonexistent", "/dev", HOST, &s), 0);
    CHECK_INT_EQ(s.n, 0);
    pscsi_set_free(&s);
}

TEST(device_removal_seen_on_rescan)
{
    char *root = fakesys_create();
    REQUIRE(root);
    REQUIRE(fakesys_standard(root) == 0);
    REQUIRE(fakesys_remove_dev(root, "1:0:2:0") == 0);
    struct pscsi_set s;
    REQUIRE(pscsi_scan(root, "/nonexistent", HOST, &s) == 0);
    CHECK_INT_EQ(s.n, 4);
    pscsi_set_free(&s);
    fakesys_destroy(root);
}

TAP_MAIN(standard_tree, uuids_follow_the_lun_not_the_hctl, multipath_same_id_gets_distinct_uuids,
         unreadable_device_skipped_and_counted, missing_tree_is_empty, device_removal_seen_on_rescan)

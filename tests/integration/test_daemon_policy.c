/*
 * Per-LUN command policy and read-only LUNs (issue #14) through the real
 * daemon: LUN options in the p-dev a toolstack writes, in pvscsid.conf's
 * [lun:<p-dev>] sections and through pvscsictl --policy. A passthrough LUN
 * needs /dev/sg (the sg and Xen VM tiers); here the policy acts on the
 * daemon's emulated disks, with both datapaths. The passthrough-only parts
 * (default denied classes, MODE SENSE and REPORT SUPPORTED OPERATION CODES
 * rewritten in the device's answer) are unit-tested in
 * tests/unit/backend/test_policy_hooks.c and test_answer_fixup.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"
#include "toolstack.h"

#define GUEST 40
#define CHECK_COND vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_OK, VSCSI_STATUS_CHECK_CONDITION)

static struct simfront_cmd run(struct simfront *f, unsigned lun, const uint8_t *cdb,
                               unsigned cdb_len, uint8_t dir, void *buf, uint32_t len)
{
    const struct vscsi_hctl h = {0, 0, 0, lun};
    struct simfront_cmd c;
    simfront_cmd_init(&c, &h, cdb, cdb_len, dir, buf, len);
    if (simfront_exec(f, &c, 5000) != 0)
        c.rslt = -1;
    return c;
}

static void check_sense(const struct simfront_cmd *c, uint8_t key, uint8_t asc)
{
    CHECK_INT_EQ(c->rslt, CHECK_COND);
    CHECK(c->sense_len >= 14);
    CHECK_INT_EQ(c->sense[2] & 0x0f, key);
    CHECK_INT_EQ(c->sense[12], asc);
}

/* The denied counter of the guest's ring, from pvscsictl --json stats. */
static long denied_of(struct daemon_world *w)
{
    char out[8192];
    if (world_ctl(w->sock, "--json stats", out, sizeof(out)) != 0)
        return -1;
    const char *p = strstr(out, "\"denied\"");
    return p ? strtol(strchr(p, ':') + 1, NULL, 10) : -1;
}

static void read_only_and_denied(const char *datapath)
{
    world_capture_log = true;
    struct daemon_world w;
    char conf[128], pdev_ro[200], pdev_rw[200], pdev_conf[200];
    snprintf(conf, sizeof(conf), "/tmp/pvscsid-policy-%d.conf", (int)getpid());
    FILE *cf = fopen(conf, "w");
    REQUIRE(cf);
    /* TEST UNIT READY denied by the configuration for one disk. */
    fprintf(cf, "[lun:null:32M]\npolicy = deny=0x00\n");
    fclose(cf);
    const char *args[] = {"--datapath", datapath, "--config", conf, NULL};
    REQUIRE(world_start(&w, args) == 0);
    unlink(conf);
    REQUIRE(world_make_file(&w, "ro.img", 4 << 20, pdev_ro, sizeof(pdev_ro)) == 0);
    REQUIRE(world_make_file(&w, "rw.img", 4 << 20, pdev_rw, sizeof(pdev_rw)) == 0);
    /* A marker in the read-only disk's first block. */
    char path[200];
    snprintf(path, sizeof(path), "%s", pdev_ro + 5);
    FILE *mf = fopen(path, "r+");
    REQUIRE(mf);
    fputs("read-only marker", mf);
    fclose(mf);
    strcat(pdev_ro, ",ro");
    strcat(pdev_rw, ",deny=0x35");                   /* SYNCHRONIZE CACHE(10) */
    snprintf(pdev_conf, sizeof(pdev_conf), "null:32M");
    struct simguest *g = simguest_create(GUEST, 512, 0);
    REQUIRE(g);
    const struct toolstack_lun luns[] = {{0, pdev_ro, "0:0:0:0"},
                                         {1, pdev_rw, "0:0:0:1"},
                                         {2, pdev_conf, "0:0:0:2"}};
    struct simfront *f = world_attach(&w, g, 0, luns, 3);
    REQUIRE(f);
    static uint8_t wbuf[4096], rbuf[4096];
    for (size_t i = 0; i < sizeof(wbuf); i++)
        wbuf[i] = (uint8_t)(i * 7 + 3);
    const uint8_t w10[10] = {0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    const uint8_t unmap[10] = {0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0};
    const uint8_t sync10[10] = {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t tur[6] = {0};
    const uint8_t ms6[6] = {0x1a, 0, 0x3f, 0, 252, 0};
    struct simfront_cmd c;

    /* Read-only: three writes and an UNMAP refused with DATA PROTECT,
     * WRITE PROTECTED; the disk still holds its marker. */
    for (int i = 0; i < 3; i++) {
        c = run(f, 0, w10, 10, VSCSI_DIR_TO_DEVICE, wbuf, sizeof(wbuf));
        check_sense(&c, 0x07, 0x27);
        CHECK_INT_EQ(c.residual, sizeof(wbuf));
    }
    uint8_t unmap_list[24] = {0, 22, 0, 16};
    c = run(f, 0, unmap, 10, VSCSI_DIR_TO_DEVICE, unmap_list, sizeof(unmap_list));
    check_sense(&c, 0x07, 0x27);
    memset(rbuf, 0, sizeof(rbuf));
    c = run(f, 0, r10, 10, VSCSI_DIR_FROM_DEVICE, rbuf, sizeof(rbuf));
    CHECK_INT_EQ(c.rslt, 0);
    CHECK(memcmp(rbuf, "read-only marker", 16) == 0);
    /* MODE SENSE says write-protected (what sd's and st's WP check read). */
    uint8_t ms[252] = {0};
    c = run(f, 0, ms6, 6, VSCSI_DIR_FROM_DEVICE, ms, sizeof(ms));
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_INT_EQ(ms[2] & 0x80, 0x80);
    c = run(f, 1, ms6, 6, VSCSI_DIR_FROM_DEVICE, ms, sizeof(ms));
    CHECK_INT_EQ(ms[2] & 0x80, 0);

    /* The read-write disk: writes work, the denied opcode is refused with
     * INVALID COMMAND OPERATION CODE. */
    c = run(f, 1, w10, 10, VSCSI_DIR_TO_DEVICE, wbuf, sizeof(wbuf));
    CHECK_INT_EQ(c.rslt, 0);
    c = run(f, 1, r10, 10, VSCSI_DIR_FROM_DEVICE, rbuf, sizeof(rbuf));
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_MEM_EQ(rbuf, wbuf, sizeof(wbuf));
    c = run(f, 1, sync10, 10, VSCSI_DIR_NONE, NULL, 0);
    check_sense(&c, 0x05, 0x20);
    c = run(f, 0, sync10, 10, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(c.rslt, 0);                        /* not denied on LUN 0 */

    /* pvscsid.conf's rule: TEST UNIT READY refused on null:32M only. */
    c = run(f, 2, tur, 6, VSCSI_DIR_NONE, NULL, 0);
    check_sense(&c, 0x05, 0x20);
    c = run(f, 2, tur, 6, VSCSI_DIR_NONE, NULL, 0);
    check_sense(&c, 0x05, 0x20);
    c = run(f, 1, tur, 6, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(c.rslt, 0);

    /* Counted per ring: 3 writes + UNMAP + SYNCHRONIZE CACHE + 2 TUR. */
    CHECK_INT_EQ(denied_of(&w), 7);
    char out[8192];
    CHECK_INT_EQ(world_ctl(w.sock, "stats", out, sizeof(out)), 0);
    CHECK(strstr(out, "DENIED") != NULL);
    /* The LUN's options, as the management API shows them. */
    CHECK_INT_EQ(world_ctl(w.sock, "vscsi-list", out, sizeof(out)), 0);
    TAP_DIAG("%s", out);
    CHECK(strstr(out, "deny=0x35") != NULL);

    /* Logged once per LUN and opcode, never per request. */
    CHECK_INT_EQ(world_log_count(&w, "(opcode 0x2a) refused: the LUN is read-only"), 1);
    CHECK_INT_EQ(world_log_count(&w, "(opcode 0x42) refused"), 1);
    CHECK_INT_EQ(world_log_count(&w, "(opcode 0x35) refused: opcode denied"), 1);
    CHECK_INT_EQ(world_log_count(&w, "(opcode 0x00) refused"), 1);
    CHECK_INT_EQ(world_log_count(&w, "(file; policy: ro)"), 1);
    CHECK_INT_EQ(world_log_count(&w, "(null; policy: rw; denied: 0x00)"), 1);
    CHECK_INT_EQ(world_stop(&w), 0);
    simguest_destroy(g);
    world_capture_log = false;
}

TEST(read_only_and_denied_commands_copy_datapath)
{
    read_only_and_denied("copy");
}

TEST(read_only_and_denied_commands_map_datapath)
{
    read_only_and_denied("map");
}

TEST(policy_through_pvscsictl)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    struct simguest *g = simguest_create(GUEST + 1, 512, 0);
    REQUIRE(g);
    REQUIRE(xs_write(w.xs, XBT_NULL, "/local/domain/41/name", "pguest", 6));
    static const struct toolstack_lun lun0 = {0, "null:8M", "0:0:0:0"};
    struct simfront *f = world_attach(&w, g, 0, &lun0, 1);
    REQUIRE(f);
    char out[8192];
    /* A bad policy is refused before anything is written. */
    int st = world_ctl(w.sock, "--policy deny=sometimes disk-attach pguest null:8M 0:0:0:1", out,
                       sizeof(out));
    TAP_DIAG("bad policy: %s", out);
    CHECK(st != 0);
    CHECK(strstr(out, "LUN_OPEN_FAILED") != NULL);
    CHECK(strstr(out, "bad policy option") != NULL);
    CHECK_INT_EQ(world_lun_state(&w, GUEST + 1, 0, 1), -1);
    /* A read-only disk hot-plugged with its policy. */
    st = world_ctl(w.sock, "disk-attach --policy ro,deny=0x00 pguest null:8M 0:0:0:1", out,
                   sizeof(out));
    CHECK_INT_EQ(st, 0);
    const struct vscsi_hctl l1 = {0, 0, 0, 1};
    CHECK_INT_EQ(simfront_wait_lun(f, &l1, true, 5000), 0);
    CHECK_INT_EQ(simfront_wait_connected(f, 3000), 0);
    static uint8_t buf[512];
    const uint8_t w10[10] = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    struct simfront_cmd c = run(f, 1, w10, 10, VSCSI_DIR_TO_DEVICE, buf, sizeof(buf));
    check_sense(&c, 0x07, 0x27);
    const uint8_t tur[6] = {0};
    c = run(f, 1, tur, 6, VSCSI_DIR_NONE, NULL, 0);
    check_sense(&c, 0x05, 0x20);
    c = run(f, 0, w10, 10, VSCSI_DIR_TO_DEVICE, buf, sizeof(buf));
    CHECK_INT_EQ(c.rslt, 0);
    /* Listed with its policy. */
    CHECK_INT_EQ(world_ctl(w.sock, "vscsi-list pguest", out, sizeof(out)), 0);
    TAP_DIAG("%s", out);
    CHECK(strstr(out, "null:8M,ro,deny=0x00") != NULL);
    CHECK_INT_EQ(world_ctl(w.sock, "--json vscsi-list pguest", out, sizeof(out)), 0);
    CHECK(strstr(out, "\"policy\":\"ro,deny=0x00\"") != NULL ||
          strstr(out, "\"policy\": \"ro,deny=0x00\"") != NULL);
    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
}

TAP_MAIN(read_only_and_denied_commands_copy_datapath, read_only_and_denied_commands_map_datapath,
         policy_through_pvscsictl)

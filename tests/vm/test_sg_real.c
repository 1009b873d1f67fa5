/*
 * sg passthrough on a real kernel: pvscsid (pvscsid-sim, the daemon over the
 * hypervisor simulator) serving the simulated guest from a real /dev/sgN of
 * the kernel's scsi_debug disk. Runs inside the VM of tests/xen/tier-sg.sh
 * (Debian's kernel, scsi_debug dev_size_mb=16, sg); anywhere else every case
 * skips with the reason.
 *
 * The cases share one world (daemon, xenstored, guest) and run in order:
 * setup, INQUIRY, READ CAPACITY, write/read/compare by sg's direct I/O,
 * 16 in flight, a bad LBA
 * with its sense, a command timeout, the device deleted mid-I/O, QEMU's
 * virtio-scsi disk, whole-HBA mode on a second scsi_debug host (its LUNs
 * leaving and coming back through the kernel's uevents), teardown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"
#include "testdata.h"
#include "vm_scsi.h"

#define DEV_MB 16u
#define BLOCKS (DEV_MB * 2048u)    /* 512-byte blocks */
#define WAIT_MS 60000              /* TCG is slow */

static struct {
    bool have;                     /* a scsi_debug device was found */
    char hctl[64];
    const char *skip;
    bool up;                       /* world started and attached */
    bool deleted;
    struct daemon_world w;
    struct simguest *g;
    struct simfront *f;
} S;

static const struct vscsi_hctl LUN0 = {0, 0, 0, 0};

static int write_file(const char *path, const char *v)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, v, strlen(v));
    int e = n < 0 ? -errno : 0;
    close(fd);
    return e;
}

static void find_scsi_debug(void)
{
    S.have = vm_find_device(-1, "Linux", "scsi_debug", S.hctl, sizeof(S.hctl));
}

/* Every case but setup: skip outside the VM, fail if setup failed. */
#define NEED_WORLD()                                                        \
    do {                                                                    \
        if (!S.have)                                                        \
            TAP_SKIP("no scsi_debug device (runs inside tests/xen/tier-sg.sh)"); \
        REQUIRE(S.up);                                                      \
    } while (0)


static void rw_cmd_lun(struct simfront_cmd *c, const struct vscsi_hctl *lun, bool write,
                       uint32_t lba, uint8_t *buf, uint32_t len)
{
    uint8_t cdb[10];
    testdata_rw10(cdb, write, lba, (uint16_t)(len / 512));
    simfront_cmd_init(c, lun, cdb, 10, write ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE,
                      buf, len);
    c->timeout_s = 30;
}

static void rw_cmd(struct simfront_cmd *c, bool write, uint32_t lba, uint8_t *buf, uint32_t len)
{
    rw_cmd_lun(c, &LUN0, write, lba, buf, len);
}

static void diag_rslt(const char *what, const struct simfront_cmd *c)
{
    TAP_DIAG("%s: rslt 0x%08x (host %s, status 0x%02x), sense_len %u, residual %u", what,
             (unsigned)c->rslt, vscsi_host_byte_name(vscsi_rslt_host(c->rslt)),
             vscsi_rslt_status(c->rslt), c->sense_len, c->residual);
}

TEST(setup_attach_scsi_debug)
{
    find_scsi_debug();
    if (!S.have)
        TAP_SKIP("no scsi_debug device in /sys/bus/scsi/devices (runs inside tests/xen/tier-sg.sh)");
    TAP_DIAG("scsi_debug at %s", S.hctl);
    const char *args[] = {"--log-level", getenv("SG_LOG_LEVEL") ? getenv("SG_LOG_LEVEL") : "info",
                          "--datapath", getenv("SG_DATAPATH") ? getenv("SG_DATAPATH") : "copy",
                          NULL};
    TAP_DIAG("datapath %s", args[3]);
    /* sg's direct I/O allowed, as pvscsid.service does; the tape tier
     * keeps the kernel's default (0): the copy through sg's buffer. */
    int e = write_file("/sys/module/sg/parameters/allow_dio", "1");
    if (e < 0)
        TAP_DIAG("/sys/module/sg/parameters/allow_dio: %s", strerror(-e));
    world_capture_log = true;
    REQUIRE(world_start(&S.w, args) == 0);
    S.g = simguest_create(7, 8192, 0);
    REQUIRE(S.g);
    const struct toolstack_lun lun = {0, S.hctl, "0:0:0:0"};
    S.f = world_attach(&S.w, S.g, 0, &lun, 1);
    REQUIRE(S.f);
    REQUIRE(simfront_wait_lun(S.f, &LUN0, true, 10000) == 0);
    S.up = true;
}

TEST(inquiry_matches_sysfs)
{
    NEED_WORLD();
    uint8_t buf[96] = {0};
    const uint8_t cdb[6] = {0x12, 0, 0, 0, sizeof(buf), 0};
    struct simfront_cmd c;
    simfront_cmd_init(&c, &LUN0, cdb, 6, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
    c.timeout_s = 30;
    REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
    diag_rslt("INQUIRY", &c);
    CHECK_INT_EQ(c.rslt, 0);
    char vendor[9], product[17];
    memcpy(vendor, buf + 8, 8);
    vendor[8] = '\0';
    memcpy(product, buf + 16, 16);
    product[16] = '\0';
    vm_trim(vendor);
    vm_trim(product);
    CHECK_STR_EQ(vendor, "Linux");     /* as sysfs said */
    CHECK_STR_EQ(product, "scsi_debug");
    CHECK_INT_EQ(buf[0] & 0x1f, 0);   /* direct-access block device */
}

TEST(read_capacity_matches_dev_size)
{
    NEED_WORLD();
    uint8_t buf[8] = {0};
    const uint8_t cdb[10] = {0x25};
    struct simfront_cmd c;
    /* the first media-access command after power on gets UNIT ATTENTION */
    for (int i = 0; i < 3; i++) {
        memset(buf, 0, sizeof(buf));
        simfront_cmd_init(&c, &LUN0, cdb, 10, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
        c.timeout_s = 30;
        REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
        diag_rslt("READ CAPACITY(10)", &c);
        if (!(c.rslt == VSCSI_STATUS_CHECK_CONDITION && c.sense_len > 2 &&
              (c.sense[2] & 0xf) == 0x6))
            break;
        TAP_DIAG("UNIT ATTENTION asc 0x%02x ascq 0x%02x: again", c.sense[12], c.sense[13]);
    }
    CHECK_INT_EQ(c.rslt, 0);
    uint32_t last = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
    uint32_t bs = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
    CHECK_INT_EQ(last, BLOCKS - 1);
    CHECK_INT_EQ(bs, 512);
}

TEST(write_read_compare_sizes)
{
    NEED_WORLD();
    static const uint32_t sizes[] = {512, 4096, 4608, 65536, 131072, 262144 - 512, 262144};
    static uint8_t wbuf[262144], rbuf[262144];
    uint32_t lba = 0;
    int bad = 0;
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint32_t len = sizes[i];
        testdata_fill(wbuf, len, 100 + i);
        memset(rbuf, 0xee, len);
        struct simfront_cmd c;
        rw_cmd(&c, true, lba, wbuf, len);
        REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
        if (c.rslt != 0)
            diag_rslt("WRITE(10)", &c);
        CHECK_INT_EQ(c.rslt, 0);
        CHECK_INT_EQ(c.residual, 0);
        CHECK_INT_EQ(c.grant_errors, 0);
        rw_cmd(&c, false, lba, rbuf, len);
        REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
        if (c.rslt != 0)
            diag_rslt("READ(10)", &c);
        CHECK_INT_EQ(c.rslt, 0);
        CHECK_INT_EQ(c.residual, 0);
        if (memcmp(wbuf, rbuf, len) != 0) {
            TAP_DIAG("size %u at LBA %u: data differs", len, lba);
            bad++;
        }
        lba += 1024;   /* 512 KiB apart */
    }
    CHECK_INT_EQ(bad, 0);
}

/* The transfers above went by sg's direct I/O: pvscsid asked for it and
 * sg, allowed by allow_dio, granted it (pvscsid logs which, once). */
TEST(direct_io_granted_by_sg)
{
    NEED_WORLD();
    CHECK_INT_EQ(world_log_count(&S.w, ": direct I/O: data moves between the device"), 1);
    CHECK_INT_EQ(world_log_count(&S.w, "no direct I/O"), 0);
}

#define DEPTH 16
TEST(sixteen_in_flight)
{
    NEED_WORLD();
    static uint8_t wbuf[DEPTH][65536], rbuf[DEPTH][65536];
    struct simfront_cmd c[DEPTH];
    const uint32_t base = 16384;   /* second half of the disk */
    for (int phase = 0; phase < 2; phase++) {
        bool write = phase == 0;
        for (int i = 0; i < DEPTH; i++) {
            uint32_t len = 4096u * (uint32_t)(1 + i);   /* 4 KiB .. 64 KiB */
            if (write)
                testdata_fill(wbuf[i], len, 7000 + (uint32_t)i);
            else
                memset(rbuf[i], 0, len);
            rw_cmd(&c[i], write, base + (uint32_t)i * 128, write ? wbuf[i] : rbuf[i], len);
            int q = simfront_submit(S.f, &c[i]);
            if (q < 0)
                TAP_DIAG("submit %d: %d", i, q);
            CHECK(q >= 0);
        }
        for (int i = 0; i < DEPTH; i++) {
            CHECK_INT_EQ(simfront_wait(S.f, &c[i], WAIT_MS), 0);
            if (c[i].rslt != 0)
                diag_rslt(write ? "WRITE in flight" : "READ in flight", &c[i]);
            CHECK_INT_EQ(c[i].rslt, 0);
            CHECK_INT_EQ(c[i].grant_errors, 0);
        }
    }
    int bad = 0;
    for (int i = 0; i < DEPTH; i++)
        if (memcmp(wbuf[i], rbuf[i], 4096u * (uint32_t)(1 + i)) != 0)
            bad++;
    CHECK_INT_EQ(bad, 0);
}

TEST(read_beyond_capacity_sense_intact)
{
    NEED_WORLD();
    uint8_t buf[512];
    struct simfront_cmd c;
    rw_cmd(&c, false, BLOCKS, buf, sizeof(buf));
    REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
    diag_rslt("READ(10) at LBA capacity", &c);
    CHECK_INT_EQ(vscsi_rslt_host(c.rslt), XEN_VSCSIIF_RSLT_HOST_OK);
    CHECK_INT_EQ(vscsi_rslt_status(c.rslt), VSCSI_STATUS_CHECK_CONDITION);
    REQUIRE(c.sense_len >= 8);
    uint8_t rc = c.sense[0] & 0x7f, key, asc;
    if (rc == 0x72 || rc == 0x73) {   /* descriptor format */
        key = c.sense[1] & 0xf;
        asc = c.sense[2];
    } else {
        REQUIRE(c.sense_len >= 13);
        key = c.sense[2] & 0xf;
        asc = c.sense[12];
    }
    TAP_DIAG("sense: response code 0x%02x key 0x%x asc 0x%02x", rc, key, asc);
    CHECK(rc == 0x70 || rc == 0x72);
    CHECK_INT_EQ(key, 0x5);    /* ILLEGAL REQUEST */
    CHECK_INT_EQ(asc, 0x21);   /* LOGICAL BLOCK ADDRESS OUT OF RANGE */
}

/* A READ answered with CHECK CONDITION and no data: the guest's buffer must
 * not receive bytes of an earlier command (they would be another command's
 * data, possibly another LUN's). scsi_debug reports resid 0 then, so
 * whatever the backend or sg copies back reaches the guest. */
TEST(no_stale_data_on_check_condition)
{
    NEED_WORLD();
    static uint8_t pat[65536], buf[65536];
    const uint32_t len = sizeof(pat);
    struct simfront_cmd c;
    testdata_fill(pat, len, 4242);
    rw_cmd(&c, true, 2048, pat, len);
    REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
    CHECK_INT_EQ(c.rslt, 0);
    int leaks = 0;
    for (int round = 0; round < 4; round++) {
        /* the pattern read back: now in whatever buffers the path reuses */
        rw_cmd(&c, false, 2048, buf, len);
        REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
        CHECK_INT_EQ(c.rslt, 0);
        CHECK_MEM_EQ(buf, pat, len);
        memset(buf, 0, len);
        rw_cmd(&c, false, BLOCKS - 8, buf, len);   /* crosses the end: CHECK CONDITION */
        REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
        CHECK_INT_EQ(vscsi_rslt_status(c.rslt), VSCSI_STATUS_CHECK_CONDITION);
        uint32_t got = len - (c.residual > len ? len : c.residual);
        uint32_t nonzero = 0, same = 0;
        for (uint32_t i = 0; i < len; i++) {
            nonzero += buf[i] != 0;
            same += buf[i] == pat[i] && pat[i] != 0;
        }
        if (nonzero) {
            leaks++;
            TAP_DIAG("round %d: CHECK CONDITION READ, residual %u (claims %u bytes "
                     "transferred): %u non-zero bytes in the guest buffer, %u equal to the "
                     "previous READ's data; first bytes %02x %02x %02x %02x %02x %02x %02x %02x",
                     round, c.residual, got, nonzero, same, buf[0], buf[1], buf[2], buf[3],
                     buf[4], buf[5], buf[6], buf[7]);
        }
    }
    CHECK_INT_EQ(leaks, 0);
}

#define SDEBUG "/sys/bus/pseudo/drivers/scsi_debug/"
/* scsi_debug ignores every nth command (opts 4 = SDEBUG_OPT_TIMEOUT): the
 * kernel times it out after the guest's timeout_per_command and aborts it. */
TEST(command_timeout)
{
    NEED_WORLD();
    uint8_t buf[512], pat[512];
    struct simfront_cmd c;
    /* LBA 0 as it is now, the last data read on this sg fd */
    rw_cmd(&c, false, 0, pat, sizeof(pat));
    REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
    CHECK_INT_EQ(c.rslt, 0);
    memset(buf, 0, sizeof(buf));
    REQUIRE(write_file(SDEBUG "every_nth", "1") == 0);
    REQUIRE(write_file(SDEBUG "opts", "4") == 0);
    rw_cmd(&c, false, 0, buf, sizeof(buf));
    c.timeout_s = 3;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = simfront_exec(S.f, &c, 120000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* back to normal before the kernel's error handler issues anything */
    CHECK_INT_EQ(write_file(SDEBUG "opts", "0"), 0);
    CHECK_INT_EQ(write_file(SDEBUG "every_nth", "0"), 0);
    REQUIRE(r == 0);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    diag_rslt("READ(10) ignored by scsi_debug", &c);
    TAP_DIAG("answered after %.1f s (timeout_per_command 3 s)", secs);
    CHECK(c.rslt != 0);
    CHECK_INT_EQ(vscsi_rslt_host(c.rslt), XEN_VSCSIIF_RSLT_HOST_TIME_OUT);
    CHECK(secs >= 2.5);
    /* Diagnostic only (Linux discards data of a TIME_OUT command): what
     * reached the guest buffer although nothing was transferred. */
    unsigned nonzero = 0;
    for (unsigned i = 0; i < sizeof(buf); i++)
        nonzero += buf[i] != 0;
    TAP_DIAG("TIME_OUT with residual %u: %u non-zero bytes in the guest buffer%s", c.residual,
             nonzero, nonzero && memcmp(buf, pat, sizeof(buf)) == 0 ? " (the previous READ's data)" : "");
    /* and the LUN works again */
    sleep(1);
    uint8_t tur[6] = {0};
    struct simfront_cmd t;
    for (int i = 0; i < 10; i++) {
        simfront_cmd_init(&t, &LUN0, tur, 6, VSCSI_DIR_NONE, NULL, 0);
        t.timeout_s = 30;
        REQUIRE(simfront_exec(S.f, &t, WAIT_MS) == 0);
        if (t.rslt == 0)
            break;
        diag_rslt("TEST UNIT READY after the timeout", &t);   /* e.g. a UNIT ATTENTION */
        sleep(1);
    }
    CHECK_INT_EQ(t.rslt, 0);
    rw_cmd(&c, false, 0, buf, sizeof(buf));
    REQUIRE(simfront_exec(S.f, &c, WAIT_MS) == 0);
    diag_rslt("READ(10) after the timeout", &c);
    CHECK_INT_EQ(c.rslt, 0);
}

/* The device is deleted (as when it is unplugged) while 16 reads are in
 * flight: those complete somehow, later ones get an error host byte, the
 * daemon stays up. */
TEST(device_deleted_mid_io)
{
    NEED_WORLD();
    static uint8_t rbuf[DEPTH][262144];
    struct simfront_cmd c[DEPTH];
    for (int i = 0; i < DEPTH; i++) {
        rw_cmd(&c[i], false, (uint32_t)i * 512, rbuf[i], 262144);
        CHECK(simfront_submit(S.f, &c[i]) >= 0);
    }
    char path[256];
    snprintf(path, sizeof(path), "/sys/bus/scsi/devices/%s/delete", S.hctl);
    int d = write_file(path, "1");
    CHECK_INT_EQ(d, 0);
    S.deleted = d == 0;
    int ok = 0, err = 0;
    for (int i = 0; i < DEPTH; i++) {
        CHECK_INT_EQ(simfront_wait(S.f, &c[i], WAIT_MS), 0);
        if (c[i].rslt == 0)
            ok++;
        else {
            err++;
            diag_rslt("in flight at delete", &c[i]);
        }
    }
    TAP_DIAG("in flight at delete: %d good, %d errors", ok, err);
    CHECK(world_daemon_alive(&S.w));
    /* after the delete: an error host byte, never GOOD nor silence */
    for (int i = 0; i < 3; i++) {
        uint8_t buf[4096];
        struct simfront_cmd a;
        rw_cmd(&a, false, 0, buf, sizeof(buf));
        int q = simfront_submit(S.f, &a);
        if (q < 0) {   /* the LUN may be gone from the guest already */
            TAP_DIAG("submit after delete: %d", q);
            break;
        }
        CHECK_INT_EQ(simfront_wait(S.f, &a, WAIT_MS), 0);
        diag_rslt("READ(10) after delete", &a);
        CHECK(vscsi_rslt_host(a.rslt) != XEN_VSCSIIF_RSLT_HOST_OK);
    }
    CHECK(world_daemon_alive(&S.w));
}

/* QEMU's virtio-scsi disk (tier-sg.sh adds one): a real HBA driver's
 * passthrough, on a second vscsi device of the same guest. */
TEST(virtio_scsi_disk)
{
    NEED_WORLD();
    char hctl[64];
    if (!vm_find_device(-1, "QEMU", "QEMU HARDDISK", hctl, sizeof(hctl)))
        TAP_SKIP("no QEMU HARDDISK (virtio-scsi) in this VM");
    TAP_DIAG("QEMU HARDDISK at %s", hctl);
    const struct toolstack_lun lun = {0, hctl, "0:0:0:0"};
    struct simfront *f = world_attach(&S.w, S.g, 1, &lun, 1);
    REQUIRE(f);
    REQUIRE(simfront_wait_lun(f, &LUN0, true, 10000) == 0);
    uint8_t inq[96] = {0};
    const uint8_t cdb[6] = {0x12, 0, 0, 0, sizeof(inq), 0};
    struct simfront_cmd c;
    simfront_cmd_init(&c, &LUN0, cdb, 6, VSCSI_DIR_FROM_DEVICE, inq, sizeof(inq));
    c.timeout_s = 30;
    REQUIRE(simfront_exec(f, &c, WAIT_MS) == 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK(memcmp(inq + 8, "QEMU    ", 8) == 0);
    /* the power-on UNIT ATTENTION, consumed by TEST UNIT READY */
    const uint8_t tur[6] = {0};
    for (int i = 0; i < 5; i++) {
        simfront_cmd_init(&c, &LUN0, tur, 6, VSCSI_DIR_NONE, NULL, 0);
        c.timeout_s = 30;
        REQUIRE(simfront_exec(f, &c, WAIT_MS) == 0);
        if (c.rslt == 0)
            break;
        diag_rslt("virtio-scsi TEST UNIT READY", &c);
    }
    CHECK_INT_EQ(c.rslt, 0);
    static uint8_t wbuf[DEPTH][65536], rbuf[DEPTH][65536];
    struct simfront_cmd q[DEPTH];
    for (int phase = 0; phase < 2; phase++) {
        bool write = phase == 0;
        for (int i = 0; i < DEPTH; i++) {
            if (write)
                testdata_fill(wbuf[i], 65536, 900 + (uint32_t)i);
            else
                memset(rbuf[i], 0, 65536);
            rw_cmd(&q[i], write, (uint32_t)i * 128, write ? wbuf[i] : rbuf[i], 65536);
            CHECK(simfront_submit(f, &q[i]) >= 0);
        }
        for (int i = 0; i < DEPTH; i++) {
            CHECK_INT_EQ(simfront_wait(f, &q[i], WAIT_MS), 0);
            if (q[i].rslt != 0)
                diag_rslt("virtio-scsi I/O", &q[i]);
            CHECK_INT_EQ(q[i].rslt, 0);
        }
    }
    int bad = 0;
    for (int i = 0; i < DEPTH; i++)
        bad += memcmp(wbuf[i], rbuf[i], 65536) != 0;
    CHECK_INT_EQ(bad, 0);
    /* a READ past the end, right after good READs: sense, and no stale data */
    uint8_t cap[8] = {0};
    const uint8_t rc10[10] = {0x25};
    for (int i = 0; i < 3; i++) {
        simfront_cmd_init(&c, &LUN0, rc10, 10, VSCSI_DIR_FROM_DEVICE, cap, sizeof(cap));
        c.timeout_s = 30;
        REQUIRE(simfront_exec(f, &c, WAIT_MS) == 0);
        if (c.rslt == 0)
            break;
    }
    CHECK_INT_EQ(c.rslt, 0);
    uint32_t blocks = ((uint32_t)cap[0] << 24 | (uint32_t)cap[1] << 16 | (uint32_t)cap[2] << 8 | cap[3]) + 1;
    memset(rbuf[0], 0, 65536);
    rw_cmd(&c, false, blocks - 8, rbuf[0], 65536);
    REQUIRE(simfront_exec(f, &c, WAIT_MS) == 0);
    diag_rslt("virtio-scsi READ across the end", &c);
    CHECK_INT_EQ(vscsi_rslt_status(c.rslt), VSCSI_STATUS_CHECK_CONDITION);
    unsigned nonzero = 0;
    for (unsigned i = 0; i < 65536; i++)
        nonzero += rbuf[0][i] != 0;
    TAP_DIAG("virtio-scsi CHECK CONDITION READ: residual %u, %u non-zero bytes in the guest buffer",
             c.residual, nonzero);
    CHECK(simfront_close(f, 10000) == 0);
    simfront_free(f);
}

/* ---- Whole-HBA mode on a second scsi_debug host ----------------------------
 * A host added now (max_luns 2: LUNs 0 and 1; scsi_debug has one store for
 * all its LUNs), given whole to the guest through the management API
 * (pvscsictl hba-attach: DSCSI_HBA.create in HOST mode, vscsi device
 * <host>, identity-mapped). Then its LUN 1 is deleted and scanned back in:
 * the daemon learns of both from the kernel's uevents (no udevd runs in
 * this VM), and the guest sees the LUN go and come back. */
#define GUEST_NAME "sgguest"
#define HBA_LBA0 4096u    /* LUN 0's test area */
#define HBA_LBA1 8192u    /* LUN 1's (one store: kept apart) */
#define HBA_LEN 65536u

static struct {
    bool up;
    unsigned host;
    char uuid[64];                 /* the DSCSI_HBA */
    char sock[128];                /* the daemon's management socket */
    struct simfront *f;            /* the guest's vscsi device <host> */
    struct vscsi_hctl lun[2];
    char hctl[2][32];
    uint8_t pat[2][HBA_LEN];       /* last written to each LUN's area */
} H;

#define NEED_HBA()                                                          \
    do {                                                                    \
        NEED_WORLD();                                                       \
        REQUIRE(H.up);                                                      \
    } while (0)

static long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The host numbers of /sys/class/scsi_host (hostN), as a bit set. */
static uint64_t scsi_hosts(void)
{
    uint64_t set = 0;
    DIR *d = opendir("/sys/class/scsi_host");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned n;
        char end;
        if (sscanf(e->d_name, "host%u%c", &n, &end) == 1 && n < 64)
            set |= 1ull << n;
    }
    closedir(d);
    return set;
}

/* Waits until H:C:T:L has an sg node (want) or has none. */
static bool wait_sg(const char *hctl, bool want, int ms, char *sg, size_t size)
{
    long end = ms_now() + ms;
    for (;;) {
        vm_sg_name(hctl, sg, size);
        if ((sg[0] != '\0') == want)
            return true;
        if (ms_now() > end)
            return false;
        usleep(10000);
    }
}

/* <backend>/vscsi/<guest>/<host>/rel, malloc'd, or NULL. */
static char *be_read(const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "/local/domain/0/backend/vscsi/%u/%u/%s",
             (unsigned)simguest_domid(S.g), H.host, rel);
    return xs_read(S.w.xs, XBT_NULL, path, NULL);
}

static int be_int(const char *rel)
{
    char *v = be_read(rel);
    int r = v ? atoi(v) : -1;
    free(v);
    return r;
}

static int dev_state(int index)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "vscsi-devs/dev-%d/state", index);
    return be_int(rel);
}

/* Waits until dev-N is in `want` (a LUN the guest took goes Initialised 3,
 * then Connected 4 once the guest is Connected again): its last state. */
static int wait_dev_state(int index, int want, int ms)
{
    long end = ms_now() + ms;
    int st;
    while ((st = dev_state(index)) != want && ms_now() < end)
        usleep(2000);
    return st;
}

/* Until the backend is Connected (4) again after a reconfiguration
 * (through Reconfiguring and Reconfigured), at most WAIT_MS. */
static void wait_be_connected(void)
{
    for (long end = ms_now() + WAIT_MS; be_int("state") != 4 && ms_now() < end;)
        usleep(2000);
}

/* Every dev-N of vscsi device <host>: "dev-0 2:0:0:0 -> 2:0:0:0 state 4". */
static void diag_devs(const char *when)
{
    char path[256], line[1024] = "";
    size_t used = 0;
    snprintf(path, sizeof(path), "/local/domain/0/backend/vscsi/%u/%u/vscsi-devs",
             (unsigned)simguest_domid(S.g), H.host);
    unsigned n = 0;
    char **devs = xs_directory(S.w.xs, XBT_NULL, path, &n);
    for (unsigned i = 0; devs && i < n; i++) {
        char rel[96];
        snprintf(rel, sizeof(rel), "vscsi-devs/%s/p-dev", devs[i]);
        char *p = be_read(rel);
        snprintf(rel, sizeof(rel), "vscsi-devs/%s/v-dev", devs[i]);
        char *v = be_read(rel);
        snprintf(rel, sizeof(rel), "vscsi-devs/%s/state", devs[i]);
        int st = be_int(rel);
        int k = snprintf(line + used, sizeof(line) - used, "%s%s %s -> %s state %d",
                         i ? "; " : "", devs[i], p ? p : "?", v ? v : "?", st);
        if (k > 0 && (size_t)k < sizeof(line) - used)
            used += (size_t)k;
        free(p);
        free(v);
    }
    free(devs);
    TAP_DIAG("%s: backend state %d, %s", when, be_int("state"), used ? line : "no LUNs");
}

/* The dev-N holding p-dev `pdev` in any state but Closed (6), or -1. */
static int live_index(const char *pdev)
{
    char path[256];
    snprintf(path, sizeof(path), "/local/domain/0/backend/vscsi/%u/%u/vscsi-devs",
             (unsigned)simguest_domid(S.g), H.host);
    unsigned n = 0;
    int found = -1;
    char **devs = xs_directory(S.w.xs, XBT_NULL, path, &n);
    for (unsigned i = 0; devs && i < n; i++) {
        unsigned idx;
        char end, rel[96];
        if (sscanf(devs[i], "dev-%u%c", &idx, &end) != 1)
            continue;
        snprintf(rel, sizeof(rel), "vscsi-devs/%s/p-dev", devs[i]);
        char *p = be_read(rel);
        if (p && strcmp(p, pdev) == 0 && dev_state((int)idx) != 6)
            found = (int)idx;
        free(p);
    }
    free(devs);
    return found;
}

static bool hctl_is(const struct vscsi_hctl *a, const struct vscsi_hctl *b)
{
    return a->host == b->host && a->channel == b->channel && a->target == b->target &&
           a->lun == b->lun;
}

/* TEST UNIT READY until GOOD (after a power-on UNIT ATTENTION): the last
 * rslt, or -1 if a command got no answer. */
static int32_t until_ready(struct simfront *f, const struct vscsi_hctl *l, const char *what)
{
    const uint8_t tur[6] = {0};
    struct simfront_cmd c;
    for (int i = 0; i < 5; i++) {
        simfront_cmd_init(&c, l, tur, 6, VSCSI_DIR_NONE, NULL, 0);
        c.timeout_s = 30;
        if (simfront_exec(f, &c, WAIT_MS) != 0)
            return -1;
        if (c.rslt == 0)
            return 0;
        diag_rslt(what, &c);
        if (c.sense_len > 13)
            TAP_DIAG("  sense key 0x%x asc 0x%02x ascq 0x%02x", c.sense[2] & 0xf, c.sense[12],
                     c.sense[13]);
    }
    return c.rslt;
}

/* READ(10) of len bytes at lba into buf: its rslt, or -1 without answer. */
static int32_t read_at(struct simfront *f, const struct vscsi_hctl *l, uint32_t lba, uint8_t *buf,
                       uint32_t len)
{
    struct simfront_cmd c;
    memset(buf, 0, len);
    rw_cmd_lun(&c, l, false, lba, buf, len);
    if (simfront_exec(f, &c, WAIT_MS) != 0)
        return -1;
    if (c.rslt != 0)
        diag_rslt("READ(10)", &c);
    return c.rslt;
}

/* WRITE(10) a new pattern (kept in H.pat[l->lun]) and read it back: 0 if
 * both are GOOD and the data compares. */
static int write_read(struct simfront *f, const struct vscsi_hctl *l, uint32_t lba, uint32_t seed)
{
    static uint8_t rbuf[HBA_LEN];
    uint8_t *pat = H.pat[l->lun];
    struct simfront_cmd c;
    testdata_fill(pat, HBA_LEN, seed);
    rw_cmd_lun(&c, l, true, lba, pat, HBA_LEN);
    if (simfront_exec(f, &c, WAIT_MS) != 0)
        return -1;
    if (c.rslt != 0) {
        diag_rslt("WRITE(10)", &c);
        return -2;
    }
    if (read_at(f, l, lba, rbuf, HBA_LEN) != 0)
        return -3;
    return memcmp(rbuf, pat, HBA_LEN) == 0 ? 0 : -4;
}

/* REPORT LUNS (SELECT REPORT 0) to `l`: the LUNs listed into luns, their
 * count, or -1. c holds the answer. */
static int report_luns(struct simfront *f, const struct vscsi_hctl *l, unsigned *luns, int max,
                       struct simfront_cmd *c)
{
    static uint8_t buf[512];
    const uint8_t cdb[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, sizeof(buf) >> 8, sizeof(buf) & 0xff, 0, 0};
    for (int i = 0; i < 3; i++) {
        memset(buf, 0, sizeof(buf));
        simfront_cmd_init(c, l, cdb, 12, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
        c->timeout_s = 30;
        if (simfront_exec(f, c, WAIT_MS) != 0)
            return -1;
        if (c->rslt == 0)
            break;
        diag_rslt("REPORT LUNS", c);
    }
    if (c->rslt != 0)
        return -1;
    uint32_t listlen = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
    int n = 0;
    char list[128] = "";
    size_t used = 0;
    for (uint32_t off = 8; off < 8 + listlen && off + 8 <= sizeof(buf) && n < max; off += 8) {
        luns[n] = (unsigned)(buf[off] & 0x3f) << 8 | buf[off + 1];   /* single level */
        int k = snprintf(list + used, sizeof(list) - used, " %u", luns[n]);
        if (k > 0 && (size_t)k < sizeof(list) - used)
            used += (size_t)k;
        n++;
    }
    TAP_DIAG("REPORT LUNS to %u:%u:%u:%u: list length %u, residual %u, LUNs%s", l->host,
             l->channel, l->target, l->lun, listlen, c->residual, list);
    return n;
}

TEST(hba_attach_second_scsi_debug_host)
{
    NEED_WORLD();
    uint64_t before = scsi_hosts();
    REQUIRE(write_file(SDEBUG "max_luns", "2") == 0);
    long t0 = ms_now();
    REQUIRE(write_file(SDEBUG "add_host", "1") == 0);
    uint64_t added = 0;
    while (!(added = scsi_hosts() & ~before) && ms_now() - t0 < 10000)
        usleep(10000);
    REQUIRE(added != 0);
    H.host = (unsigned)__builtin_ctzll(added);
    char sg[2][32];
    for (unsigned l = 0; l < 2; l++) {
        H.lun[l] = (struct vscsi_hctl){H.host, 0, 0, l};
        snprintf(H.hctl[l], sizeof(H.hctl[l]), "%u:0:0:%u", H.host, l);
        REQUIRE(wait_sg(H.hctl[l], true, WAIT_MS, sg[l], sizeof(sg[l])));
    }
    TAP_DIAG("scsi_debug host %u: %s (%s), %s (%s), %ld ms after add_host", H.host, H.hctl[0],
             sg[0], H.hctl[1], sg[1], ms_now() - t0);

    char path[96], cmd[96];
    snprintf(path, sizeof(path), "/local/domain/%u/name", (unsigned)simguest_domid(S.g));
    REQUIRE(xs_write(S.w.xs, XBT_NULL, path, GUEST_NAME, strlen(GUEST_NAME)));
    snprintf(H.sock, sizeof(H.sock), "%s/xapi.sock", S.w.tmpdir);
    snprintf(cmd, sizeof(cmd), "hba-attach %s %u", GUEST_NAME, H.host);
    static char out[4096];
    int st = world_ctl(H.sock, cmd, out, sizeof(out));
    vm_trim(out);
    TAP_DIAG("pvscsictl %s: exit %d: %s", cmd, st, out);
    REQUIRE(st == 0);
    REQUIRE(sscanf(out, "%63s", H.uuid) == 1);
    char *fh = be_read("feature-host");
    CHECK(fh && strcmp(fh, "1") == 0);   /* HOST mode */
    free(fh);

    H.f = simfront_probe(S.g, H.host);
    REQUIRE(H.f);
    REQUIRE(simfront_wait_connected(H.f, WAIT_MS) == 0);
    for (unsigned l = 0; l < 2; l++)
        CHECK_INT_EQ(simfront_wait_lun(H.f, &H.lun[l], true, WAIT_MS), 0);
    for (unsigned l = 0; l < 2; l++)
        (void)wait_dev_state(live_index(H.hctl[l]), 4, WAIT_MS);
    diag_devs("attached");
    for (unsigned l = 0; l < 2; l++) {
        int i = live_index(H.hctl[l]);
        CHECK(i >= 0);
        char rel[64];
        snprintf(rel, sizeof(rel), "vscsi-devs/dev-%d/v-dev", i);
        char *v = i >= 0 ? be_read(rel) : NULL;
        CHECK(v && strcmp(v, H.hctl[l]) == 0);   /* identity mapping */
        free(v);
        CHECK_INT_EQ(dev_state(i), 4);
    }
    struct vscsi_hctl seen[8];
    int n = simfront_luns(H.f, seen, 8);
    CHECK_INT_EQ(n, 2);
    H.up = n == 2;
}

TEST(hba_report_luns_from_the_device)
{
    NEED_HBA();
    for (unsigned l = 0; l < 2; l++)   /* the power-on UNIT ATTENTION */
        CHECK_INT_EQ(until_ready(H.f, &H.lun[l], "TEST UNIT READY"), 0);
    unsigned luns[8];
    struct simfront_cmd c;
    for (unsigned l = 0; l < 2; l++) {
        int n = report_luns(H.f, &H.lun[l], luns, 8, &c);
        CHECK_INT_EQ(n, 2);
        CHECK(n == 2 && luns[0] == 0 && luns[1] == 1);
        CHECK_INT_EQ(c.residual, 512 - 24);   /* 8 header + 2 LUNs of 8 */
    }
}

TEST(hba_luns_do_io)
{
    NEED_HBA();
    CHECK_INT_EQ(write_read(H.f, &H.lun[0], HBA_LBA0, 31), 0);
    CHECK_INT_EQ(write_read(H.f, &H.lun[1], HBA_LBA1, 32), 0);
}

TEST(hba_lun_deleted_leaves_the_guest)
{
    NEED_HBA();
    int i1 = live_index(H.hctl[1]);
    REQUIRE(i1 >= 0);
    char path[128], seq[128] = "4";
    size_t used = 1;
    snprintf(path, sizeof(path), "/sys/bus/scsi/devices/%s/delete", H.hctl[1]);
    long t0 = ms_now();
    REQUIRE(write_file(path, "1") == 0);
    /* The states dev-N goes through (those polling sees): hot-removed
     * (Closing 5, Closed 6), then cleared (-1: gone) as the LUN is not on
     * the host any more. */
    int st = 4, last = 4;
    do {
        st = dev_state(i1);
        if (st != last) {
            int k = snprintf(seq + used, sizeof(seq) - used, " %d", st);
            if (k > 0 && (size_t)k < sizeof(seq) - used)
                used += (size_t)k;
            last = st;
        }
        if (st < 0)
            break;
        usleep(1000);
    } while (ms_now() - t0 < WAIT_MS);
    TAP_DIAG("dev-%d (%s) after the delete: states %s, %ld ms", i1, H.hctl[1], seq,
             ms_now() - t0);
    CHECK_INT_EQ(st, -1);
    CHECK_INT_EQ(simfront_wait_lun(H.f, &H.lun[1], false, WAIT_MS), 0);
    TAP_DIAG("gone from the guest %ld ms after the delete", ms_now() - t0);
    wait_be_connected();
    diag_devs("after the delete");
    CHECK_INT_EQ(be_int("state"), 4);   /* Connected again after the reconfiguration */
    struct vscsi_hctl seen[8];
    int n = simfront_luns(H.f, seen, 8);
    CHECK_INT_EQ(n, 1);
    CHECK(n == 1 && hctl_is(&seen[0], &H.lun[0]));
    CHECK_INT_EQ(dev_state(live_index(H.hctl[0])), 4);

    /* Not served any more. */
    static uint8_t buf[HBA_LEN];
    struct simfront_cmd c;
    rw_cmd_lun(&c, &H.lun[1], false, HBA_LBA1, buf, 4096);
    REQUIRE(simfront_exec(H.f, &c, WAIT_MS) == 0);
    diag_rslt("READ(10) to the deleted LUN", &c);
    CHECK_INT_EQ(vscsi_rslt_host(c.rslt), XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
    /* LUN 0 goes on. */
    CHECK_INT_EQ(read_at(H.f, &H.lun[0], HBA_LBA0, buf, HBA_LEN), 0);
    CHECK_MEM_EQ(buf, H.pat[0], HBA_LEN);
    /* REPORT LUNS is the device's answer: scsi_debug still has LUN 1 (the
     * kernel forgot it, the target did not); the emulation would list
     * LUN 0 alone. */
    unsigned luns[8];
    n = report_luns(H.f, &H.lun[0], luns, 8, &c);
    CHECK_INT_EQ(n, 2);
    CHECK(n == 2 && luns[0] == 0 && luns[1] == 1);
    CHECK(world_daemon_alive(&S.w));
}

TEST(hba_lun_scanned_back_in)
{
    NEED_HBA();
    char path[128], sg[32];
    snprintf(path, sizeof(path), "/sys/class/scsi_host/host%u/scan", H.host);
    long t0 = ms_now();
    REQUIRE(write_file(path, "0 0 1") == 0);
    CHECK(wait_sg(H.hctl[1], true, WAIT_MS, sg, sizeof(sg)));
    TAP_DIAG("%s back as %s %ld ms after the scan", H.hctl[1], sg, ms_now() - t0);
    CHECK_INT_EQ(simfront_wait_lun(H.f, &H.lun[1], true, WAIT_MS), 0);
    TAP_DIAG("in the guest again %ld ms after the scan", ms_now() - t0);
    int i = live_index(H.hctl[1]);
    CHECK(i >= 0);
    CHECK_INT_EQ(wait_dev_state(i, 4, WAIT_MS), 4);
    wait_be_connected();   /* the frontend acknowledges the reconfiguration */
    diag_devs("after the scan");
    CHECK_INT_EQ(be_int("state"), 4);
    char rel[64];
    snprintf(rel, sizeof(rel), "vscsi-devs/dev-%d/v-dev", i);
    char *v = i >= 0 ? be_read(rel) : NULL;
    CHECK(v && strcmp(v, H.hctl[1]) == 0);
    free(v);
    struct vscsi_hctl seen[8];
    CHECK_INT_EQ(simfront_luns(H.f, seen, 8), 2);
    /* a new scsi_device: its power-on UNIT ATTENTION first */
    CHECK_INT_EQ(until_ready(H.f, &H.lun[1], "TEST UNIT READY after the scan"), 0);
    /* the same LUN of the same target: what was written before is there */
    static uint8_t buf[HBA_LEN];
    CHECK_INT_EQ(read_at(H.f, &H.lun[1], HBA_LBA1, buf, HBA_LEN), 0);
    CHECK_MEM_EQ(buf, H.pat[1], HBA_LEN);
    CHECK_INT_EQ(write_read(H.f, &H.lun[1], HBA_LBA1, 33), 0);
    CHECK_INT_EQ(write_read(H.f, &H.lun[0], HBA_LBA0, 34), 0);
}

TEST(hba_detach_takes_every_lun)
{
    NEED_HBA();
    char cmd[128];
    static char out[4096];
    snprintf(cmd, sizeof(cmd), "hba-detach %s", H.uuid);
    int st = world_ctl(H.sock, cmd, out, sizeof(out));
    vm_trim(out);
    TAP_DIAG("pvscsictl %s: exit %d: %s", cmd, st, out);
    CHECK_INT_EQ(st, 0);
    long t0 = ms_now();
    for (unsigned l = 0; l < 2; l++)
        CHECK_INT_EQ(simfront_wait_lun(H.f, &H.lun[l], false, WAIT_MS), 0);
    TAP_DIAG("both gone from the guest after %ld ms", ms_now() - t0);
    struct vscsi_hctl seen[8];
    CHECK_INT_EQ(simfront_luns(H.f, seen, 8), 0);
    wait_be_connected();
    diag_devs("after hba-detach");
    for (unsigned l = 0; l < 2; l++)
        CHECK_INT_EQ(live_index(H.hctl[l]), -1);
    /* A rescan (SIGHUP) offers nothing again: the LUNs are still on the
     * host, but they were taken back. */
    CHECK_INT_EQ(kill(S.w.pid, SIGHUP), 0);
    usleep(1000000);
    diag_devs("after SIGHUP");
    for (unsigned l = 0; l < 2; l++)
        CHECK_INT_EQ(live_index(H.hctl[l]), -1);
    /* HOST mode is over: LUN 1 leaving and coming back does not join. */
    char *fh = be_read("feature-host");
    CHECK(fh && strcmp(fh, "0") == 0);
    free(fh);
    char path[128], sg[32];
    snprintf(path, sizeof(path), "/sys/bus/scsi/devices/%s/delete", H.hctl[1]);
    CHECK_INT_EQ(write_file(path, "1"), 0);
    CHECK(wait_sg(H.hctl[1], false, WAIT_MS, sg, sizeof(sg)));
    snprintf(path, sizeof(path), "/sys/class/scsi_host/host%u/scan", H.host);
    CHECK_INT_EQ(write_file(path, "0 0 1"), 0);
    CHECK(wait_sg(H.hctl[1], true, WAIT_MS, sg, sizeof(sg)));
    usleep(1000000);
    diag_devs("LUN 1 deleted and scanned in again");
    CHECK_INT_EQ(live_index(H.hctl[1]), -1);
    CHECK_INT_EQ(simfront_luns(H.f, seen, 8), 0);
    CHECK(world_daemon_alive(&S.w));
    CHECK_INT_EQ(simfront_close(H.f, 10000), 0);
    simfront_free(H.f);
    H.f = NULL;
    H.up = false;
}

TEST(teardown_daemon_clean_exit)
{
    NEED_WORLD();
    simguest_destroy(S.g);
    S.g = NULL;
    CHECK(world_daemon_alive(&S.w));
    CHECK_INT_EQ(world_stop(&S.w), 0);
    S.up = false;
}

TAP_MAIN(setup_attach_scsi_debug, inquiry_matches_sysfs, read_capacity_matches_dev_size,
         write_read_compare_sizes, direct_io_granted_by_sg, sixteen_in_flight, read_beyond_capacity_sense_intact,
         no_stale_data_on_check_condition, command_timeout, device_deleted_mid_io,
         virtio_scsi_disk, hba_attach_second_scsi_debug_host, hba_report_luns_from_the_device,
         hba_luns_do_io, hba_lun_deleted_leaves_the_guest, hba_lun_scanned_back_in,
         hba_detach_takes_every_lun, teardown_daemon_clean_exit)

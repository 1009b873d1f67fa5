/*
 * sg passthrough on a real kernel: pvscsid (pvscsid-sim, the daemon over the
 * hypervisor simulator) serving the simulated guest from a real /dev/sgN of
 * the kernel's scsi_debug disk. Runs inside the VM of tests/xen/tier-sg.sh
 * (Debian's kernel, scsi_debug dev_size_mb=16, sg); anywhere else every case
 * skips with the reason.
 *
 * The cases share one world (daemon, xenstored, guest) and run in order:
 * setup, INQUIRY, READ CAPACITY, write/read/compare, 16 in flight, a bad LBA
 * with its sense, a command timeout, the device deleted mid-I/O, teardown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"

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

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        s[--n] = '\0';
}

static int read_attr(const char *dev, const char *attr, char *out, size_t size)
{
    char path[512];
    snprintf(path, sizeof(path), "/sys/bus/scsi/devices/%s/%s", dev, attr);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    if (!fgets(out, (int)size, fp))
        out[0] = '\0';
    fclose(fp);
    trim(out);
    return 0;
}

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

/* The first SCSI device with this vendor and model: its H:C:T:L in out. */
static bool find_device(const char *vendor, const char *model, char *out, size_t size)
{
    bool found = false;
    DIR *d = opendir("/sys/bus/scsi/devices");
    if (!d)
        return false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        unsigned h, c, t, l;
        char end;
        if (sscanf(e->d_name, "%u:%u:%u:%u%c", &h, &c, &t, &l, &end) != 4)
            continue;
        char v[64], m[64];
        if (read_attr(e->d_name, "vendor", v, sizeof(v)) == 0 &&
            read_attr(e->d_name, "model", m, sizeof(m)) == 0 && strcmp(v, vendor) == 0 &&
            strcmp(m, model) == 0) {
            snprintf(out, size, "%u:%u:%u:%u", h, c, t, l);
            found = true;
        }
    }
    closedir(d);
    return found;
}

static void find_scsi_debug(void)
{
    S.have = find_device("Linux", "scsi_debug", S.hctl, sizeof(S.hctl));
}

/* Every case but setup: skip outside the VM, fail if setup failed. */
#define NEED_WORLD()                                                        \
    do {                                                                    \
        if (!S.have)                                                        \
            TAP_SKIP("no scsi_debug device (runs inside tests/xen/tier-sg.sh)"); \
        REQUIRE(S.up);                                                      \
    } while (0)

static void rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t blocks)
{
    memset(cdb, 0, 10);
    cdb[0] = write ? 0x2a : 0x28;
    cdb[2] = (uint8_t)(lba >> 24);
    cdb[3] = (uint8_t)(lba >> 16);
    cdb[4] = (uint8_t)(lba >> 8);
    cdb[5] = (uint8_t)lba;
    cdb[7] = (uint8_t)(blocks >> 8);
    cdb[8] = (uint8_t)blocks;
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (uint32_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static void rw_cmd(struct simfront_cmd *c, bool write, uint32_t lba, uint8_t *buf, uint32_t len)
{
    uint8_t cdb[10];
    rw10(cdb, write, lba, (uint16_t)(len / 512));
    simfront_cmd_init(c, &LUN0, cdb, 10, write ? VSCSI_DIR_TO_DEVICE : VSCSI_DIR_FROM_DEVICE,
                      buf, len);
    c->timeout_s = 30;
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
    trim(vendor);
    trim(product);
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
        fill(wbuf, len, 100 + i);
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
                fill(wbuf[i], len, 7000 + (uint32_t)i);
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
    fill(pat, len, 4242);
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
    if (!find_device("QEMU", "QEMU HARDDISK", hctl, sizeof(hctl)))
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
                fill(wbuf[i], 65536, 900 + (uint32_t)i);
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
         write_read_compare_sizes, sixteen_in_flight, read_beyond_capacity_sense_intact,
         no_stale_data_on_check_condition, command_timeout, device_deleted_mid_io,
         virtio_scsi_disk, teardown_daemon_clean_exit)

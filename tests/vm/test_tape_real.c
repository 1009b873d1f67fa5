/*
 * Tape drive, media changer and optical drive through pvscsid, on a real
 * kernel: pvscsid (pvscsid-sim, over the hypervisor simulator) serves the
 * simulated guest from the real /dev/sgN of a tgt virtual tape library
 * (tape drive + changer on iSCSI loopback, tests/xen/guest/vtl-up.sh) and of
 * QEMU's scsi-cd. Runs inside the VM of tests/xen/tier-tape.sh; anywhere else
 * every case skips with the reason.
 *
 * "Every SCSI semantic passes unchanged" is checked two ways:
 *  - the tape script (writes in variable and fixed blocks, filemarks, reads
 *    shorter and longer than the record, a read into a filemark, SPACE,
 *    end of data, READ POSITION, reservations, LOAD/UNLOAD) runs first
 *    straight on the sg node (SG_IO), then through pvscsid from the same tape
 *    position: status, sense bytes, residual and data must be identical step
 *    by step;
 *  - on top, the values SSC and tgt define are asserted (FILEMARK bit and
 *    information field, BLANK CHECK at end of data, residuals, data).
 * The changer is driven only through pvscsid: READ ELEMENT STATUS with
 * barcodes, MOVE MEDIUM, INITIALIZE ELEMENT STATUS, checked field by field.
 * Reservations (RESERVE/RELEASE(6), PERSISTENT RESERVE IN/OUT) on tgt's disk
 * LUN, and the optical drive, are compared with SG_IO the same way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"
#include "vm_scsi.h"

#define WAIT_MS 120000            /* TCG is slow */
#define GUEST 9
#define MAXLEN 65536u
#define ISO_PATH "/vt/cd.iso"

/* Virtual LUNs of the guest: the changer on device 0, the tape on device 1,
 * the optical drive on device 2. */
static const struct vscsi_hctl V_CHANGER = {0, 0, 0, 1};
static const struct vscsi_hctl V_TAPE = {0, 0, 0, 0};
static const struct vscsi_hctl V_CD = {0, 0, 0, 0};

static struct {
    char tape[32], changer[32], cd[32];   /* host H:C:T:L, "" if absent */
    char disk[32];                        /* tgt's disk (vendor IET, type 0) */
    bool up;
    struct daemon_world w;
    struct simguest *g;
    struct simfront *fc, *ft, *fcd;       /* changer, tape, cd devices */
} S;

/* /dev/sgN of a device. */
static bool sg_path(const char *hctl, char *out, size_t size)
{
    char name[32];
    vm_sg_name(hctl, name, sizeof(name));
    return name[0] && (size_t)snprintf(out, size, "/dev/%s", name) < size;
}

/* ---- one command, two ways ------------------------------------------ */

struct outcome {
    uint8_t status;
    uint8_t host_ok;              /* 1: no transport/host error */
    uint8_t sense[VSCSIIF_SENSE_BUFFERSIZE];
    unsigned sense_len;
    uint32_t residual;
    uint8_t data[MAXLEN];
};

struct step {
    const char *what;
    uint8_t cdb[16];
    uint8_t cdb_len;
    uint8_t dir;                  /* enum vscsi_dir */
    uint32_t len;
    int pattern;                  /* data-out: testdata_fill(pattern); 0: explicit `out` */
    const uint8_t *out;
    int tag;                      /* names a step the checks look at */
};

static void step_out_data(const struct step *s, uint8_t *buf)
{
    if (s->out)
        memcpy(buf, s->out, s->len);
    else
        testdata_fill(buf, s->len, (uint32_t)s->pattern);
}

/* Straight on the sg node, as any dom0 program would. */
static int run_direct(int fd, const struct step *s, struct outcome *o)
{
    static uint8_t buf[MAXLEN];
    memset(o, 0, sizeof(*o));
    memset(buf, 0, sizeof(buf));
    if (s->dir == VSCSI_DIR_TO_DEVICE)
        step_out_data(s, buf);
    sg_io_hdr_t h;
    memset(&h, 0, sizeof(h));
    h.interface_id = 'S';
    h.cmdp = (unsigned char *)s->cdb;
    h.cmd_len = s->cdb_len;
    h.dxfer_direction = s->dir == VSCSI_DIR_TO_DEVICE    ? SG_DXFER_TO_DEV
                        : s->dir == VSCSI_DIR_FROM_DEVICE ? SG_DXFER_FROM_DEV
                                                          : SG_DXFER_NONE;
    h.dxferp = s->len ? buf : NULL;
    h.dxfer_len = s->len;
    h.sbp = o->sense;
    h.mx_sb_len = sizeof(o->sense);
    h.timeout = 600000;
    if (ioctl(fd, SG_IO, &h) < 0)
        return -errno;
    o->status = h.status;
    /* DRIVER_SENSE (0x08) only says sense is there */
    o->host_ok = h.host_status == 0 && (h.driver_status & 0x07) == 0;
    o->sense_len = h.sb_len_wr;
    o->residual = h.resid < 0 ? 0 : (uint32_t)h.resid;
    if (s->dir == VSCSI_DIR_FROM_DEVICE)
        memcpy(o->data, buf, s->len);
    return 0;
}

/* Through pvscsid, as the guest. timeout_per_command 0: the daemon's
 * default for this device type (hours for tapes) applies. */
static int run_guest(struct simfront *f, const struct vscsi_hctl *lun, const struct step *s,
                     struct outcome *o)
{
    static uint8_t buf[MAXLEN];
    memset(o, 0, sizeof(*o));
    memset(buf, 0, sizeof(buf));
    if (s->dir == VSCSI_DIR_TO_DEVICE)
        step_out_data(s, buf);
    struct simfront_cmd c;
    simfront_cmd_init(&c, lun, s->cdb, s->cdb_len, s->dir, s->len ? buf : NULL, s->len);
    c.timeout_s = 0;
    int r = simfront_exec(f, &c, WAIT_MS);
    if (r < 0)
        return r;
    o->status = (uint8_t)vscsi_rslt_status(c.rslt);
    o->host_ok = vscsi_rslt_host(c.rslt) == XEN_VSCSIIF_RSLT_HOST_OK;
    o->sense_len = c.sense_len;
    memcpy(o->sense, c.sense, sizeof(o->sense));
    o->residual = c.residual;
    if (s->dir == VSCSI_DIR_FROM_DEVICE)
        memcpy(o->data, buf, s->len);
    return 0;
}

static void diag_outcome(const char *who, const struct step *s, const struct outcome *o)
{
    char sense[3 * 20 + 1] = "";
    for (unsigned i = 0; i < o->sense_len && i < 20; i++)
        snprintf(sense + 3 * i, 4, " %02x", o->sense[i]);
    unsigned nonzero = 0;
    for (uint32_t i = 0; s->dir == VSCSI_DIR_FROM_DEVICE && i < s->len; i++)
        nonzero += o->data[i] != 0;
    TAP_DIAG("%-6s %-44s status 0x%02x%s residual %u sense%s", who, s->what, o->status,
             o->host_ok ? "" : " HOST ERROR", o->residual, o->sense_len ? sense : " -");
    if (s->dir == VSCSI_DIR_FROM_DEVICE)
        TAP_DIAG("       data: %u of %u bytes non-zero; %02x %02x %02x %02x %02x %02x %02x %02x",
                 nonzero, s->len, o->data[0], o->data[1], o->data[2], o->data[3], o->data[4],
                 o->data[5], o->data[6], o->data[7]);
}

/* Bytes of data both sides transferred (the residual says how many). */
static uint32_t transferred(const struct step *s, const struct outcome *o)
{
    if (s->dir != VSCSI_DIR_FROM_DEVICE)
        return 0;
    return o->residual > s->len ? 0 : s->len - o->residual;
}

/* Data is compared when the command succeeded. After CHECK CONDITION the
 * data beyond what the sense says was read is whatever the device sent:
 * tgt claims a residual of 0 on a read into a filemark and sends its
 * uninitialised buffer, different on each run; the checks below look at
 * the bytes that are defined. */
static bool same_outcome(const struct step *s, const struct outcome *a, const struct outcome *b)
{
    uint32_t n = a->status == 0 ? transferred(s, a) : 0;
    return a->status == b->status && a->host_ok == b->host_ok && a->sense_len == b->sense_len &&
           memcmp(a->sense, b->sense, a->sense_len) == 0 && a->residual == b->residual &&
           memcmp(a->data, b->data, n) == 0;
}

/* sense helpers (fixed format, what tgt and QEMU return) */
static uint8_t sense_key(const struct outcome *o)
{
    return o->sense_len > 2 ? o->sense[2] & 0xf : 0xff;
}
static uint32_t sense_info(const struct outcome *o)
{
    if (o->sense_len < 7)
        return 0xdeadbeef;
    return (uint32_t)o->sense[3] << 24 | (uint32_t)o->sense[4] << 16 |
           (uint32_t)o->sense[5] << 8 | o->sense[6];
}
static uint16_t sense_asc(const struct outcome *o)
{
    return o->sense_len > 13 ? (uint16_t)(o->sense[12] << 8 | o->sense[13]) : 0xffff;
}

/* ---- the tape script ------------------------------------------------- */

#define CDB6(...) .cdb = {__VA_ARGS__}, .cdb_len = 6
#define CDB10(...) .cdb = {__VA_ARGS__}, .cdb_len = 10
#define CDB12(...) .cdb = {__VA_ARGS__}, .cdb_len = 12
#define IN(n) .dir = VSCSI_DIR_FROM_DEVICE, .len = (n)
#define OUT(n, p) .dir = VSCSI_DIR_TO_DEVICE, .len = (n), .pattern = (p)
#define NONE .dir = VSCSI_DIR_NONE, .len = 0

/* MODE SELECT(6) parameter list: header (buffered mode) + one block
 * descriptor; block length 0 is variable-block mode. */
static const uint8_t MODE_VARIABLE[12] = {0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t MODE_FIXED512[12] = {0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0x02, 0};
#define SET_VARIABLE                                                        \
    {"MODE SELECT(6) variable blocks", CDB6(0x15, 0x10, 0, 0, 12, 0), .dir = VSCSI_DIR_TO_DEVICE, \
     .len = 12, .out = MODE_VARIABLE}
#define SET_FIXED512                                                        \
    {"MODE SELECT(6) fixed 512-byte blocks", CDB6(0x15, 0x10, 0, 0, 12, 0),                \
     .dir = VSCSI_DIR_TO_DEVICE, .len = 12, .out = MODE_FIXED512}

enum {
    P_REC1000 = 11, P_REC4096, P_REC64K, P_FIXED, P_REC512,
};
enum {
    T_NONE, T_LONGER, T_SHORTER, T_EXACT, T_FM_VAR, T_FM_FIXED, T_REC512, T_EOD, T_AFTER_SPACE,
};

static const struct step TAPE[] = {
    SET_VARIABLE,
    {"REWIND", CDB6(0x01), NONE},
    {"READ POSITION at BOP", CDB10(0x34), IN(20)},
    {"WRITE(6) variable 1000 B", CDB6(0x0a, 0, 0, 0x03, 0xe8, 0), OUT(1000, P_REC1000)},
    {"WRITE(6) variable 4096 B", CDB6(0x0a, 0, 0, 0x10, 0x00, 0), OUT(4096, P_REC4096)},
    {"WRITE(6) variable 64 KiB", CDB6(0x0a, 0, 0x01, 0, 0, 0), OUT(65536, P_REC64K)},
    {"WRITE FILEMARKS 1", CDB6(0x10, 0, 0, 0, 1, 0), NONE},
    SET_FIXED512,
    {"WRITE(6) fixed 4 x 512 B", CDB6(0x0a, 1, 0, 0, 4, 0), OUT(2048, P_FIXED)},
    {"WRITE FILEMARKS 1", CDB6(0x10, 0, 0, 0, 1, 0), NONE},
    SET_VARIABLE,
    {"WRITE(6) variable 512 B", CDB6(0x0a, 0, 0, 0x02, 0, 0), OUT(512, P_REC512)},
    {"WRITE FILEMARKS 2", CDB6(0x10, 0, 0, 0, 2, 0), NONE},
    {"READ POSITION after writing", CDB10(0x34), IN(20)},
    {"REWIND", CDB6(0x01), NONE},
    {"READ(6) 2000 B of a 1000 B record", CDB6(0x08, 0, 0, 0x07, 0xd0, 0), IN(2000), .tag = T_LONGER},
    {"READ(6) 2048 B of a 4096 B record", CDB6(0x08, 0, 0, 0x08, 0x00, 0), IN(2048), .tag = T_SHORTER},
    {"READ(6) 64 KiB record", CDB6(0x08, 0, 0x01, 0, 0, 0), IN(65536), .tag = T_EXACT},
    {"READ(6) 512 B into a filemark", CDB6(0x08, 0, 0, 0x02, 0, 0), IN(512), .tag = T_FM_VAR},
    SET_FIXED512,
    {"READ(6) fixed 8 x 512 B, 4 before a filemark", CDB6(0x08, 1, 0, 0, 8, 0), IN(4096),
     .tag = T_FM_FIXED},
    SET_VARIABLE,
    {"READ(6) 512 B record", CDB6(0x08, 0, 0, 0x02, 0, 0), IN(512), .tag = T_REC512},
    {"READ(6) 512 B into a filemark", CDB6(0x08, 0, 0, 0x02, 0, 0), IN(512)},
    {"READ(6) 512 B into the second filemark", CDB6(0x08, 0, 0, 0x02, 0, 0), IN(512)},
    {"READ(6) 512 B at end of data", CDB6(0x08, 0, 0, 0x02, 0, 0), IN(512), .tag = T_EOD},
    {"SPACE -1 block", CDB6(0x11, 0, 0xff, 0xff, 0xff, 0), NONE},
    {"READ POSITION", CDB10(0x34), IN(20)},
    {"REWIND", CDB6(0x01), NONE},
    {"SPACE 2 filemarks", CDB6(0x11, 1, 0, 0, 2, 0), NONE},
    {"READ(6) 512 B record after SPACE", CDB6(0x08, 0, 0, 0x02, 0, 0), IN(512),
     .tag = T_AFTER_SPACE},
    {"SPACE -1 filemark", CDB6(0x11, 1, 0xff, 0xff, 0xff, 0), NONE},
    {"READ(6) 512 B after SPACE back", CDB6(0x08, 0, 0, 0x02, 0, 0), IN(512)},
    {"SPACE to end of data", CDB6(0x11, 3, 0, 0, 0, 0), NONE},
    {"READ BLOCK LIMITS", CDB6(0x05, 0, 0, 0, 0, 0), IN(6)},
    {"MODE SENSE(6) all pages", CDB6(0x1a, 0, 0x3f, 0, 0xff, 0), IN(255)},
    {"RESERVE(6)", CDB6(0x16), NONE},
    {"RELEASE(6)", CDB6(0x17), NONE},
    {"PERSISTENT RESERVE IN, READ KEYS", CDB10(0x5e, 0, 0, 0, 0, 0, 0, 0, 0xff, 0), IN(255)},
    {"LOAD/UNLOAD: unload", CDB6(0x1b, 0, 0, 0, 0, 0), NONE},
    {"TEST UNIT READY, unloaded", CDB6(0x00), NONE},
    {"LOAD/UNLOAD: load", CDB6(0x1b, 0, 0, 0, 1, 0), NONE},
    {"TEST UNIT READY, loaded", CDB6(0x00), NONE},
    {"REWIND", CDB6(0x01), NONE},
};
#define TAPE_STEPS (sizeof(TAPE) / sizeof(TAPE[0]))

static struct outcome REF[TAPE_STEPS];   /* the direct run */

static size_t step_index(const struct step *steps, size_t n, int tag)
{
    for (size_t i = 0; i < n; i++)
        if (steps[i].tag == tag)
            return i;
    abort();
}

static size_t step_of(int tag)
{
    return step_index(TAPE, TAPE_STEPS, tag);
}
static bool have_ref;

#define NEED(cond, why)                                                     \
    do {                                                                    \
        if (!(cond))                                                        \
            TAP_SKIP(why);                                                  \
    } while (0)
#define NEED_TAPE() NEED(S.tape[0] && S.changer[0], "no tape library (runs inside tests/xen/tier-tape.sh)")

/* TEST UNIT READY until GOOD (a UNIT ATTENTION or "becoming ready" first). */
static int tur_direct(int fd)
{
    static const struct step tur = {"TEST UNIT READY", CDB6(0x00), NONE};
    static struct outcome o;
    for (int i = 0; i < 20; i++) {
        if (run_direct(fd, &tur, &o) < 0)
            return -1;
        if (o.status == 0 && o.host_ok)
            return 0;
        usleep(250000);
    }
    diag_outcome("direct", &tur, &o);
    return -1;
}

static int tur_guest(struct simfront *f, const struct vscsi_hctl *lun)
{
    static const struct step tur = {"TEST UNIT READY", CDB6(0x00), NONE};
    static struct outcome o;
    for (int i = 0; i < 20; i++) {
        if (run_guest(f, lun, &tur, &o) < 0)
            return -1;
        if (o.status == 0 && o.host_ok)
            return 0;
        usleep(250000);
    }
    diag_outcome("guest", &tur, &o);
    return -1;
}

/* ---- the changer ------------------------------------------------------ */

struct element {
    uint16_t addr;
    uint8_t type;                 /* 1 transport, 2 storage, 3 I/E, 4 drive */
    bool full;
    char tag[33];                 /* primary volume tag, trimmed */
};

/* READ ELEMENT STATUS of one element type (with volume tags) through the
 * guest, parsed into el; the number of elements or -1. One type per command:
 * tgt builds the all-types report over its own header (usr/smc.c). */
static int read_elements_of(uint8_t type, struct element *el, int max)
{
    static uint8_t buf[4096];
    const uint8_t cdb[12] = {0xb8, (uint8_t)(0x10 | type), 0, 0, 0, 32, 0, 0, 0x10, 0, 0, 0};
    struct simfront_cmd c;
    memset(buf, 0, sizeof(buf));
    simfront_cmd_init(&c, &V_CHANGER, cdb, 12, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
    if (simfront_exec(S.fc, &c, WAIT_MS) < 0 || c.rslt != 0) {
        TAP_DIAG("READ ELEMENT STATUS type %u: rslt 0x%x sense key %x", type, (unsigned)c.rslt,
                 c.sense_len > 2 ? c.sense[2] & 0xf : 0);
        return -1;
    }
    /* tgt counts its report's byte count from the start of the report, not
     * after the header as SMC says, and sends that many bytes (usr/smc.c):
     * the last 8 bytes of the last descriptor (after its volume tag) never
     * come. Parse what arrived; a descriptor needs its first 44 bytes. */
    uint32_t report = (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
    uint32_t got = (uint32_t)sizeof(buf) - c.residual, off = 8;
    uint32_t end = 8 + report < got ? 8 + report : got;
    int n = 0;
    while (off + 8 <= end) {
        uint8_t ptype = buf[off];
        bool pvol = buf[off + 1] & 0x80;
        uint16_t dlen = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);
        uint32_t bytes = (uint32_t)buf[off + 5] << 16 | (uint32_t)buf[off + 6] << 8 | buf[off + 7];
        off += 8;
        if (dlen < 12 + 32 || !pvol)
            return -1;
        for (uint32_t d = off; d < off + bytes && d + 12 + 32 <= end && n < max; d += dlen) {
            struct element *e = &el[n++];
            memset(e, 0, sizeof(*e));
            e->addr = (uint16_t)(buf[d] << 8 | buf[d + 1]);
            e->type = ptype;
            e->full = buf[d + 2] & 1;
            memcpy(e->tag, buf + d + 12, 32);
            for (int i = 31; i >= 0 && (e->tag[i] == ' ' || e->tag[i] == '\0'); i--)
                e->tag[i] = '\0';
        }
        off += bytes;
    }
    TAP_DIAG("READ ELEMENT STATUS type %u: %d elements (report %u bytes, %u arrived)", type, n,
             report, got);
    return n;
}

/* Drives, storage slots and import/export elements. */
static int read_elements(struct element *el, int max)
{
    static const uint8_t types[] = {4, 2, 3};
    int n = 0;
    for (size_t i = 0; i < sizeof(types); i++) {
        int k = read_elements_of(types[i], el + n, max - n);
        if (k < 0)
            return -1;
        n += k;
    }
    return n;
}

static const struct element *element_at(const struct element *el, int n, uint16_t addr)
{
    for (int i = 0; i < n; i++)
        if (el[i].addr == addr)
            return &el[i];
    return NULL;
}

/* Asserts element `addr` has this type, fullness and tag ("" when empty). */
static void check_element(const struct element *el, int n, uint16_t addr, uint8_t type, bool full,
                          const char *tag)
{
    const struct element *e = element_at(el, n, addr);
    CHECK(e != NULL);
    if (!e)
        return;
    TAP_DIAG("element %u: type %u, %s, tag '%s'", e->addr, e->type, e->full ? "full" : "empty",
             e->tag);
    CHECK_INT_EQ(e->type, type);
    CHECK_INT_EQ(e->full, full);
    if (full)
        CHECK_STR_EQ(e->tag, tag);
}

static int move_medium(uint16_t from, uint16_t to)
{
    const uint8_t cdb[12] = {0xa5, 0, 0, 0, (uint8_t)(from >> 8), (uint8_t)from,
                             (uint8_t)(to >> 8), (uint8_t)to, 0, 0, 0, 0};
    struct simfront_cmd c;
    simfront_cmd_init(&c, &V_CHANGER, cdb, 12, VSCSI_DIR_NONE, NULL, 0);
    if (simfront_exec(S.fc, &c, WAIT_MS) < 0)
        return -1;
    if (c.rslt != 0)
        TAP_DIAG("MOVE MEDIUM %u -> %u: rslt 0x%x sense %x/%02x%02x", from, to, (unsigned)c.rslt,
                 c.sense_len > 2 ? c.sense[2] & 0xf : 0, c.sense_len > 13 ? c.sense[12] : 0,
                 c.sense_len > 13 ? c.sense[13] : 0);
    return c.rslt == 0 ? 0 : -1;
}

/* ---- cases ------------------------------------------------------------ */

TEST(setup_library_and_changer)
{
    bool t = vm_find_device(1, NULL, NULL, S.tape, sizeof(S.tape));
    bool c = vm_find_device(8, NULL, NULL, S.changer, sizeof(S.changer));
    (void)vm_find_device(5, NULL, NULL, S.cd, sizeof(S.cd));
    char vendor0[16];
    if (vm_find_device(0, NULL, NULL, S.disk, sizeof(S.disk)) &&
        (vm_read_attr(S.disk, "vendor", vendor0, sizeof(vendor0)) != 0 || strcmp(vendor0, "IET") != 0))
        S.disk[0] = '\0';
    /* tier-tape.sh sets VT_REQUIRE: there a missing device is a failure */
    if (getenv("VT_REQUIRE")) {
        REQUIRE(t && c);
        REQUIRE(S.cd[0]);
        REQUIRE(S.disk[0]);
    }
    if (!t || !c) {
        S.tape[0] = S.changer[0] = '\0';
        TAP_SKIP("no tape drive and changer in /sys/bus/scsi/devices (runs inside tests/xen/tier-tape.sh)");
    }
    TAP_DIAG("tape %s, changer %s, optical %s, disk %s", S.tape, S.changer,
             S.cd[0] ? S.cd : "none", S.disk[0] ? S.disk : "none");
    const char *args[] = {"--log-level", getenv("SG_LOG_LEVEL") ? getenv("SG_LOG_LEVEL") : "info",
                          "--datapath", getenv("SG_DATAPATH") ? getenv("SG_DATAPATH") : "copy",
                          NULL};
    TAP_DIAG("datapath %s", args[3]);
    REQUIRE(world_start(&S.w, args) == 0);
    S.g = simguest_create(GUEST, 16384, 0);
    REQUIRE(S.g);
    const struct toolstack_lun lun = {0, S.changer, "0:0:0:1"};
    S.fc = world_attach(&S.w, S.g, 0, &lun, 1);
    REQUIRE(S.fc);
    REQUIRE(simfront_wait_lun(S.fc, &V_CHANGER, true, 10000) == 0);
    S.up = true;
    /* INQUIRY passes through: a medium changer */
    uint8_t inq[96] = {0};
    const uint8_t cdb[6] = {0x12, 0, 0, 0, sizeof(inq), 0};
    struct simfront_cmd cmd;
    REQUIRE(simfront_exec_cdb(S.fc, &cmd, &V_CHANGER, cdb, 6, VSCSI_DIR_FROM_DEVICE,
                              inq, sizeof(inq), WAIT_MS) == 0);
    CHECK_INT_EQ(cmd.rslt, 0);
    CHECK_INT_EQ(inq[0] & 0x1f, 8);
    char vendor[16];
    REQUIRE(vm_read_attr(S.changer, "vendor", vendor, sizeof(vendor)) == 0);
    CHECK(memcmp(inq + 8, vendor, strlen(vendor)) == 0);
}

TEST(changer_initialize_and_read_element_status)
{
    NEED_TAPE();
    REQUIRE(S.up);
    REQUIRE(tur_guest(S.fc, &V_CHANGER) == 0);
    const uint8_t ies[6] = {0x07, 0, 0, 0, 0, 0};
    struct simfront_cmd c;
    REQUIRE(simfront_exec_cdb(S.fc, &c, &V_CHANGER, ies, 6, VSCSI_DIR_NONE, NULL, 0, WAIT_MS) == 0);
    CHECK_INT_EQ(c.rslt, 0);
    struct element el[16];
    int n = read_elements(el, 16);
    TAP_DIAG("READ ELEMENT STATUS: %d elements", n);
    REQUIRE(n >= 4);
    check_element(el, n, 1, 4, false, "");           /* the drive, empty */
    check_element(el, n, 3, 2, true, "TAPE0001");
    check_element(el, n, 4, 2, true, "TAPE0002");
}

TEST(changer_move_medium_loads_the_drive)
{
    NEED_TAPE();
    REQUIRE(S.up);
    REQUIRE(move_medium(3, 1) == 0);
    struct element el[16];
    int n = read_elements(el, 16);
    REQUIRE(n >= 4);
    check_element(el, n, 1, 4, true, "TAPE0001");
    check_element(el, n, 3, 2, false, "");
}

TEST(tape_script_direct_reference)
{
    NEED_TAPE();
    REQUIRE(S.up);
    char sg[64];
    REQUIRE(sg_path(S.tape, sg, sizeof(sg)));
    int fd = open(sg, O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(tur_direct(fd) == 0);
    int failed = 0;
    for (size_t i = 0; i < TAPE_STEPS; i++) {
        if (run_direct(fd, &TAPE[i], &REF[i]) < 0) {
            TAP_DIAG("SG_IO failed at step %zu: %s", i, strerror(errno));
            failed++;
            break;
        }
        diag_outcome("direct", &TAPE[i], &REF[i]);
    }
    close(fd);
    CHECK_INT_EQ(failed, 0);
    have_ref = failed == 0;
}

TEST(tape_attach_through_pvscsid)
{
    NEED_TAPE();
    REQUIRE(S.up);
    const struct toolstack_lun lun = {0, S.tape, "0:0:0:0"};
    S.ft = world_attach(&S.w, S.g, 1, &lun, 1);
    REQUIRE(S.ft);
    REQUIRE(simfront_wait_lun(S.ft, &V_TAPE, true, 10000) == 0);
    CHECK_INT_EQ(world_wait_lun_state(&S.w, GUEST, 1, 0, 4, 10000), 0);
}

/* The script again, through the guest: every step identical. */
TEST(tape_script_through_pvscsid_identical)
{
    NEED_TAPE();
    REQUIRE(S.ft && have_ref);
    REQUIRE(tur_guest(S.ft, &V_TAPE) == 0);
    static struct outcome o[TAPE_STEPS];
    int differ = 0;
    for (size_t i = 0; i < TAPE_STEPS; i++) {
        REQUIRE(run_guest(S.ft, &V_TAPE, &TAPE[i], &o[i]) == 0);
        if (!same_outcome(&TAPE[i], &REF[i], &o[i])) {
            differ++;
            TAP_DIAG("step %zu differs:", i);
            diag_outcome("direct", &TAPE[i], &REF[i]);
            diag_outcome("guest", &TAPE[i], &o[i]);
        }
    }
    CHECK_INT_EQ(differ, 0);
    TAP_DIAG("%zu steps, %d differ", TAPE_STEPS, differ);

    /* What SSC defines (and tgt does), as the guest sees it. */
    static uint8_t want[MAXLEN];
    const struct outcome *r;
    /* a longer read of a shorter variable record: CHECK CONDITION, ILI,
     * VALID, information = requested - actual = +1000, the residual, the data */
    r = &o[step_of(T_LONGER)];
    CHECK_INT_EQ(r->status, 0x02);
    CHECK_INT_EQ(sense_key(r), 0x0);
    CHECK_INT_EQ(r->sense[2] & 0xe0, 0x20);   /* ILI, no FILEMARK/EOM */
    CHECK_INT_EQ(r->sense[0] & 0x80, 0x80);
    CHECK_INT_EQ(sense_info(r), 1000);
    CHECK_INT_EQ(r->residual, 1000);
    testdata_fill(want, 1000, P_REC1000);
    CHECK_MEM_EQ(r->data, want, 1000);
    /* a shorter read of a longer record: ILI, information = -2048 */
    r = &o[step_of(T_SHORTER)];
    CHECK_INT_EQ(r->status, 0x02);
    CHECK_INT_EQ(r->sense[2] & 0xe0, 0x20);
    CHECK_INT_EQ((int32_t)sense_info(r), -2048);
    /* exact: GOOD, all 64 KiB */
    r = &o[step_of(T_EXACT)];
    CHECK_INT_EQ(r->status, 0);
    CHECK_INT_EQ(r->residual, 0);
    testdata_fill(want, 65536, P_REC64K);
    CHECK_MEM_EQ(r->data, want, 65536);
    /* a read into a filemark: FILEMARK, information = 512 not read, ASC
     * 00/01 FILEMARK DETECTED, nothing transferred */
    r = &o[step_of(T_FM_VAR)];
    CHECK_INT_EQ(r->status, 0x02);
    CHECK_INT_EQ(r->sense[2], 0x80);
    CHECK_INT_EQ(sense_info(r), 512);
    CHECK_INT_EQ(sense_asc(r), 0x0001);
    /* fixed blocks: the filemark after 4 of 8 blocks: FILEMARK, the data of
     * the 4 blocks */
    r = &o[step_of(T_FM_FIXED)];
    CHECK_INT_EQ(r->status, 0x02);
    CHECK_INT_EQ(r->sense[2], 0x80);
    CHECK_INT_EQ(sense_asc(r), 0x0001);
    testdata_fill(want, 2048, P_FIXED);
    CHECK_MEM_EQ(r->data, want, 2048);
    /* the 512-byte record, also after SPACE 2 filemarks */
    testdata_fill(want, 512, P_REC512);
    r = &o[step_of(T_REC512)];
    CHECK_INT_EQ(r->status, 0);
    CHECK_MEM_EQ(r->data, want, 512);
    r = &o[step_of(T_AFTER_SPACE)];
    CHECK_INT_EQ(r->status, 0);
    CHECK_MEM_EQ(r->data, want, 512);
    /* end of data: BLANK CHECK with EOM */
    r = &o[step_of(T_EOD)];
    CHECK_INT_EQ(r->status, 0x02);
    CHECK_INT_EQ(r->sense[2], 0x48);
}

/* A LUN given to one guest device is refused to any other. */
TEST(second_assignment_refused)
{
    NEED_TAPE();
    REQUIRE(S.ft);
    const struct toolstack_lun dup = {1, S.tape, "0:0:0:7"};
    REQUIRE(toolstack_vscsi_add_lun(S.w.xs, 0, GUEST, 0, &dup) == 0);
    CHECK_INT_EQ(world_wait_lun_state(&S.w, GUEST, 0, 1, 6, 10000), 0);
    const struct vscsi_hctl v7 = {0, 0, 0, 7};
    usleep(300000);
    CHECK_INT_EQ(simfront_wait_lun(S.fc, &v7, false, 2000), 0);
    /* and the first assignment keeps working */
    CHECK_INT_EQ(tur_guest(S.ft, &V_TAPE), 0);
    CHECK_INT_EQ(world_lun_state(&S.w, GUEST, 1, 0), 4);
}

/* Unload, put the cartridge back, load the other one, write and read it,
 * put it back: the library ends as it began. */
TEST(swap_cartridges)
{
    NEED_TAPE();
    REQUIRE(S.ft);
    const struct step unload = {"LOAD/UNLOAD: unload", CDB6(0x1b, 0, 0, 0, 0, 0), NONE};
    static struct outcome o;
    REQUIRE(run_guest(S.ft, &V_TAPE, &unload, &o) == 0);
    CHECK_INT_EQ(o.status, 0);
    REQUIRE(move_medium(1, 3) == 0);
    REQUIRE(move_medium(4, 1) == 0);
    struct element el[16];
    int n = read_elements(el, 16);
    REQUIRE(n >= 4);
    check_element(el, n, 1, 4, true, "TAPE0002");
    check_element(el, n, 3, 2, true, "TAPE0001");
    check_element(el, n, 4, 2, false, "");
    REQUIRE(tur_guest(S.ft, &V_TAPE) == 0);
    const struct step steps[] = {
        SET_VARIABLE,
        {"REWIND", CDB6(0x01), NONE},
        {"WRITE(6) variable 32 KiB", CDB6(0x0a, 0, 0, 0x80, 0, 0), OUT(32768, 77)},
        {"WRITE FILEMARKS 1", CDB6(0x10, 0, 0, 0, 1, 0), NONE},
        {"REWIND", CDB6(0x01), NONE},
        {"READ(6) 32 KiB", CDB6(0x08, 0, 0, 0x80, 0, 0), IN(32768)},
        {"LOAD/UNLOAD: unload", CDB6(0x1b, 0, 0, 0, 0, 0), NONE},
    };
    static uint8_t want[32768];
    testdata_fill(want, sizeof(want), 77);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        REQUIRE(run_guest(S.ft, &V_TAPE, &steps[i], &o) == 0);
        if (o.status != 0)
            diag_outcome("guest", &steps[i], &o);
        CHECK_INT_EQ(o.status, 0);
        CHECK(o.host_ok);
        if (steps[i].dir == VSCSI_DIR_FROM_DEVICE)   /* TAPE0002's record, read back */
            CHECK_MEM_EQ(o.data, want, sizeof(want));
    }
    REQUIRE(move_medium(1, 4) == 0);
    n = read_elements(el, 16);
    REQUIRE(n >= 4);
    check_element(el, n, 1, 4, false, "");
    check_element(el, n, 3, 2, true, "TAPE0001");
    check_element(el, n, 4, 2, true, "TAPE0002");
}

/* Detach gives the device back: dom0 can open it exclusively again. */
TEST(detach_returns_the_tape)
{
    NEED_TAPE();
    REQUIRE(S.ft);
    char sg[64];
    REQUIRE(sg_path(S.tape, sg, sizeof(sg)));
    int busy = open(sg, O_RDWR | O_EXCL | O_NONBLOCK | O_CLOEXEC);
    CHECK(busy < 0 && errno == EBUSY);   /* pvscsid holds it exclusively */
    if (busy >= 0)
        close(busy);
    CHECK_INT_EQ(simfront_close(S.ft, 10000), 0);
    simfront_free(S.ft);
    S.ft = NULL;
    REQUIRE(toolstack_vscsi_destroy(S.w.xs, 0, GUEST, 1) == 0);
    int fd = -1;
    for (int i = 0; i < 40 && fd < 0; i++) {
        fd = open(sg, O_RDWR | O_EXCL | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            usleep(250000);
    }
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
}

/* ---- reservations ----------------------------------------------------- */

/* PERSISTENT RESERVE OUT parameter lists: reservation key, service action
 * reservation key (24 bytes in all). */
#define PRKEY 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88
static const uint8_t PR_REGISTER[24] = {0, 0, 0, 0, 0, 0, 0, 0, PRKEY};
static const uint8_t PR_KEY_ONLY[24] = {PRKEY};
static const uint8_t PR_UNREGISTER[24] = {PRKEY};   /* new key 0 */
#define PR_OUT(sa, type, list) CDB10(0x5f, (sa), (type), 0, 0, 0, 0, 0, 24, 0), \
    .dir = VSCSI_DIR_TO_DEVICE, .len = 24, .out = (list)
enum { R_KEYS0 = 100, R_KEYS1, R_RESV, R_RESV_NONE, R_KEYS_END, R_CONFLICT, R_RESERVE6 };

static const struct step PR[] = {
    {"PERSISTENT RESERVE IN, READ KEYS", CDB10(0x5e, 0, 0, 0, 0, 0, 0, 0, 0xff, 0), IN(255), .tag = R_KEYS0},
    {"PERSISTENT RESERVE IN, REPORT CAPABILITIES", CDB10(0x5e, 2, 0, 0, 0, 0, 0, 0, 0xff, 0), IN(255)},
    {"PERSISTENT RESERVE OUT, REGISTER", PR_OUT(0, 0, PR_REGISTER)},
    {"PERSISTENT RESERVE IN, READ KEYS", CDB10(0x5e, 0, 0, 0, 0, 0, 0, 0, 0xff, 0), IN(255), .tag = R_KEYS1},
    {"PERSISTENT RESERVE OUT, RESERVE exclusive access", PR_OUT(1, 3, PR_KEY_ONLY)},
    {"PERSISTENT RESERVE IN, READ RESERVATION", CDB10(0x5e, 1, 0, 0, 0, 0, 0, 0, 0xff, 0), IN(255), .tag = R_RESV},
    {"READ(10) by the holder", CDB10(0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0), IN(4096)},
    {"RESERVE(6) under a persistent reservation", CDB6(0x16), NONE, .tag = R_CONFLICT},
    {"PERSISTENT RESERVE OUT, RELEASE", PR_OUT(2, 3, PR_KEY_ONLY)},
    {"PERSISTENT RESERVE IN, READ RESERVATION", CDB10(0x5e, 1, 0, 0, 0, 0, 0, 0, 0xff, 0), IN(255), .tag = R_RESV_NONE},
    {"PERSISTENT RESERVE OUT, REGISTER key 0 (unregister)", PR_OUT(0, 0, PR_UNREGISTER)},
    {"PERSISTENT RESERVE IN, READ KEYS", CDB10(0x5e, 0, 0, 0, 0, 0, 0, 0, 0xff, 0), IN(255), .tag = R_KEYS_END},
    {"RESERVE(6)", CDB6(0x16), NONE, .tag = R_RESERVE6},
    {"RELEASE(6)", CDB6(0x17), NONE},
};
#define PR_STEPS (sizeof(PR) / sizeof(PR[0]))

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RESERVE/RELEASE(6) and PERSISTENT RESERVE IN/OUT on tgt's disk: straight
 * on the sg node, then through pvscsid on the same I_T nexus; identical but
 * for the PR generation, which the first run's two REGISTERs moved by 2. */
TEST(reservations_pass_through)
{
    NEED(S.disk[0], "no tgt disk in this VM");
    REQUIRE(S.up);
    char sg[64];
    REQUIRE(sg_path(S.disk, sg, sizeof(sg)));
    static struct outcome ref[PR_STEPS], o[PR_STEPS];
    int fd = open(sg, O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(tur_direct(fd) == 0);
    for (size_t i = 0; i < PR_STEPS; i++)
        REQUIRE(run_direct(fd, &PR[i], &ref[i]) == 0);
    close(fd);
    const struct toolstack_lun lun = {0, S.disk, "0:0:0:0"};
    struct simfront *f = world_attach(&S.w, S.g, 3, &lun, 1);
    REQUIRE(f);
    const struct vscsi_hctl v = {0, 0, 0, 0};
    REQUIRE(simfront_wait_lun(f, &v, true, 10000) == 0);
    REQUIRE(tur_guest(f, &v) == 0);
    int differ = 0;
    for (size_t i = 0; i < PR_STEPS; i++) {
        REQUIRE(run_guest(f, &v, &PR[i], &o[i]) == 0);
        diag_outcome("guest", &PR[i], &o[i]);
        struct outcome a = ref[i];
        /* the generation (bytes 0-3 of READ KEYS / READ RESERVATION) */
        if (PR[i].cdb[0] == 0x5e && (PR[i].cdb[1] & 0x1f) < 2 && a.status == 0 && o[i].status == 0) {
            CHECK_INT_EQ(be32(o[i].data), be32(a.data) + 2);
            memcpy(a.data, o[i].data, 4);
        }
        if (!same_outcome(&PR[i], &a, &o[i])) {
            differ++;
            diag_outcome("direct", &PR[i], &ref[i]);
        }
    }
    CHECK_INT_EQ(differ, 0);
    static const uint8_t key[8] = {PRKEY};
    const struct outcome *r;
    r = &o[step_index(PR, PR_STEPS, R_KEYS0)];
    CHECK_INT_EQ(r->status, 0);
    CHECK_INT_EQ(be32(r->data + 4), 0);           /* no keys */
    r = &o[step_index(PR, PR_STEPS, R_KEYS1)];
    CHECK_INT_EQ(be32(r->data + 4), 8);           /* one key: ours */
    CHECK_MEM_EQ(r->data + 8, key, 8);
    r = &o[step_index(PR, PR_STEPS, R_RESV)];
    CHECK_INT_EQ(be32(r->data + 4), 16);          /* one reservation */
    CHECK_MEM_EQ(r->data + 8, key, 8);
    CHECK_INT_EQ(r->data[21] & 0xf, 3);           /* exclusive access */
    /* SPC-3 5.6.3 wants RESERVATION CONFLICT here; tgt answers GOOD. The
     * guest gets what the device said (compared above), nothing else. */
    r = &o[step_index(PR, PR_STEPS, R_CONFLICT)];
    TAP_DIAG("RESERVE(6) under a persistent reservation: status 0x%02x (direct 0x%02x)", r->status,
             ref[step_index(PR, PR_STEPS, R_CONFLICT)].status);
    r = &o[step_index(PR, PR_STEPS, R_RESV_NONE)];
    CHECK_INT_EQ(be32(r->data + 4), 0);
    r = &o[step_index(PR, PR_STEPS, R_KEYS_END)];
    CHECK_INT_EQ(be32(r->data + 4), 0);
    r = &o[step_index(PR, PR_STEPS, R_RESERVE6)];
    CHECK_INT_EQ(r->status, 0);
    CHECK_INT_EQ(simfront_close(f, 10000), 0);
    simfront_free(f);
}

/* ---- any other peripheral type ------------------------------------------ */

static const struct step ANY[] = {
    {"INQUIRY", CDB6(0x12, 0, 0, 0, 96, 0), IN(96)},
    {"INQUIRY VPD 00 (supported pages)", CDB6(0x12, 1, 0x00, 0, 255, 0), IN(255)},
    {"TEST UNIT READY", CDB6(0x00), NONE},
    {"REQUEST SENSE", CDB6(0x03, 0, 0, 0, 18, 0), IN(18)},
    {"MODE SENSE(6) all pages", CDB6(0x1a, 0, 0x3f, 0, 0xff, 0), IN(255)},
    {"an opcode nobody has (0xd7)", CDB6(0xd7), NONE},
};
#define ANY_STEPS (sizeof(ANY) / sizeof(ANY[0]))

/* Every other SCSI device of the VM (tgt's controller LUN, type 12; a
 * scsi_debug LUN that says it is an enclosure, type 13; tgt's disk): the
 * same commands straight and through pvscsid, identical. REPORT LUNS is
 * left out: pvscsid answers it for the guest's own LUN map. */
TEST(other_peripheral_types_identical)
{
    NEED_TAPE();
    REQUIRE(S.up);
    DIR *d = opendir("/sys/bus/scsi/devices");
    REQUIRE(d);
    struct dirent *e;
    bool seen[32] = {false};
    uint32_t devid = 10;
    int differ = 0;
    while ((e = readdir(d))) {
        unsigned h, c, t, l;
        char end, ty[16], sg[64];
        if (sscanf(e->d_name, "%u:%u:%u:%u%c", &h, &c, &t, &l, &end) != 4 ||
            vm_read_attr(e->d_name, "type", ty, sizeof(ty)) != 0 || !sg_path(e->d_name, sg, sizeof(sg)))
            continue;
        int type = atoi(ty);
        if (type == 1 || type == 5 || type == 8 || type < 0 || type >= 32)
            continue;   /* tape, optical and changer have their own cases */
        seen[type] = true;
        static struct outcome ref[ANY_STEPS], o;
        int fd = open(sg, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        REQUIRE(fd >= 0);
        (void)tur_direct(fd);   /* a pending UNIT ATTENTION, consumed on both paths */
        for (size_t i = 0; i < ANY_STEPS; i++)
            REQUIRE(run_direct(fd, &ANY[i], &ref[i]) == 0);
        close(fd);
        const struct toolstack_lun lun = {0, e->d_name, "0:0:0:0"};
        struct simfront *f = world_attach(&S.w, S.g, devid, &lun, 1);
        REQUIRE(f);
        const struct vscsi_hctl v = {0, 0, 0, 0};
        REQUIRE(simfront_wait_lun(f, &v, true, 10000) == 0);
        (void)tur_guest(f, &v);
        for (size_t i = 0; i < ANY_STEPS; i++) {
            REQUIRE(run_guest(f, &v, &ANY[i], &o) == 0);
            if (i == 0)
                CHECK_INT_EQ(o.data[0] & 0x1f, type);
            if (!same_outcome(&ANY[i], &ref[i], &o)) {
                differ++;
                TAP_DIAG("%s (type %d) differs:", e->d_name, type);
                diag_outcome("direct", &ANY[i], &ref[i]);
                diag_outcome("guest", &ANY[i], &o);
            }
        }
        TAP_DIAG("%s, type %d (%s): %zu commands compared", e->d_name, type, sg, ANY_STEPS);
        CHECK_INT_EQ(simfront_close(f, 10000), 0);
        simfront_free(f);
        REQUIRE(toolstack_vscsi_destroy(S.w.xs, 0, GUEST, devid) == 0);
        devid++;
    }
    closedir(d);
    CHECK_INT_EQ(differ, 0);
    if (getenv("VT_REQUIRE")) {
        CHECK(seen[12]);   /* tgt's controller LUN */
        CHECK(seen[13]);   /* scsi_debug ptype=13 */
    }
}

/* ---- the optical drive ------------------------------------------------ */

static const struct step CD[] = {
    {"INQUIRY", CDB6(0x12, 0, 0, 0, 96, 0), IN(96)},
    {"READ CAPACITY(10)", CDB10(0x25), IN(8)},
    {"READ TOC", CDB10(0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0), IN(804)},
    {"GET CONFIGURATION", CDB10(0x46, 0, 0, 0, 0, 0, 0, 0, 0x08, 0), IN(8)},
    {"MODE SENSE(10) page 2A", CDB10(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 0xff, 0), IN(255)},
    {"READ(10) LBA 16 (volume descriptor)", CDB10(0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0), IN(2048)},
    {"READ(10) past the end", CDB10(0x28, 0, 0, 0x10, 0, 0, 0, 0, 1, 0), IN(2048)},
};
#define CD_STEPS (sizeof(CD) / sizeof(CD[0]))

TEST(optical_drive_identical_and_iso_compared)
{
    NEED(S.cd[0], "no optical drive (QEMU scsi-cd) in this VM");
    REQUIRE(S.up);
    char sg[64];
    REQUIRE(sg_path(S.cd, sg, sizeof(sg)));
    static struct outcome ref[CD_STEPS], o;
    int fd = open(sg, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(tur_direct(fd) == 0);
    for (size_t i = 0; i < CD_STEPS; i++)
        REQUIRE(run_direct(fd, &CD[i], &ref[i]) == 0);
    close(fd);
    const struct toolstack_lun lun = {0, S.cd, "0:0:0:0"};
    S.fcd = world_attach(&S.w, S.g, 2, &lun, 1);
    REQUIRE(S.fcd);
    REQUIRE(simfront_wait_lun(S.fcd, &V_CD, true, 10000) == 0);
    REQUIRE(tur_guest(S.fcd, &V_CD) == 0);
    int differ = 0;
    for (size_t i = 0; i < CD_STEPS; i++) {
        REQUIRE(run_guest(S.fcd, &V_CD, &CD[i], &o) == 0);
        diag_outcome("direct", &CD[i], &ref[i]);
        diag_outcome("guest", &CD[i], &o);
        if (!same_outcome(&CD[i], &ref[i], &o)) {
            differ++;
            diag_outcome("direct", &CD[i], &ref[i]);
        }
        if (i == 0)
            CHECK_INT_EQ(o.data[0] & 0x1f, 5);
        if (i == 5)
            CHECK_MEM_EQ(o.data + 1, "CD001", 5);
        if (i == 6) {
            CHECK_INT_EQ(sense_key(&o), 0x5);
            CHECK_INT_EQ(sense_asc(&o) >> 8, 0x21);
        }
    }
    CHECK_INT_EQ(differ, 0);

    /* the whole image, 64 KiB at a time, against the ISO file */
    FILE *iso = fopen(ISO_PATH, "rb");
    REQUIRE(iso);
    struct stat st;
    REQUIRE(fstat(fileno(iso), &st) == 0);
    REQUIRE(st.st_size > 0 && st.st_size % 2048 == 0);
    uint32_t blocks = (uint32_t)(st.st_size / 2048), bad = 0;
    static uint8_t want[MAXLEN];
    for (uint32_t lba = 0; lba < blocks; lba += 32) {
        uint32_t nb = blocks - lba < 32 ? blocks - lba : 32;
        struct step rd = {"READ(10)", CDB10(0x28, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16),
                                            (uint8_t)(lba >> 8), (uint8_t)lba, 0, 0, (uint8_t)nb, 0),
                          IN(nb * 2048)};
        REQUIRE(run_guest(S.fcd, &V_CD, &rd, &o) == 0);
        REQUIRE(fread(want, 2048, nb, iso) == nb);
        if (o.status != 0 || memcmp(o.data, want, nb * 2048) != 0)
            bad++;
    }
    fclose(iso);
    TAP_DIAG("ISO image: %u blocks of 2048 read through pvscsid, %u chunks differ", blocks, bad);
    CHECK_INT_EQ(bad, 0);
    uint32_t cap = (uint32_t)ref[1].data[0] << 24 | (uint32_t)ref[1].data[1] << 16 |
                   (uint32_t)ref[1].data[2] << 8 | ref[1].data[3];
    CHECK_INT_EQ(cap + 1, blocks);
    CHECK_INT_EQ(simfront_close(S.fcd, 10000), 0);
    simfront_free(S.fcd);
    S.fcd = NULL;
}

TEST(teardown_daemon_clean_exit)
{
    NEED_TAPE();
    REQUIRE(S.up);
    CHECK_INT_EQ(simfront_close(S.fc, 10000), 0);
    simfront_free(S.fc);
    simguest_destroy(S.g);
    CHECK(world_daemon_alive(&S.w));
    CHECK_INT_EQ(world_stop(&S.w), 0);
    S.up = false;
}

TAP_MAIN(setup_library_and_changer, changer_initialize_and_read_element_status,
         changer_move_medium_loads_the_drive, tape_script_direct_reference,
         tape_attach_through_pvscsid, tape_script_through_pvscsid_identical,
         second_assignment_refused, swap_cartridges, detach_returns_the_tape,
         reservations_pass_through, other_peripheral_types_identical,
         optical_drive_identical_and_iso_compared, teardown_daemon_clean_exit)

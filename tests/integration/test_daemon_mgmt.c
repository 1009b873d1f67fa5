/*
 * The management API embedded in pvscsid, driven by pvscsictl against the
 * running daemon: per-ring stats reflect real guest I/O, PSCSIs come from a
 * (fake) sysfs tree, and vscsi-attach hot-plugs into the running guest
 * through xenstore, where the daemon picks it up. This machine has no SCSI
 * subsystem, so a passthrough LUN cannot be opened: the API refuses it
 * before writing anything, and one written by another toolstack is
 * refused by the daemon cleanly (dev-N state 6) while it keeps serving.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "daemon_world.h"
#include "fakesys.h"
#include "result.h"
#include "tap.h"
#include "wait.h"

#define GUEST 5

#define ctl world_ctl

/* pvscsictl, again every 20 ms for up to 2 s while it fails (the device
 * may be reconfiguring, the API not up yet). Its last exit status. */
static int ctl_retry(const char *sock, const char *args, char *out, size_t size)
{
    int st = -1;
    WAIT_UNTIL_EVERY((st = ctl(sock, args, out, size)) == 0, 2000, 20);
    return st;
}

/* Guest GUEST with one null LUN at 0:0:0:0 on device 0, Connected: its
 * frontend (the guest in *g), or NULL. */
static struct simfront *null_guest(struct daemon_world *w, struct simguest **g)
{
    static const struct toolstack_lun lun = {0, "null", "0:0:0:0"};
    *g = simguest_create(GUEST, 512, 0);
    return *g ? world_attach(w, *g, 0, &lun, 1) : NULL;
}

/* n READ(10)s of 4 KiB at LBA 0 of 0:0:0:0, each answered. */
static void reads(struct simfront *f, int n)
{
    static const struct vscsi_hctl l0 = {0, 0, 0, 0};
    static const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    static uint8_t buf[4096];
    for (int i = 0; i < n; i++) {
        struct simfront_cmd c;
        CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l0, r10, 10, VSCSI_DIR_FROM_DEVICE, buf,
                                       sizeof(buf), 5000),
                     0);
    }
}

TEST(pvscsictl_against_the_running_daemon)
{
    char *sys = fakesys_create();
    REQUIRE(sys && fakesys_standard(sys) == 0);
    char sock[160];
    snprintf(sock, sizeof(sock), "%s/xapi.sock", sys);
    const char *args[] = {"--mgmt-socket", sock, "--sysfs-root", sys, NULL};
    struct daemon_world w;
    REQUIRE(world_start(&w, args) == 0);
    REQUIRE(xs_write(w.xs, XBT_NULL, "/local/domain/5/name", "guest5", 6));
    struct simguest *g;
    struct simfront *f = null_guest(&w, &g);
    REQUIRE(f);

    /* Some I/O, then the counters. */
    reads(f, 5);
    struct vscsi_hctl l0 = {0, 0, 0, 0};
    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    static uint8_t buf[4096];
    /* A READ past the end: CHECK CONDITION (as a tape's filemark would
     * be), not a transport error; a LUN that does not exist: NO_CONNECT,
     * a transport error. */
    const uint8_t past_end[10] = {0x28, 0, 0xff, 0xff, 0xff, 0x00, 0, 0, 8, 0};
    struct simfront_cmd cc;
    CHECK_INT_EQ(simfront_exec_cdb(f, &cc, &l0, past_end, 10, VSCSI_DIR_FROM_DEVICE,
                                   buf, sizeof(buf), 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_status(cc.rslt), VSCSI_STATUS_CHECK_CONDITION);
    struct vscsi_hctl l3 = {0, 0, 0, 3};
    CHECK_INT_EQ(simfront_exec_cdb(f, &cc, &l3, r10, 10, VSCSI_DIR_FROM_DEVICE,
                                   buf, sizeof(buf), 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_host(cc.rslt), XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
    static char out[16384];
    /* The socket comes up with the daemon. */
    int st = ctl_retry(sock, "--json stats", out, sizeof(out));
    CHECK_INT_EQ(st, 0);
    TAP_DIAG("stats: %s", out);
    CHECK(strstr(out, "\"domid\":5,") != NULL);
    CHECK(strstr(out, "\"bytes\":20480,") != NULL);
    CHECK(strstr(out, "\"requests\":7,") != NULL);
    CHECK(strstr(out, "\"good\":5,") != NULL);
    CHECK(strstr(out, "\"check_conditions\":1,") != NULL);
    CHECK(strstr(out, "\"transport_errors\":1,") != NULL);
    CHECK(strstr(out, "\"p99_9\"") != NULL);
    CHECK(strstr(out, "\"requests_per_s\"") != NULL);

    /* PSCSIs of the fake tree. */
    CHECK_INT_EQ(ctl(sock, "pscsi-list", out, sizeof(out)), 0);
    CHECK(strstr(out, "0:0:0:0") != NULL);
    CHECK(strstr(out, "1:0:1:0") != NULL);

    /* A passthrough LUN the daemon cannot open (no /dev/sg0 here): the
     * API says why and writes nothing. */
    st = ctl(sock, "vscsi-attach guest5 0:0:0:0 0:0:0:7", out, sizeof(out));
    TAP_DIAG("attach: %s", out);
    CHECK(st != 0);
    CHECK(strstr(out, "LUN_OPEN_FAILED") != NULL);
    CHECK(strstr(out, "/dev/sg0") != NULL);
    CHECK_INT_EQ(world_lun_state(&w, GUEST, 0, 1), -1);
    /* Written by another toolstack: seen by the daemon, refused (state 6). */
    static const struct toolstack_lun sg_lun = {1, "0:0:0:0", "0:0:0:7"};
    CHECK_INT_EQ(toolstack_vscsi_add_lun(w.xs, 0, GUEST, 0, &sg_lun), 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 0, 1, 6, 5000), 0);
    CHECK(world_daemon_alive(&w));
    /* The guest takes commands again once the reconfiguration is over. */
    CHECK_INT_EQ(simfront_wait_connected(f, 3000), 0);
    struct simfront_cmd c;
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l0, r10, 10, VSCSI_DIR_FROM_DEVICE,
                                   buf, sizeof(buf), 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);

    /* A virtual HCTL the guest already has is refused by the API itself,
     * and nothing is written. */
    st = ctl(sock, "vscsi-attach guest5 1:0:1:0 0:0:0:0", out, sizeof(out));
    TAP_DIAG("taken HCTL: %s", out);
    CHECK(st != 0);
    CHECK(strstr(out, "DEVICE_ALREADY_EXISTS") != NULL);
    CHECK_INT_EQ(world_lun_state(&w, GUEST, 0, 2), -1);

    /* An emulated disk through the API: the guest sees it and does I/O;
     * then it is detached while I/O runs on it. */
    char pdev[200], cmd[300];
    REQUIRE(world_make_file(&w, "api-disk", 8 << 20, pdev, sizeof(pdev)) == 0);
    snprintf(cmd, sizeof(cmd), "disk-attach guest5 %s 0:0:0:5", pdev);
    st = ctl(sock, cmd, out, sizeof(out));
    CHECK_INT_EQ(st, 0);
    char uuid[64] = "";
    sscanf(out, "%63s", uuid);
    struct vscsi_hctl l5 = {0, 0, 0, 5};
    CHECK_INT_EQ(simfront_wait_lun(f, &l5, true, 5000), 0);
    CHECK_INT_EQ(simfront_wait_connected(f, 3000), 0);
    static uint8_t wbuf[65536], rbuf[65536];
    for (size_t i = 0; i < sizeof(wbuf); i++)
        wbuf[i] = (uint8_t)(i * 13 + 1);
    const uint8_t w10[10] = {0x2a, 0, 0, 0, 0, 8, 0, 0, 128, 0};
    const uint8_t rd10[10] = {0x28, 0, 0, 0, 0, 8, 0, 0, 128, 0};
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l5, w10, 10, VSCSI_DIR_TO_DEVICE,
                                   wbuf, sizeof(wbuf), 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l5, rd10, 10, VSCSI_DIR_FROM_DEVICE,
                                   rbuf, sizeof(rbuf), 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_MEM_EQ(rbuf, wbuf, sizeof(wbuf));
    /* Detach with a read in flight: the read is answered, the LUN goes. */
    simfront_cmd_init(&c, &l5, rd10, 10, VSCSI_DIR_FROM_DEVICE, rbuf, sizeof(rbuf));
    CHECK(simfront_submit(f, &c) >= 0);
    snprintf(cmd, sizeof(cmd), "vscsi-detach %s", uuid);
    CHECK_INT_EQ(ctl(sock, cmd, out, sizeof(out)), 0);
    CHECK_INT_EQ(simfront_wait(f, &c, 5000), 0);
    CHECK(c.rslt == 0 || vscsi_rslt_host(c.rslt) == XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
    CHECK_INT_EQ(simfront_wait_lun(f, &l5, false, 5000), 0);
    /* A p-dev that is not an emulated disk is refused by the API. */
    CHECK(ctl(sock, "disk-attach guest5 /etc/passwd 0:0:0:6", out, sizeof(out)) != 0);
    CHECK(strstr(out, "INVALID_VALUE") != NULL);
    /* Emulated disks the daemon cannot open: refused with the handler's
     * reason, nothing written (no next dev-N, no device for guest 6). */
    int before = world_lun_state(&w, GUEST, 0, 4);
    CHECK(ctl(sock, "disk-attach guest5 null:-5 0:0:0:6", out, sizeof(out)) != 0);
    TAP_DIAG("null:-5: %s", out);
    CHECK(strstr(out, "LUN_OPEN_FAILED") != NULL);
    CHECK(ctl(sock, "disk-attach guest5 file:/nonexistent/x.img 0:0:0:6", out, sizeof(out)) != 0);
    TAP_DIAG("missing file: %s", out);
    CHECK(strstr(out, "LUN_OPEN_FAILED") != NULL);
    CHECK(strstr(out, "/nonexistent/x.img") != NULL);
    CHECK_INT_EQ(world_lun_state(&w, GUEST, 0, 4), before);
    CHECK_INT_EQ(world_lun_state(&w, GUEST, 0, 5), -1);
    REQUIRE(xs_write(w.xs, XBT_NULL, "/local/domain/6/name", "guest6", 6));
    CHECK(ctl(sock, "disk-attach guest6 file:/nonexistent/x.img 0:0:0:0", out, sizeof(out)) != 0);
    CHECK(strstr(out, "LUN_OPEN_FAILED") != NULL);
    char *dir = xs_read(w.xs, XBT_NULL, "/local/domain/0/backend/vscsi/6", NULL);
    CHECK(dir == NULL);
    free(dir);

    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
    fakesys_destroy(sys);
}

TEST(luns_named_in_the_settings_file_follow_the_vm)
{
    /* The VM "nightly" gets two LUNs whenever its domain appears. */
    char conf[] = "/tmp/pvscsid-auto.XXXXXX";
    int fd = mkstemp(conf);
    REQUIRE(fd >= 0);
    static const char text[] = "[vm:nightly]\nlun = null:1G 0:0:0:0\nlun = null:2G 0:0:0:1\n";
    REQUIRE(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
    close(fd);
    const char *args[] = {"--config", conf, NULL};
    struct daemon_world w;
    REQUIRE(world_start(&w, args) == 0);
    /* The domain is born: name written, then introduced. */
    REQUIRE(xs_write(w.xs, XBT_NULL, "/local/domain/12/name", "nightly", 7));
    REQUIRE(xs_introduce_domain(w.xs, 12, 0x2000, 5));
    CHECK_INT_EQ(world_wait_lun_state(&w, 12, 0, 1, 1, 5000), 0);   /* written, state 1 */
    /* The guest's frontend finds its device and both LUNs. */
    struct simguest *g = simguest_create(12, 512, 0);
    REQUIRE(g);
    struct simfront *f = simfront_probe(g, 0);
    REQUIRE(f);
    CHECK_INT_EQ(simfront_wait_connected(f, 5000), 0);
    struct vscsi_hctl l1 = {0, 0, 0, 1};
    CHECK_INT_EQ(simfront_wait_lun(f, &l1, true, 5000), 0);
    struct vscsi_hctl seen[4];
    CHECK_INT_EQ(simfront_luns(f, seen, 4), 2);
    const uint8_t rc10[10] = {0x25};
    uint8_t buf[8];
    struct simfront_cmd c;
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l1, rc10, 10, VSCSI_DIR_FROM_DEVICE, buf, 8, 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_INT_EQ(buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3], (int)((2u << 30) / 512 - 1));
    /* Another domain appearing does not attach them twice. */
    REQUIRE(xs_introduce_domain(w.xs, 13, 0x3000, 6));
    usleep(200000);
    CHECK_INT_EQ(world_lun_state(&w, 12, 0, 2), -1);
    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
    unlink(conf);
}

/* A real Prometheus server (Debian's) scrapes the daemon's GET /metrics on
 * its TCP listener and gives a series back through its own query API. */
TEST(prometheus_scrapes_the_running_daemon)
{
    const char *script = getenv("PROM_SCRAPE"), *py = getenv("PYTHON3");
    if (access("/usr/bin/prometheus", X_OK) != 0) {
        TAP_SKIP("prometheus is not installed (Debian package prometheus)");
    }
    REQUIRE(script && py);
    /* A free loopback port for the listener, and the password file. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    REQUIRE(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
            getsockname(s, (struct sockaddr *)&a, &al) == 0);
    close(s);
    char tcp[32], pw[] = "/tmp/pvscsid-pw.XXXXXX";
    snprintf(tcp, sizeof(tcp), "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    int fd = mkstemp(pw);
    REQUIRE(fd >= 0 && write(fd, "scrape-pw", 9) == 9);
    close(fd);
    const char *args[] = {"--mgmt-tcp", tcp, "--mgmt-password-file", pw, NULL};
    struct daemon_world w;
    REQUIRE(world_start(&w, args) == 0);
    struct simguest *g;
    struct simfront *f = null_guest(&w, &g);
    REQUIRE(f);
    reads(f, 3);
    char cmd[600];
    snprintf(cmd, sizeof(cmd),
             "%s %s %u %s 'sum(pvscsid_requests_total{domid=\"5\"}) + "
             "sum(pvscsid_commands_total{domid=\"5\",status=\"good\"}) * 1000' 2>&1",
             py, script, (unsigned)ntohs(a.sin_port), pw);
    FILE *p = popen(cmd, "r");
    REQUIRE(p);
    static char out[8192];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    TAP_DIAG("prometheus: %s", out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_INT_EQ(atoi(out), 3003);      /* 3 requests, 3 good, queried back */
    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
    unlink(pw);
}

static int pdev_index(struct daemon_world *w, uint16_t domid, uint32_t devid, const char *pdev)
{
    for (unsigned i = 0; i < 16; i++) {
        char path[160];
        snprintf(path, sizeof(path), "/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-%u/p-dev",
                 (unsigned)domid, (unsigned)devid, i);
        char *v = xs_read(w->xs, XBT_NULL, path, NULL);
        bool match = v && strcmp(v, pdev) == 0;
        free(v);
        if (match)
            return (int)i;
    }
    return -1;
}

/* SIGHUP (the daemon rescans, as on a uevent), then the index of the dev-N
 * of device 4 that has p-dev hctl, once it appears within 2 s; -1. */
static int rescan_until_offered(struct daemon_world *w, const char *hctl)
{
    int index = -1;
    kill(w->pid, SIGHUP);
    WAIT_UNTIL((index = pdev_index(w, GUEST, 4, hctl)) >= 0, 2000);
    return index;
}

static char *dev_node(struct daemon_world *w, uint16_t domid, uint32_t devid, int index,
                      const char *node)
{
    char path[160];
    snprintf(path, sizeof(path), "/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-%d/%s",
             (unsigned)domid, (unsigned)devid, index, node);
    return xs_read(w->xs, XBT_NULL, path, NULL);
}

/* The daemon over the fake sysfs `sys` (management socket in it), guest 5
 * named, physical host 4 given to it whole: pvscsictl's exit status, its
 * output (the DSCSI_HBA uuid) in out. */
static int start_with_host4(const char *sys, char *sock, size_t sock_size, struct daemon_world *w,
                            char *out, size_t out_size)
{
    snprintf(sock, sock_size, "%s/xapi.sock", sys);
    const char *args[] = {"--mgmt-socket", sock, "--sysfs-root", sys, NULL};
    if (world_start(w, args) != 0 || !xs_write(w->xs, XBT_NULL, "/local/domain/5/name", "guest5", 6))
        return -1;
    return ctl_retry(sock, "hba-attach guest5 4", out, out_size);
}

TEST(whole_hba_follows_luns_appearing_and_leaving)
{
    /* Physical host 4 with a tape drive and a changer. */
    char *sys = fakesys_create();
    REQUIRE(sys);
    const struct fakesys_dev tape = {.hctl = "4:0:0:0", .vendor = "IBM", .model = "ULT3580",
                                     .rev = "1", .type = 1, .scsi_level = 6, .sg = "sg40"};
    const struct fakesys_dev changer = {.hctl = "4:0:1:0", .vendor = "STK", .model = "L80",
                                        .rev = "1", .type = 8, .scsi_level = 6, .sg = "sg41"};
    REQUIRE(fakesys_add(sys, &tape) == 0 && fakesys_add(sys, &changer) == 0);
    char sock[160];
    struct daemon_world w;
    static char out[8192];
    int st = start_with_host4(sys, sock, sizeof(sock), &w, out, sizeof(out));
    REQUIRE(st >= 0);
    TAP_DIAG("hba-attach: %s", out);
    CHECK_INT_EQ(st, 0);
    char uuid[64] = "";
    REQUIRE(sscanf(out, "%63s", uuid) == 1);
    /* Identity mapping, HOST mode. */
    int t = pdev_index(&w, GUEST, 4, "4:0:0:0");
    CHECK(t >= 0);
    char *v = t >= 0 ? dev_node(&w, GUEST, 4, t, "v-dev") : NULL;
    CHECK(v && strcmp(v, "4:0:0:0") == 0);
    free(v);
    struct simguest *g = simguest_create(GUEST, 512, 0);
    REQUIRE(g);
    struct simfront *f = simfront_probe(g, 4);
    REQUIRE(f);
    CHECK_INT_EQ(simfront_wait_connected(f, 5000), 0);
    /* (No /dev/sg40 on this machine: the daemon refuses those LUNs, state
     * 6; what is under test here is the following of the host.) */

    /* A LUN appears on host 4: after the rescan (uevent, or SIGHUP where
     * there are none) it is offered to the guest, identity-mapped. Another
     * appears without its sg node yet (the kernel adds that just after the
     * LUN): not offered until the node is there. */
    const struct fakesys_dev drive2 = {.hctl = "4:0:2:0", .vendor = "IBM", .model = "ULT3580",
                                       .rev = "1", .type = 1, .scsi_level = 6, .sg = "sg42"};
    struct fakesys_dev drive3 = {.hctl = "4:0:3:0", .vendor = "IBM", .model = "ULT3580",
                                 .rev = "1", .type = 1, .scsi_level = 6, .sg = NULL};
    REQUIRE(fakesys_add(sys, &drive3) == 0);
    REQUIRE(fakesys_add(sys, &drive2) == 0);
    int n = rescan_until_offered(&w, "4:0:2:0");
    CHECK(n >= 0);
    v = n >= 0 ? dev_node(&w, GUEST, 4, n, "v-dev") : NULL;
    CHECK(v && strcmp(v, "4:0:2:0") == 0);
    free(v);
    CHECK_INT_EQ(pdev_index(&w, GUEST, 4, "4:0:3:0"), -1);   /* same rescan: no sg, not yet */
    CHECK(world_daemon_alive(&w));
    /* The management API lists what is on the host now (once the daemon
     * took the SIGHUP: the follower may have run before, on another
     * xenstore change). */
    bool listed = false;
    for (int i = 0; i < 100 && !listed; i++) {
        CHECK_INT_EQ(ctl(sock, "pscsi-list", out, sizeof(out)), 0);
        listed = strstr(out, "4:0:2:0") && strstr(out, "4:0:3:0");
        if (!listed)
            usleep(20000);
    }
    CHECK(listed);

    /* A LUN the guest has (state 4) leaves the host: hot-removed. */
    REQUIRE(n >= 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 4, (unsigned)n, 6, 3000), 0);
    char p4[160];
    snprintf(p4, sizeof(p4), "/local/domain/0/backend/vscsi/%u/4/vscsi-devs/dev-%d/state",
             (unsigned)GUEST, n);
    REQUIRE(xs_write(w.xs, XBT_NULL, p4, "4", 1));   /* as if it were being served */
    REQUIRE(fakesys_remove_dev(sys, "4:0:2:0") == 0);
    kill(w.pid, SIGHUP);
    int s5 = -1;
    WAIT_UNTIL((s5 = world_lun_state(&w, GUEST, 4, (unsigned)n)) == 5 || s5 == 6 || s5 < 0,
               2000);
    CHECK(s5 == 5 || s5 == 6 || s5 < 0);
    CHECK(world_daemon_alive(&w));
    bool unlisted = false;
    for (int i = 0; i < 100 && !unlisted; i++) {
        CHECK_INT_EQ(ctl(sock, "pscsi-list", out, sizeof(out)), 0);
        unlisted = !strstr(out, "4:0:2:0") && strstr(out, "4:0:0:0");
        if (!unlisted)
            usleep(20000);
    }
    CHECK(unlisted);
    /* Once Closed, the entry of a LUN that left is cleared (as a toolstack
     * clears what it unplugged); when the LUN comes back it is new. */
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 4, (unsigned)n, -1, 3000), 0);
    REQUIRE(fakesys_add(sys, &drive2) == 0);
    int back = rescan_until_offered(&w, "4:0:2:0");
    CHECK(back >= 0);
    CHECK(world_daemon_alive(&w));

    /* The LUN without an sg node gets one: now it is offered. */
    REQUIRE(fakesys_remove_dev(sys, "4:0:3:0") == 0);
    drive3.sg = "sg43";
    REQUIRE(fakesys_add(sys, &drive3) == 0);
    int n3 = rescan_until_offered(&w, "4:0:3:0");
    CHECK(n3 >= 0);
    CHECK(world_daemon_alive(&w));

    /* hba-detach takes every LUN back and ends HOST mode: a LUN appearing
     * on host 4 afterwards stays out. */
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "hba-detach %s", uuid);
    st = ctl_retry(sock, cmd, out, sizeof(out));   /* not while it reconfigures */
    TAP_DIAG("hba-detach: %s", out);
    CHECK_INT_EQ(st, 0);
    char *fh = xs_read(w.xs, XBT_NULL, "/local/domain/0/backend/vscsi/5/4/feature-host", NULL);
    CHECK(fh && strcmp(fh, "0") == 0);
    free(fh);
    const struct fakesys_dev drive6 = {.hctl = "4:0:6:0", .vendor = "IBM", .model = "ULT3580",
                                       .rev = "1", .type = 1, .scsi_level = 6, .sg = "sg46"};
    REQUIRE(fakesys_add(sys, &drive6) == 0);
    kill(w.pid, SIGHUP);
    listed = false;   /* the SIGHUP taken: the rescan follows at once */
    for (int i = 0; i < 100 && !listed; i++) {
        CHECK_INT_EQ(ctl(sock, "pscsi-list", out, sizeof(out)), 0);
        listed = strstr(out, "4:0:6:0") != NULL;
        if (!listed)
            usleep(20000);
    }
    CHECK(listed);
    usleep(300000);
    CHECK_INT_EQ(pdev_index(&w, GUEST, 4, "4:0:6:0"), -1);
    CHECK(world_daemon_alive(&w));

    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
    fakesys_destroy(sys);
}

/* A state write as if the daemon were serving dev-N (the fake sysfs has
 * no /dev/sgN, so the daemon itself refuses those LUNs). */
static void pretend_served(struct daemon_world *w, uint32_t devid, int index)
{
    char p[160];
    snprintf(p, sizeof(p), "/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-%d/state",
             (unsigned)GUEST, (unsigned)devid, index);
    REQUIRE(xs_write(w->xs, XBT_NULL, p, "4", 1));
}

/* Stays in `state` for `ms` (polled). */
static bool lun_stays(struct daemon_world *w, uint32_t devid, int index, int state, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (world_lun_state(w, GUEST, devid, (unsigned)index) != state)
            return false;
        usleep(10000);
    }
    return true;
}

/* What whole-HBA mode must not do: hot-remove a LUN some other tool put in
 * the device, act on a LUN list sysfs could not give in full; and what it
 * must: drop a served LUN that was deleted and scanned back in between two
 * looks (same address, new device: the daemon's sg fd is dead). */
TEST(whole_hba_leaves_foreign_luns_and_never_acts_on_a_partial_list)
{
    char *sys = fakesys_create();
    REQUIRE(sys);
    const struct fakesys_dev tape = {.hctl = "4:0:0:0", .vendor = "IBM", .model = "ULT3580",
                                     .rev = "1", .type = 1, .scsi_level = 6, .sg = "sg40"};
    REQUIRE(fakesys_add(sys, &tape) == 0);
    char sock[160];
    struct daemon_world w;
    static char out[8192];
    int st = start_with_host4(sys, sock, sizeof(sock), &w, out, sizeof(out));
    REQUIRE(st >= 0);
    CHECK_INT_EQ(st, 0);
    struct simguest *g = simguest_create(GUEST, 512, 0);
    REQUIRE(g);
    struct simfront *f = simfront_probe(g, 4);
    REQUIRE(f);
    CHECK_INT_EQ(simfront_wait_connected(f, 5000), 0);
    int t = pdev_index(&w, GUEST, 4, "4:0:0:0");
    REQUIRE(t >= 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 4, (unsigned)t, 6, 3000), 0);

    /* A toolstack adds an emulated LUN to the same device: served, and it
     * stays through rescans (it is not a LUN of host 4). */
    const struct toolstack_lun foreign = {9, "null:16M", "4:0:5:0"};
    REQUIRE(toolstack_vscsi_add_lun(w.xs, 0, GUEST, 4, &foreign) == 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 4, 9, 4, 3000), 0);
    kill(w.pid, SIGHUP);
    CHECK(lun_stays(&w, 4, 9, 4, 500));

    /* sysfs cannot list host 4 (here: its directory is gone for a moment):
     * the served LUN stays; nothing is decided on a list that may be cut. */
    pretend_served(&w, 4, t);
    char devs[512], off[520];
    snprintf(devs, sizeof(devs), "%s/bus/scsi/devices", sys);
    snprintf(off, sizeof(off), "%s.off", devs);
    REQUIRE(rename(devs, off) == 0);
    kill(w.pid, SIGHUP);
    bool stayed = lun_stays(&w, 4, t, 4, 500);
    REQUIRE(rename(off, devs) == 0);
    CHECK(stayed);

    /* The served LUN is deleted and scanned back in between two rescans:
     * same H:C:T:L and sg name, another device. Its old entry is taken
     * down (Closing/Closed), not kept with a dead sg fd. */
    REQUIRE(fakesys_remove_dev(sys, "4:0:0:0") == 0);
    /* sysfs gives a new device a new inode; this filesystem might hand the
     * freed one straight back: placeholders take it first. */
    char hold[600];
    for (int i = 0; i < 8; i++) {
        snprintf(hold, sizeof(hold), "%s/hold%d", sys, i);
        REQUIRE(mkdir(hold, 0700) == 0);
    }
    REQUIRE(fakesys_add(sys, &tape) == 0);
    kill(w.pid, SIGHUP);
    int s = 4;
    WAIT_UNTIL((s = world_lun_state(&w, GUEST, 4, (unsigned)t)) != 4, 3000);
    TAP_DIAG("entry of the LUN deleted and scanned back in: state %d", s);
    CHECK(s != 4);
    CHECK_INT_EQ(world_lun_state(&w, GUEST, 4, 9), 4);   /* the foreign LUN, untouched */
    CHECK(world_daemon_alive(&w));

    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
    fakesys_destroy(sys);
}

TAP_MAIN(pvscsictl_against_the_running_daemon, prometheus_scrapes_the_running_daemon,
         luns_named_in_the_settings_file_follow_the_vm,
         whole_hba_follows_luns_appearing_and_leaving,
         whole_hba_leaves_foreign_luns_and_never_acts_on_a_partial_list)

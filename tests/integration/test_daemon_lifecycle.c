/*
 * pvscsid over the simulator and a real xenstored, driven by the simulated
 * xen-scsifront: handshake, LUN translation, REPORT LUNS, NO_CONNECT,
 * ABORT/RESET answers, hotplug, reconnect, domain death with I/O in
 * flight, and a clean SIGTERM. Leaks are counted in the simulator (grant
 * mappings, bound ports) and by LSan at the daemon's exit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "daemon_world.h"
#include "result.h"
#include "tap.h"
#include "wait.h"
#include "xensim.h"

#define GUEST 7

static const uint8_t INQUIRY[6] = {0x12, 0, 0, 0, 96, 0};

/* INQUIRY to lun, run to its end (checked): the response's rslt, or -1
 * when there was none. */
static int32_t inquiry_rslt(struct simfront *f, const struct vscsi_hctl *lun)
{
    static uint8_t buf[96];
    struct simfront_cmd c;
    int r = simfront_exec_cdb(f, &c, lun, INQUIRY, 6, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf),
                              5000);
    CHECK_INT_EQ(r, 0);
    return r == 0 ? c.rslt : -1;
}

/* Waits until nothing of guest `domid` is mapped and the backend (domain
 * 0) holds exactly `ports` bound ports. */
static int wait_released(uint16_t domid, int ports, int timeout_ms)
{
    return WAIT_UNTIL_EVERY(xensim_count_mappings(domid) == 0 &&
                                xensim_count_bound_ports(0) == ports,
                            timeout_ms, 5)
               ? 0
               : -1;
}

TEST(handshake_luns_and_emulation)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    struct simguest *g = simguest_create(GUEST, 512, 0);
    REQUIRE(g);
    static const struct toolstack_lun luns[] = {
        {0, "null:64M", "0:0:1:0"},
        {1, "null:1G", "0:0:1:3"},
        {2, "nonsense:foo", "0:0:2:0"},     /* no handler: refused */
        {3, "null", "0:0:1:3"},             /* v-dev taken: refused */
    };
    struct simfront *f = world_attach(&w, g, 0, luns, 4);
    REQUIRE(f);
    CHECK_INT_EQ(simfront_backend_state(f), 4);
    CHECK_INT_EQ(simfront_max_segments(f), 256);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 0, 0, 4, 3000), 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 0, 1, 4, 3000), 0);
    CHECK_INT_EQ(world_lun_state(&w, GUEST, 0, 2), 6);
    CHECK_INT_EQ(world_lun_state(&w, GUEST, 0, 3), 6);
    struct vscsi_hctl seen[8];
    CHECK_INT_EQ(simfront_luns(f, seen, 8), 2);

    /* INQUIRY reaches the handler of the right LUN. */
    struct vscsi_hctl l0 = {0, 0, 1, 0}, l3 = {0, 0, 1, 3};
    uint8_t buf[4096];
    struct simfront_cmd c;
    memset(buf, 0xaa, sizeof(buf));
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l0, INQUIRY, 6, VSCSI_DIR_FROM_DEVICE,
                                   buf, 96, 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_INT_EQ(buf[0], 0x00);
    CHECK_MEM_EQ(buf + 8, "PVSCSID ", 8);
    CHECK(c.residual < 96);

    /* READ CAPACITY(10) tells the two LUNs apart. */
    const uint8_t rc10[10] = {0x25};
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l3, rc10, 10, VSCSI_DIR_FROM_DEVICE, buf, 8, 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    uint32_t last = (uint32_t)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3];
    CHECK_INT_EQ(last, (1u << 30) / 512 - 1);

    /* REPORT LUNS from the target's configured LUNs: 1 and 3... */
    uint8_t rl[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0};
    memset(buf, 0xaa, sizeof(buf));
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l0, rl, 12, VSCSI_DIR_FROM_DEVICE, buf, 4096, 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_INT_EQ(c.residual, 4096 - 24);
    CHECK_INT_EQ(buf[3], 16);
    CHECK(buf[9] == 0 || buf[9] == 3);
    CHECK(buf[17] == 0 || buf[17] == 3);
    CHECK_INT_EQ(buf[9] + buf[17], 3);
    /* ...cut at the allocation length, with the full list length kept. */
    rl[9] = 16;
    rl[8] = 0;
    memset(buf, 0xaa, sizeof(buf));
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l0, rl, 12, VSCSI_DIR_FROM_DEVICE, buf, 512, 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_INT_EQ(c.residual, 512 - 16);
    CHECK_INT_EQ(buf[3], 16);
    /* Allocation length under 16: ILLEGAL REQUEST, INVALID FIELD IN CDB. */
    rl[9] = 8;
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l0, rl, 12, VSCSI_DIR_FROM_DEVICE, buf, 512, 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_status(c.rslt), VSCSI_STATUS_CHECK_CONDITION);
    CHECK_INT_EQ(c.sense[2] & 0xf, 0x05);
    CHECK_INT_EQ(c.sense[12], 0x24);

    /* A LUN nobody configured, on a target that has none: NO_CONNECT,
     * REPORT LUNS included. */
    struct vscsi_hctl none = {0, 0, 2, 0};
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &none, INQUIRY, 6, VSCSI_DIR_FROM_DEVICE,
                                   buf, 96, 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_host(c.rslt), XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
    CHECK_INT_EQ(c.residual, 96);
    rl[9] = 0;
    rl[8] = 0x10;
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &none, rl, 12, VSCSI_DIR_FROM_DEVICE,
                                   buf, 4096, 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_host(c.rslt), XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);

    /* Unknown opcode: the handler's sense comes through intact. */
    const uint8_t bad[6] = {0xc7};
    CHECK_INT_EQ(simfront_exec_cdb(f, &c, &l0, bad, 6, VSCSI_DIR_NONE, NULL, 0, 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_status(c.rslt), VSCSI_STATUS_CHECK_CONDITION);
    CHECK_INT_EQ(c.sense_len, 18);
    CHECK_INT_EQ(c.sense[0], 0x70);
    CHECK_INT_EQ(c.sense[2], 0x05);
    CHECK_INT_EQ(c.sense[12], 0x20);
    CHECK_INT_EQ(c.sense[13], 0x00);

    /* ABORT of an rqid not in flight: FAILED; RESET of a LUN: SUCCESS;
     * RESET of a LUN that does not exist: FAILED. */
    struct simfront_cmd a;
    memset(&a, 0, sizeof(a));
    a.act = VSCSIIF_ACT_SCSI_ABORT;
    a.target = 1;
    a.ref_rqid = 9;
    a.dir = VSCSI_DIR_NONE;
    CHECK_INT_EQ(simfront_exec(f, &a, 5000), 0);
    CHECK_INT_EQ(a.rslt, XEN_VSCSIIF_RSLT_RESET_FAILED);
    memset(&a, 0, sizeof(a));
    a.act = VSCSIIF_ACT_SCSI_RESET;
    a.target = 1;
    a.dir = VSCSI_DIR_NONE;
    CHECK_INT_EQ(simfront_exec(f, &a, 5000), 0);
    CHECK_INT_EQ(a.rslt, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    a.target = 4;
    CHECK_INT_EQ(simfront_exec(f, &a, 5000), 0);
    CHECK_INT_EQ(a.rslt, XEN_VSCSIIF_RSLT_RESET_FAILED);

    CHECK_INT_EQ(simfront_stray_responses(f), 0);
    simguest_destroy(g);
    CHECK_INT_EQ(wait_released(GUEST, 0, 3000), 0);
    CHECK_INT_EQ(world_stop(&w), 0);
}

/* Open file descriptors of the daemon process, not counting the hypervisor
 * simulator's own (its lock file and guest RAM, cached per process). */
static int daemon_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char link[384], target[256];
        snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
        ssize_t l = readlink(link, target, sizeof(target) - 1);
        target[l > 0 ? l : 0] = '\0';
        if (!strstr(target, "/xensim."))
            n++;
    }
    closedir(d);
    return n;
}

TEST(lun_hotplug_add_and_remove)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    usleep(100000);   /* let it open its own descriptors first */
    int fds_idle = daemon_fds(w.pid);
    CHECK(fds_idle > 0);
    struct simguest *g = simguest_create(GUEST, 512, 0);
    REQUIRE(g);
    static const struct toolstack_lun lun0 = {0, "null:16M", "0:0:0:0"};
    struct simfront *f = world_attach(&w, g, 0, &lun0, 1);
    REQUIRE(f);

    /* Hot-add dev-1: Reconfiguring, the guest gets it, state 4. */
    static const struct toolstack_lun lun1 = {1, "null:32M", "0:0:0:1"};
    REQUIRE(toolstack_vscsi_add_lun(w.xs, 0, GUEST, 0, &lun1) == 0);
    struct vscsi_hctl v1 = {0, 0, 0, 1};
    CHECK_INT_EQ(simfront_wait_lun(f, &v1, true, 5000), 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 0, 1, 4, 3000), 0);
    CHECK_INT_EQ(inquiry_rslt(f, &v1), 0);

    /* Hot-remove dev-0: state 6, the guest drops it, NO_CONNECT after. */
    REQUIRE(toolstack_vscsi_remove_lun(w.xs, 0, GUEST, 0, 0) == 0);
    struct vscsi_hctl v0 = {0, 0, 0, 0};
    CHECK_INT_EQ(simfront_wait_lun(f, &v0, false, 5000), 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 0, 0, 6, 3000), 0);
    /* The guest dropped the LUN while Reconfiguring; it takes commands
     * again once Connected. */
    CHECK_INT_EQ(simfront_wait_connected(f, 3000), 0);
    CHECK_INT_EQ(vscsi_rslt_host(inquiry_rslt(f, &v0)), XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);
    CHECK_INT_EQ(inquiry_rslt(f, &v1), 0);
    CHECK_INT_EQ(simfront_wait_connected(f, 3000), 0);

    /* Reconnect (module reload): mappings and ports released, then the
     * LUN comes back. */
    CHECK_INT_EQ(simfront_close(f, 5000), 0);
    CHECK_INT_EQ(wait_released(GUEST, 0, 3000), 0);
    CHECK_INT_EQ(simfront_reconnect(f), 0);
    CHECK_INT_EQ(simfront_wait_connected(f, 5000), 0);
    CHECK_INT_EQ(simfront_wait_lun(f, &v1, true, 5000), 0);
    CHECK_INT_EQ(inquiry_rslt(f, &v1), 0);
    CHECK(daemon_fds(w.pid) > fds_idle);   /* gntdev, evtchn of the ring */

    simguest_destroy(g);
    CHECK_INT_EQ(wait_released(GUEST, 0, 3000), 0);
    /* Every descriptor of the device is closed again. */
    int fds = -1;
    WAIT_UNTIL_EVERY((fds = daemon_fds(w.pid)) == fds_idle, 1000, 5);
    CHECK_INT_EQ(fds, fds_idle);
    if (fds != fds_idle) {
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "ls -l /proc/%d/fd >&2", (int)w.pid);
        if (system(cmd) != 0)
            TAP_DIAG("ls failed");
    }
    CHECK_INT_EQ(world_stop(&w), 0);
}

TEST(domain_death_with_io_in_flight)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    /* Two guests: one dies, the other goes on being served. */
    REQUIRE(xs_introduce_domain(w.xs, GUEST, 0x1000, 3));
    struct simguest *g = simguest_create(GUEST, 4096, 0);
    struct simguest *h = simguest_create(GUEST + 1, 512, 0);
    REQUIRE(g && h);
    char pdev[160];
    REQUIRE(world_make_file(&w, "disk", 64 << 20, pdev, sizeof(pdev)) == 0);
    const struct toolstack_lun lun = {0, pdev, "0:0:0:0"};
    static const struct toolstack_lun other = {0, "null", "0:0:0:0"};
    struct simfront *f = world_attach(&w, g, 0, &lun, 1);
    struct simfront *fh = world_attach(&w, h, 0, &other, 1);
    REQUIRE(f && fh);

    /* Ten 256 KiB writes in flight, then the domain is destroyed. */
    static uint8_t data[10][256 << 10];
    struct simfront_cmd cmds[10];
    struct vscsi_hctl l0 = {0, 0, 0, 0};
    for (int i = 0; i < 10; i++) {
        memset(data[i], i, sizeof(data[i]));
        uint8_t w10[10] = {0x2a, 0, 0, 0, (uint8_t)(i * 2), 0, 0, 0x02, 0x00, 0};
        simfront_cmd_init(&cmds[i], &l0, w10, 10, VSCSI_DIR_TO_DEVICE, data[i],
                          sizeof(data[i]));
        CHECK(simfront_submit(f, &cmds[i]) >= 0);
    }
    simguest_crash(g);
    REQUIRE(xs_release_domain(w.xs, GUEST));
    /* No toolstack cleans vscsi up (xl has no pvSCSI): the daemon removes
     * the dead domain's backend tree itself. */
    char be[128];
    snprintf(be, sizeof(be), "/local/domain/0/backend/vscsi/%u", (unsigned)GUEST);
    char *left = NULL;
    for (int i = 0; i < 400; i++) {
        free(left);
        left = xs_read(w.xs, XBT_NULL, be, NULL);
        if (!left)
            break;
        usleep(5000);
    }
    CHECK(left == NULL);
    free(left);
    /* Everything of that guest is released (one port left: the other's). */
    CHECK_INT_EQ(wait_released(GUEST, 1, 5000), 0);
    CHECK(world_daemon_alive(&w));
    /* ...and the other guest is still served. */
    CHECK_INT_EQ(inquiry_rslt(fh, &l0), 0);

    simguest_destroy(h);
    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
}

TEST(sigterm_with_connected_guests_exits_cleanly)
{
    struct daemon_world w;
    world_watchdog = true;
    int started = world_start(&w, NULL);
    world_watchdog = false;
    REQUIRE(started == 0);
    struct simguest *g = simguest_create(GUEST, 512, 0);
    REQUIRE(g);
    static const struct toolstack_lun lun0 = {0, "null", "0:0:0:0"};
    struct simfront *f = world_attach(&w, g, 0, &lun0, 1);
    REQUIRE(f);
    /* Under systemd's watchdog it keeps pinging while serving. */
    CHECK_INT_EQ(world_wait_notify(&w, "WATCHDOG=1", 3000), 0);
    CHECK_INT_EQ(world_wait_notify(&w, "WATCHDOG=1", 3000), 0);
    /* The daemon exits 0 (LSan finds nothing) and has released the guest's
     * grants and ports by then. */
    pid_t pid = w.pid;
    CHECK(pid > 0);
    int mappings_before = xensim_count_mappings(GUEST);
    CHECK(mappings_before >= 1);
    int st = world_stop_daemon_only(&w);
    CHECK_INT_EQ(st, 0);
    CHECK_INT_EQ(xensim_count_mappings(GUEST), 0);
    simguest_crash(g);
    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), -1);   /* already stopped */
}

static void xs_put(struct xs_handle *xs, const char *path, const char *val)
{
    if (!xs_write(xs, XBT_NULL, path, val, (unsigned)strlen(val)))
        TAP_DIAG("xs_write %s failed", path);
}

TEST(nodes_written_in_any_order)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    /* A toolstack that writes node by node, LUNs and state before the
     * frontend link, the frontend's state last of all. */
    const char *be = "/local/domain/0/backend/vscsi/9/3";
    const char *fe = "/local/domain/9/device/vscsi/3";
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/vscsi-devs/dev-0/p-dev", "null");
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/vscsi-devs/dev-0/v-dev", "0:0:0:0");
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/vscsi-devs/dev-0/state", "1");
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/state", "1");
    usleep(100000);
    /* Without a frontend link the daemon waits. */
    char path[128];
    snprintf(path, sizeof(path), "%s/state", be);
    char *v = xs_read(w.xs, XBT_NULL, path, NULL);
    CHECK(v && strcmp(v, "1") == 0);
    free(v);
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/frontend-id", "9");
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/online", "1");
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/feature-host", "0");
    xs_put(w.xs, "/local/domain/0/backend/vscsi/9/3/frontend", fe);
    xs_put(w.xs, "/local/domain/9/device/vscsi/3/backend", be);
    xs_put(w.xs, "/local/domain/9/device/vscsi/3/backend-id", "0");
    /* InitWait, though the frontend has no state node yet. */
    int st = -1;
    for (int i = 0; i < 400 && st != 2; i++) {
        usleep(5000);
        v = xs_read(w.xs, XBT_NULL, path, NULL);
        st = v ? atoi(v) : -1;
        free(v);
    }
    CHECK_INT_EQ(st, 2);
    xs_put(w.xs, "/local/domain/9/device/vscsi/3/state", "1");
    struct simguest *g = simguest_create(9, 512, 0);
    REQUIRE(g);
    struct simfront *f = simfront_probe(g, 3);
    REQUIRE(f);
    CHECK_INT_EQ(simfront_wait_connected(f, 5000), 0);
    struct vscsi_hctl l0 = {0, 0, 0, 0};
    CHECK_INT_EQ(inquiry_rslt(f, &l0), 0);
    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
}

TEST(abort_and_reset_of_running_commands)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    struct simguest *g = simguest_create(GUEST, 512, 0);
    REQUIRE(g);
    /* A device whose data commands take 300 ms: they are really running
     * when the ABORT or RESET arrives. */
    static const struct toolstack_lun luns[] = {{0, "null:64M,lat=300ms", "0:0:0:0"},
                                                {1, "null:64M,lat=300ms", "0:0:0:1"}};
    struct simfront *f = world_attach(&w, g, 0, luns, 2);
    REQUIRE(f);
    struct vscsi_hctl l0 = {0, 0, 0, 0}, l1 = {0, 0, 0, 1};
    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    static uint8_t bufs[4][4096];

    /* ABORT of a running READ: the READ is answered with host byte ABORT
     * first, then the ABORT with SUCCESS. */
    struct simfront_cmd rd, ab;
    simfront_cmd_init(&rd, &l0, r10, 10, VSCSI_DIR_FROM_DEVICE, bufs[0], 4096);
    int rqid = simfront_submit(f, &rd);
    REQUIRE(rqid >= 0);
    memset(&ab, 0, sizeof(ab));
    ab.act = VSCSIIF_ACT_SCSI_ABORT;
    ab.ref_rqid = (uint16_t)rqid;
    ab.dir = VSCSI_DIR_NONE;
    CHECK_INT_EQ(simfront_exec(f, &ab, 5000), 0);
    CHECK_INT_EQ(ab.rslt, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    CHECK(rd.done);
    CHECK_INT_EQ(vscsi_rslt_host(rd.rslt), XEN_VSCSIIF_RSLT_HOST_ABORT);
    CHECK_INT_EQ(rd.residual, 4096);

    /* RESET of LUN 0 with three commands running on it and one on LUN 1:
     * LUN 0's are answered RESET, LUN 1's completes normally. */
    struct simfront_cmd c[4], rs;
    for (int i = 0; i < 4; i++) {
        simfront_cmd_init(&c[i], i < 3 ? &l0 : &l1, r10, 10, VSCSI_DIR_FROM_DEVICE, bufs[i],
                          4096);
        CHECK(simfront_submit(f, &c[i]) >= 0);
    }
    memset(&rs, 0, sizeof(rs));
    rs.act = VSCSIIF_ACT_SCSI_RESET;
    rs.dir = VSCSI_DIR_NONE;
    CHECK_INT_EQ(simfront_exec(f, &rs, 5000), 0);
    CHECK_INT_EQ(rs.rslt, XEN_VSCSIIF_RSLT_RESET_SUCCESS);
    for (int i = 0; i < 3; i++) {
        CHECK(c[i].done);
        CHECK_INT_EQ(vscsi_rslt_host(c[i].rslt), XEN_VSCSIIF_RSLT_HOST_RESET);
    }
    CHECK_INT_EQ(simfront_wait(f, &c[3], 5000), 0);
    CHECK_INT_EQ(c[3].rslt, 0);
    CHECK_INT_EQ(simfront_stray_responses(f), 0);

    /* Hot-remove of a LUN with a command running: it finishes first. */
    simfront_cmd_init(&c[0], &l1, r10, 10, VSCSI_DIR_FROM_DEVICE, bufs[0], 4096);
    CHECK(simfront_submit(f, &c[0]) >= 0);
    REQUIRE(toolstack_vscsi_remove_lun(w.xs, 0, GUEST, 0, 1) == 0);
    CHECK_INT_EQ(simfront_wait(f, &c[0], 5000), 0);
    CHECK_INT_EQ(c[0].rslt, 0);
    CHECK_INT_EQ(world_wait_lun_state(&w, GUEST, 0, 1, 6, 3000), 0);
    CHECK_INT_EQ(simfront_wait_connected(f, 3000), 0);   /* hotplug over */

    /* The frontend closing with commands running: they are answered
     * before the backend lets go of the ring. */
    simfront_cmd_init(&c[1], &l0, r10, 10, VSCSI_DIR_FROM_DEVICE, bufs[1], 4096);
    CHECK(simfront_submit(f, &c[1]) >= 0);
    CHECK_INT_EQ(simfront_close(f, 5000), 0);
    CHECK(c[1].done);
    CHECK_INT_EQ(c[1].rslt, 0);
    CHECK_INT_EQ(wait_released(GUEST, 0, 3000), 0);

    simguest_destroy(g);
    CHECK_INT_EQ(world_stop(&w), 0);
}

struct closer {
    struct simfront *f;
    int rc;
};

static void *close_thread(void *arg)
{
    struct closer *c = arg;
    c->rc = simfront_close(c->f, 10000);
    return NULL;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

TEST(draining_ring_does_not_hold_up_other_guests)
{
    struct daemon_world w;
    REQUIRE(world_start(&w, NULL) == 0);
    struct simguest *a = simguest_create(GUEST, 512, 0);
    struct simguest *b = simguest_create(GUEST + 1, 512, 0);
    REQUIRE(a && b);
    static const struct toolstack_lun slow = {0, "null:64M,lat=2500ms", "0:0:0:0"};
    static const struct toolstack_lun fast = {0, "null", "0:0:0:0"};
    struct simfront *fa = world_attach(&w, a, 0, &slow, 1);
    REQUIRE(fa);
    /* Guest A closes with a 2.5 s command running: its ring drains... */
    struct vscsi_hctl l0 = {0, 0, 0, 0};
    const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    static uint8_t buf[4096];
    struct simfront_cmd c;
    simfront_cmd_init(&c, &l0, r10, 10, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
    REQUIRE(simfront_submit(fa, &c) >= 0);
    struct closer cl = {fa, -1};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, close_thread, &cl) == 0);
    usleep(100000);
    /* ...while guest B connects and is served without waiting for it. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct simfront *fb = world_attach(&w, b, 0, &fast, 1);
    CHECK(fb != NULL);
    uint8_t inq[96];
    struct simfront_cmd ci;
    if (fb)
        CHECK_INT_EQ(simfront_exec_cdb(fb, &ci, &l0, INQUIRY, 6, VSCSI_DIR_FROM_DEVICE,
                                       inq, 96, 5000), 0);
    long took = ms_since(&t0);
    TAP_DIAG("guest B connected and served in %ld ms while A drained", took);
    CHECK(took < 1500);
    pthread_join(t, NULL);
    CHECK_INT_EQ(cl.rc, 0);
    CHECK(c.done);
    CHECK_INT_EQ(c.rslt, 0);   /* answered before the ring was let go */
    simguest_destroy(a);
    simguest_destroy(b);
    CHECK_INT_EQ(world_stop(&w), 0);
}

TAP_MAIN(handshake_luns_and_emulation, lun_hotplug_add_and_remove,
         domain_death_with_io_in_flight, sigterm_with_connected_guests_exits_cleanly,
         nodes_written_in_any_order, abort_and_reset_of_running_commands,
         draining_ring_does_not_hold_up_other_guests)

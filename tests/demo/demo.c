/*
 * The README demo: the real pvscsid (linked to the hypervisor simulator)
 * serving a simulated Linux guest over a private real xenstored. Prints
 * what happens, step by step, and checks every answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "daemon_world.h"
#include "testdata.h"
#include "result.h"
#include "xensim.h"

#define GUEST 1

static int failures;

#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        if (cond) {                                                         \
            printf("  ok   ");                                             \
        } else {                                                            \
            printf("  FAIL ");                                             \
            failures++;                                                     \
        }                                                                   \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* pvscsictl against the daemon's management socket; prints the command and
 * its output indented. Exit status, or -1. */
static int ctl(const char *sock, const char *args, char *out, size_t size)
{
    int st = world_ctl(sock, args, out, size);
    printf("     $ pvscsictl %s\n", args);
    char copy[8192];
    snprintf(copy, sizeof(copy), "%s", out);
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
        printf("       %s\n", line);
    return st;
}


int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("pvscsid demo: a simulated xen-scsifront guest served by pvscsid\n"
           "(hypervisor simulator + a private real xenstored; no Xen needed)\n\n");
    struct daemon_world w;
    char sock[] = "/tmp/pvscsid-demo.XXXXXX";
    if (!getenv("PVSCSICTL") || !mkdtemp(sock)) {
        fprintf(stderr, "demo: PVSCSICTL not set, or no temp dir\n");
        return 1;
    }
    char sockpath[64];
    snprintf(sockpath, sizeof(sockpath), "%s/xapi.sock", sock);
    const char *args[] = {"--log-level", "warn", "--mgmt-socket", sockpath, NULL};
    if (world_start(&w, args) < 0) {
        fprintf(stderr, "demo: could not start the test world\n");
        return 1;
    }
    if (!xs_write(w.xs, XBT_NULL, "/local/domain/1/name", "demo-guest", 10))
        fprintf(stderr, "demo: cannot name the guest\n");
    printf("1. pvscsid started (pid %d); guest domain %d created\n", (int)w.pid, GUEST);
    struct simguest *g = simguest_create(GUEST, 4096, 0);
    char pdev[200];
    if (!g || world_make_file(&w, "disk.img", 256u << 20, pdev, sizeof(pdev)) < 0) {
        fprintf(stderr, "demo: guest or disk image failed\n");
        world_stop(&w);
        return 1;
    }
    const struct toolstack_lun luns[] = {{0, pdev, "0:0:0:0"}, {1, "null:1G", "0:0:0:1"}};
    printf("2. toolstack writes backend/vscsi/%d/0 with two LUNs:\n"
           "     dev-0 %s -> 0:0:0:0\n     dev-1 null:1G -> 0:0:0:1\n",
           GUEST, pdev);
    struct simfront *f = world_attach(&w, g, 0, luns, 2);
    EXPECT(f != NULL, "xenbus handshake: backend and frontend Connected");
    if (!f) {
        world_stop(&w);
        return 1;
    }
    printf("     feature-sg-grant %u: up to %u KiB per request\n", simfront_max_segments(f),
           simfront_max_segments(f) * 4);

    struct vscsi_hctl seen[4];
    int n = simfront_luns(f, seen, 4);
    EXPECT(n == 2, "guest sees %d LUNs", n);

    struct vscsi_hctl l0 = {0, 0, 0, 0};
    uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0}, buf[96];
    struct simfront_cmd c;
    simfront_cmd_init(&c, &l0, inq, 6, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
    int r = simfront_exec(f, &c, 5000);
    EXPECT(r == 0 && c.rslt == 0, "3. INQUIRY 0:0:0:0 -> \"%.8s\" \"%.16s\" rev \"%.4s\"",
           buf + 8, buf + 16, buf + 32);

    /* 1 MiB written with a pattern, read back, compared. */
    size_t len = 1 << 20;
    uint8_t *wbuf = malloc(len), *rbuf = malloc(len);
    if (!wbuf || !rbuf)
        return 1;
    for (size_t i = 0; i < len; i++)
        wbuf[i] = (uint8_t)(i * 7 + (i >> 12));
    uint8_t cdb[10];
    testdata_rw10(cdb, true, 2048, (uint16_t)(len / 512));
    simfront_cmd_init(&c, &l0, cdb, 10, VSCSI_DIR_TO_DEVICE, wbuf, (uint32_t)len);
    double t0 = now_s();
    r = simfront_exec(f, &c, 10000);
    EXPECT(r == 0 && c.rslt == 0, "4. WRITE(10) 1 MiB at LBA 2048 (indirect segments)");
    testdata_rw10(cdb, false, 2048, (uint16_t)(len / 512));
    memset(rbuf, 0, len);
    simfront_cmd_init(&c, &l0, cdb, 10, VSCSI_DIR_FROM_DEVICE, rbuf, (uint32_t)len);
    r = simfront_exec(f, &c, 10000);
    double t1 = now_s();
    EXPECT(r == 0 && c.rslt == 0 && memcmp(wbuf, rbuf, len) == 0,
           "   READ(10) 1 MiB back: identical (%.1f ms for both)", (t1 - t0) * 1e3);

    /* Out of range: the sense data comes through. */
    testdata_rw10(cdb, false, 0x7fffffff, 1);
    simfront_cmd_init(&c, &l0, cdb, 10, VSCSI_DIR_FROM_DEVICE, rbuf, 512);
    r = simfront_exec(f, &c, 5000);
    EXPECT(r == 0 && vscsi_rslt_status(c.rslt) == VSCSI_STATUS_CHECK_CONDITION &&
               c.sense[2] == 0x05 && c.sense[12] == 0x21,
           "5. READ past the end -> CHECK CONDITION, sense %02x/%02x/%02x "
           "(ILLEGAL REQUEST, LBA OUT OF RANGE)",
           c.sense[2], c.sense[12], c.sense[13]);

    struct vscsi_hctl nowhere = {0, 0, 3, 0};
    simfront_cmd_init(&c, &nowhere, inq, 6, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
    r = simfront_exec(f, &c, 5000);
    EXPECT(r == 0 && vscsi_rslt_host(c.rslt) == XEN_VSCSIIF_RSLT_HOST_NO_CONNECT,
           "6. INQUIRY 0:0:3:0 (not assigned) -> host byte NO_CONNECT");

    /* Hot-plug through the management API, as an administrator would. */
    static char out[8192];
    struct vscsi_hctl l2 = {0, 0, 0, 2};
    r = ctl(sockpath, "disk-attach demo-guest null:2G 0:0:0:2", out, sizeof(out));
    char uuid[64] = "";
    sscanf(out, "%63s", uuid);
    EXPECT(r == 0 && simfront_wait_lun(f, &l2, true, 5000) == 0,
           "7. hot-add through the management API -> guest sees 0:0:0:2");
    (void)simfront_wait_connected(f, 3000);
    ctl(sockpath, "vscsi-list demo-guest", out, sizeof(out));
    char detach[128];
    snprintf(detach, sizeof(detach), "vscsi-detach %s", uuid);
    r = ctl(sockpath, detach, out, sizeof(out));
    EXPECT(r == 0 && simfront_wait_lun(f, &l2, false, 5000) == 0,
           "   hot-remove through the management API -> guest loses 0:0:0:2");
    (void)simfront_wait_connected(f, 3000);
    r = ctl(sockpath, "stats", out, sizeof(out));
    EXPECT(r == 0, "   pvscsictl stats: the traffic of this ring, counted by the daemon");

    r = simfront_close(f, 5000);
    EXPECT(r == 0 && xensim_count_mappings(GUEST) == 0,
           "8. guest closes the device: backend unmapped its ring, %d mappings left",
           xensim_count_mappings(GUEST));
    simguest_destroy(g);
    free(wbuf);
    free(rbuf);
    int st = world_stop(&w);
    EXPECT(st == 0, "9. SIGTERM: pvscsid exited with status %d", st);
    rmdir(sock);
    printf("\n%s\n", failures ? "demo FAILED" : "demo finished: all steps ok");
    return failures ? 1 : 0;
}

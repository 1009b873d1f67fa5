/*
 * The management service under test: a private real xenstored, the
 * standard fake sysfs tree, and mgmt_server_start on a Unix socket (and TCP
 * on 127.0.0.1 with a password). Prints one line
 *   READY socket=PATH xenstored=PATH tcp=PORT password=PW sysfs=DIR
 * then serves until its stdin closes, and cleans up.
 *
 * xenstore as it starts: Domain-0; domain 3 "guest-a" holding a vscsi
 * device written by another toolstack (devid 0, dev-0 = 2:0:0:1 as
 * 0:0:0:0, connected); domain 5 "guest-b" with no vscsi device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakesys.h"
#include "mgmt.h"
#include "toolstack_lite.h"
#include "xs_harness.h"
#include "xsfix.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-000000000003"
#define UUID_B "bbbbbbbb-0000-4000-8000-000000000005"
#define HOST_UUID "0f0f0f0f-1111-4222-8333-444444444444"
#define PASSWORD "s3cret-pw"

/* The API's shape over fixed counters (the daemon's real ones are checked
 * end to end in test_daemon_mgmt). The first ring's counters grow by 100
 * requests, 400 KiB and 100 fast commands at every query, so "recent"
 * rates have something to show. */
static int fake_stats(void *opaque, struct mgmt_ring_stats *rings, size_t max)
{
    static unsigned queries;
    (void)opaque;
    struct mgmt_ring_stats a = {.domid = 3, .devid = 0, .requests = 1200, .bytes = 4915200,
                                .good = 1190, .check_conditions = 8, .transport_errors = 2,
                                .in_flight = 3};
    a.latency[7] = 1000;        /* <= 128 us */
    a.latency[10] = 190;        /* <= 1.024 ms */
    a.latency[14] = 8;          /* <= 16.4 ms */
    a.latency[MGMT_LAT_BUCKETS - 1] = 2;     /* beyond 33.5 s */
    a.latency_sum_ns = 1000 * 100000ull + 190 * 800000ull + 8 * 10000000ull + 2 * 40000000000ull;
    a.requests += 100ull * queries;
    a.bytes += 409600ull * queries;
    a.good += 100ull * queries;
    a.latency[7] += 100ull * queries;
    a.latency_sum_ns += 100ull * 100000 * queries;
    queries++;
    struct mgmt_ring_stats b = {.domid = 5, .devid = 1, .requests = 7, .bytes = 28672, .good = 7};
    b.latency[3] = 7;
    b.latency_sum_ns = 7 * 6000;
    if (max >= 1)
        rings[0] = a;
    if (max >= 2)
        rings[1] = b;
    return 2;
}

int main(void)
{
    char dir[] = "/tmp/mgmt.XXXXXX", sock[64], pwfile[64];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(sock, sizeof(sock), "%s/xapi.sock", dir);
    snprintf(pwfile, sizeof(pwfile), "%s/password", dir);
    FILE *f = fopen(pwfile, "w");
    if (!f || fputs(PASSWORD "\n", f) < 0 || fclose(f) != 0) {
        perror(pwfile);
        return 1;
    }
    char *sysfs = fakesys_create();
    struct xs_handle *xs = xsfix_handle();
    if (!sysfs || fakesys_standard(sysfs) < 0 || !xs) {
        fprintf(stderr, "fixture setup failed\n");
        return 1;
    }
    const struct lite_lun lun = {0, "2:0:0:1", "0:0:0:0", "4"};
    if (!xsfix_add_domain(3, "guest-a", UUID_A) || !xsfix_add_domain(5, "guest-b", UUID_B) ||
        !lite_vscsi_create(xs, 0, 3, 0, &lun, 1, "4", "4")) {
        fprintf(stderr, "xenstore setup failed\n");
        return 1;
    }
    struct mgmt_config cfg = {
        .socket_path = sock,
        .tcp_address = "127.0.0.1:0",
        .password_file = pwfile,
        .sysfs_root = sysfs,
        .dev_root = dir,
        .host_uuid = HOST_UUID,
        .max_body = 64 * 1024,
        .request_timeout_s = 2,     /* the slow-client tests wait for it */
    };
    struct mgmt_hooks hooks = {.stats = fake_stats};
    char err[256];
    struct mgmt_server *s = mgmt_server_start(&cfg, &hooks, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "mgmt_server_start: %s\n", err);
        return 1;
    }
    printf("READY socket=%s xenstored=%s tcp=%u password=%s sysfs=%s\n", sock,
           getenv("XENSTORED_PATH"), mgmt_server_tcp_port(s), PASSWORD, sysfs);
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof(buf)) > 0 || errno == EINTR)
        errno = 0;
    mgmt_server_stop(s);
    fakesys_destroy(sysfs);
    unlink(pwfile);
    rmdir(dir);
    return 0;
}

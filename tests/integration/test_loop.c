/*
 * The foundation end to end: the simulated guest (xen-scsifront's logic)
 * and a minimal test backend loop exchange requests and responses over the
 * hypervisor simulator (real libxengnttab/libxenevtchn API) and a real
 * xenstored. The backend here is deliberately small: it follows the xenbus
 * handshake, maps the ring, binds the port, answers INQUIRY by grant copy
 * and rejects what request intake rejects. The daemon proper is backend/.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "request.h"
#include "result.h"
#include "ring.h"
#include "simfront.h"
#include "tap.h"
#include "toolstack.h"
#include "xensim.h"
#include "xs_harness.h"

#define GUEST 5
#define DEVID 0
#define SG_GRANT 256

struct test_backend {
    struct xs_handle *xs;
    xengnttab_handle *gt;
    xenevtchn_handle *ev;
    char path[128], fe_path[128];
    void *ring_page;
    struct vscsi_back_ring ring;
    int port;
    int state;
    pthread_t thread;
    int stop[2];
    unsigned long served, rejected, notified;
};

static long read_uint(struct xs_handle *xs, const char *dir, const char *key)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, key);
    char *v = xs_read(xs, XBT_NULL, p, NULL);
    if (!v)
        return -1;
    char *end;
    long r = strtol(v, &end, 10);
    if (*end || end == v)
        r = -1;
    free(v);
    return r;
}

static void write_str(struct xs_handle *xs, const char *dir, const char *key, const char *val)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, key);
    if (!xs_write(xs, XBT_NULL, p, val, (unsigned)strlen(val)))
        TAP_DIAG("xs_write %s: %s", p, strerror(errno));
}

static void set_state(struct test_backend *b, int st)
{
    char v[4];
    snprintf(v, sizeof(v), "%d", st);
    write_str(b->xs, b->path, "state", v);
    b->state = st;
}

/* dev-N from `from` to `to`, as the kernel backend walks vscsi-devs. */
static void move_luns(struct test_backend *b, int from, int to)
{
    char p[256];
    unsigned n = 0;
    snprintf(p, sizeof(p), "%s/vscsi-devs", b->path);
    char **dir = xs_directory(b->xs, XBT_NULL, p, &n);
    for (unsigned i = 0; dir && i < n; i++) {
        snprintf(p, sizeof(p), "%s/vscsi-devs/%s", b->path, dir[i]);
        if (read_uint(b->xs, p, "state") == from) {
            char v[4];
            snprintf(v, sizeof(v), "%d", to);
            write_str(b->xs, p, "state", v);
        }
    }
    free(dir);
}

static int connect_ring(struct test_backend *b)
{
    long ref = read_uint(b->xs, b->fe_path, "ring-ref");
    long port = read_uint(b->xs, b->fe_path, "event-channel");
    if (ref < 0 || port < 0)
        return -EINVAL;
    b->ring_page = xengnttab_map_grant_ref(b->gt, GUEST, (uint32_t)ref, PROT_READ | PROT_WRITE);
    if (!b->ring_page)
        return -errno;
    vscsi_back_ring_init(&b->ring, b->ring_page);
    b->port = xenevtchn_bind_interdomain(b->ev, GUEST, (evtchn_port_t)port);
    return b->port < 0 ? -errno : 0;
}

static void disconnect_ring(struct test_backend *b)
{
    if (b->port > 0)
        xenevtchn_unbind(b->ev, (evtchn_port_t)b->port);
    if (b->ring_page)
        xengnttab_unmap(b->gt, b->ring_page, 1);
    b->port = 0;
    b->ring_page = NULL;
}

static void frontend_changed(struct test_backend *b)
{
    long fe = read_uint(b->xs, b->fe_path, "state");
    if (fe == 3 && !b->ring_page && connect_ring(b) == 0) {
        move_luns(b, 1, 3);
        move_luns(b, 4, 3);   /* a reconnect re-adds connected LUNs */
        set_state(b, 4);
    } else if (fe == 4) {
        move_luns(b, 3, 4);
    } else if (fe == 5 || fe == 6) {
        disconnect_ring(b);
        set_state(b, fe == 5 ? 5 : 6);
    }
}

static const uint8_t inquiry_data[36] = {
    0x00, 0x00, 0x05, 0x02, 31, 0, 0, 0, 'P', 'V', 'S', 'C', 'S', 'I', 'D', ' ',
    'T', 'E', 'S', 'T', '-', 'L', 'O', 'O', 'P', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
    '0', '.', '1', ' '};

/* Copies `len` bytes of src into the request's guest pages by grant copy. */
static int copy_to_guest(struct test_backend *b, const struct vscsi_request *r,
                         const uint8_t *src, uint32_t len, uint32_t *moved)
{
    xengnttab_grant_copy_segment_t segs[VSCSIIF_SG_TABLESIZE];
    unsigned n = 0;
    uint32_t done = 0;
    for (unsigned i = 0; i < r->nr_segs && done < len; i++) {
        uint32_t chunk = r->raw.seg[i].length;
        if (chunk > len - done)
            chunk = len - done;
        segs[n] = (xengnttab_grant_copy_segment_t){
            .source.virt = (void *)(src + done),
            .dest.foreign = {.ref = r->raw.seg[i].gref, .offset = r->raw.seg[i].offset,
                             .domid = GUEST},
            .len = (uint16_t)chunk,
            .flags = GNTCOPY_dest_gref,
        };
        n++;
        done += chunk;
    }
    if (xengnttab_grant_copy(b->gt, n, segs) < 0)
        return -errno;
    for (unsigned i = 0; i < n; i++)
        if (segs[i].status != GNTST_okay)
            return -EPERM;
    *moved = done;
    return 0;
}

static void serve_one(struct test_backend *b, struct vscsi_request *r)
{
    static const struct vscsi_limits lim = {.max_segments = SG_GRANT};
    struct vscsiif_response rsp;
    enum vscsi_reject rj = vscsi_request_check(r, &lim);
    if (rj != VSCSI_REQ_OK || r->indirect) {
        vscsi_response_fill(&rsp, r->raw.rqid, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_ERROR, 0),
                            NULL, 0, 0);
        b->rejected++;
    } else if (r->raw.id != 1 || r->raw.lun != 0 || r->raw.channel != 0) {
        vscsi_response_fill(&rsp, r->raw.rqid,
                            vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_NO_CONNECT, 0), NULL, 0, 0);
    } else if (r->raw.cmnd[0] == 0x12) {
        uint32_t alloc = (uint32_t)r->raw.cmnd[3] << 8 | r->raw.cmnd[4], moved = 0;
        uint32_t want = alloc < sizeof(inquiry_data) ? alloc : sizeof(inquiry_data);
        if (want > r->data_len)
            want = r->data_len;
        int e = copy_to_guest(b, r, inquiry_data, want, &moved);
        vscsi_response_fill(&rsp, r->raw.rqid,
                            e ? vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_ERROR, 0) : 0, NULL, 0,
                            r->data_len - moved);
        b->served++;
    } else {
        /* ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE, fixed format. */
        uint8_t sense[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00};
        vscsi_response_fill(&rsp, r->raw.rqid, vscsi_rslt(0, VSCSI_STATUS_CHECK_CONDITION),
                            sense, sizeof(sense), r->data_len);
        b->served++;
    }
    vscsi_back_ring_put(&b->ring, &rsp);
}

static void serve_ring(struct test_backend *b)
{
    do {
        int n = vscsi_back_ring_available(&b->ring);
        for (int i = 0; i < n; i++) {
            struct vscsi_request r;
            vscsi_back_ring_take(&b->ring, &r.raw);
            serve_one(b, &r);
        }
        if (vscsi_back_ring_push(&b->ring)) {
            xenevtchn_notify(b->ev, (evtchn_port_t)b->port);
            b->notified++;
        }
    } while (vscsi_back_ring_final_check(&b->ring));
}

static void *backend_thread(void *arg)
{
    struct test_backend *b = arg;
    struct pollfd p[3] = {{.fd = b->stop[0], .events = POLLIN},
                          {.fd = xs_fileno(b->xs), .events = POLLIN},
                          {.fd = xenevtchn_fd(b->ev), .events = POLLIN}};
    for (;;) {
        char **w;
        while ((w = xs_check_watch(b->xs)) != NULL) {
            frontend_changed(b);
            free(w);
        }
        int port;
        while ((port = xenevtchn_pending(b->ev)) > 0) {
            xenevtchn_unmask(b->ev, (evtchn_port_t)port);
            if (port == b->port && b->ring_page)
                serve_ring(b);
        }
        if (poll(p, 3, 100) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
    }
    return NULL;
}

static int backend_start(struct test_backend *b)
{
    memset(b, 0, sizeof(*b));
    b->xs = xs_open(0);
    b->gt = xengnttab_open(NULL, 0);
    b->ev = xenevtchn_open(NULL, 0);
    if (!b->xs || !b->gt || !b->ev || pipe(b->stop) < 0)
        return -1;
    toolstack_backend_path(b->path, sizeof(b->path), 0, GUEST, DEVID);
    toolstack_frontend_path(b->fe_path, sizeof(b->fe_path), GUEST, DEVID);
    char v[16];
    snprintf(v, sizeof(v), "%d", SG_GRANT);
    write_str(b->xs, b->path, "feature-sg-grant", v);
    set_state(b, 2);
    char p[160];
    snprintf(p, sizeof(p), "%s/state", b->fe_path);
    if (!xs_watch(b->xs, p, "fe"))
        return -1;
    return pthread_create(&b->thread, NULL, backend_thread, b) == 0 ? 0 : -1;
}

static void backend_stop(struct test_backend *b)
{
    if (write(b->stop[1], "x", 1) != 1)
        TAP_DIAG("stop pipe: %s", strerror(errno));
    pthread_join(b->thread, NULL);
    disconnect_ring(b);
    xenevtchn_close(b->ev);
    xengnttab_close(b->gt);
    xs_close(b->xs);
    close(b->stop[0]);
    close(b->stop[1]);
}

/* ---- the test ------------------------------------------------------------ */

struct world {
    struct xs_harness *xsh;
    struct xs_handle *xs;
    struct test_backend be;
    struct simguest *g;
    struct simfront *f;
};

static bool world_up(struct world *w)
{
    memset(w, 0, sizeof(*w));
    if (xensim_setup(NULL) < 0 || !(w->xsh = xs_harness_start()) || !(w->xs = xs_open(0)))
        return false;
    static const struct toolstack_lun lun = {0, "file:/dev/null", "0:0:1:0"};
    if (toolstack_vscsi_create(w->xs, 0, GUEST, DEVID, &lun, 1, false) < 0)
        return false;
    if (backend_start(&w->be) < 0)
        return false;
    w->g = simguest_create(GUEST, 256, 0);
    w->f = w->g ? simfront_probe(w->g, DEVID) : NULL;
    return w->f && simfront_wait_connected(w->f, 5000) == 0;
}

static void world_down(struct world *w)
{
    if (w->g)
        simguest_destroy(w->g);
    backend_stop(&w->be);
    if (w->xs)
        xs_close(w->xs);
    xs_harness_stop(w->xsh);
    xensim_teardown();
}

TEST(guest_and_backend_exchange_requests)
{
    struct world w;
    if (!world_up(&w)) {
        CHECK(!"world up");
        world_down(&w);
        return;
    }
    /* The handshake went as the kernel drivers do it. */
    CHECK_INT_EQ(simfront_backend_state(w.f), 4);
    CHECK_INT_EQ(simfront_frontend_state(w.f), 4);
    CHECK_INT_EQ(simfront_max_segments(w.f), SG_GRANT);
    struct vscsi_hctl luns[4];
    REQUIRE(simfront_luns(w.f, luns, 4) == 1);
    CHECK_INT_EQ(luns[0].target, 1);
    for (int i = 0; i < 100 && read_uint(w.xs, w.be.path, "vscsi-devs/dev-0/state") != 4; i++)
        usleep(10000);
    CHECK_INT_EQ(read_uint(w.xs, w.be.path, "vscsi-devs/dev-0/state"), 4);

    /* INQUIRY: data by grant copy into the guest page, residual right. */
    uint8_t buf[96];
    memset(buf, 0xee, sizeof(buf));
    const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};
    struct simfront_cmd c;
    simfront_cmd_init(&c, &luns[0], inq, 6, VSCSI_DIR_FROM_DEVICE, buf, sizeof(buf));
    c.first_offset = 4000;   /* the buffer crosses a page: two segments */
    CHECK_INT_EQ(simfront_exec(w.f, &c, 5000), 0);
    CHECK_INT_EQ(c.rslt, 0);
    CHECK_INT_EQ(c.residual, 96 - 36);
    CHECK_MEM_EQ(buf, inquiry_data, 36);
    CHECK_INT_EQ(c.grant_errors, 0);

    /* An unknown opcode: CHECK CONDITION with the sense intact. */
    const uint8_t bad_op[6] = {0xff, 0, 0, 0, 0, 0};
    simfront_cmd_init(&c, &luns[0], bad_op, 6, VSCSI_DIR_NONE, NULL, 0);
    CHECK_INT_EQ(simfront_exec(w.f, &c, 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_status(c.rslt), VSCSI_STATUS_CHECK_CONDITION);
    CHECK_INT_EQ(c.sense_len, 18);
    CHECK_INT_EQ(c.sense[2], 0x05);
    CHECK_INT_EQ(c.sense[12], 0x20);

    /* A LUN nobody configured: NO_CONNECT. */
    struct vscsi_hctl none = {0, 0, 7, 0};
    simfront_cmd_init(&c, &none, inq, 6, VSCSI_DIR_FROM_DEVICE, buf, 36);
    CHECK_INT_EQ(simfront_exec(w.f, &c, 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_host(c.rslt), XEN_VSCSIIF_RSLT_HOST_NO_CONNECT);

    /* A malformed request (cmd_len 17) is answered with ERROR. */
    struct vscsiif_request raw;
    memset(&raw, 0, sizeof(raw));
    raw.rqid = 3;
    raw.act = VSCSIIF_ACT_SCSI_CDB;
    raw.cmd_len = 17;
    raw.sc_data_direction = VSCSI_DIR_NONE;
    struct simfront_cmd rc;
    memset(&rc, 0, sizeof(rc));
    CHECK_INT_EQ(simfront_submit_raw(w.f, &raw, &rc, true), 0);
    CHECK_INT_EQ(simfront_wait(w.f, &rc, 5000), 0);
    CHECK_INT_EQ(vscsi_rslt_host(rc.rslt), XEN_VSCSIIF_RSLT_HOST_ERROR);
    CHECK_INT_EQ(rc.rqid, 3);

    /* Sixteen in flight at once: the whole ring. */
    struct simfront_cmd many[16];
    uint8_t bufs[16][36];
    for (int i = 0; i < 16; i++) {
        simfront_cmd_init(&many[i], &luns[0], inq, 6, VSCSI_DIR_FROM_DEVICE, bufs[i], 36);
        CHECK(simfront_submit(w.f, &many[i]) >= 0);
    }
    simfront_cmd_init(&c, &luns[0], inq, 6, VSCSI_DIR_FROM_DEVICE, buf, 36);
    for (int i = 0; i < 16; i++) {
        CHECK_INT_EQ(simfront_wait(w.f, &many[i], 5000), 0);
        CHECK_MEM_EQ(bufs[i], inquiry_data, 36);
        CHECK_INT_EQ(many[i].rslt, 0);
    }
    CHECK_INT_EQ(simfront_stray_responses(w.f), 0);
    CHECK(w.be.notified >= 1);

    /* Clean close: the backend unmaps and unbinds; nothing stays mapped. */
    CHECK_INT_EQ(simfront_close(w.f, 5000), 0);
    CHECK_INT_EQ(xensim_count_mappings(GUEST), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    CHECK_INT_EQ(simfront_backend_state(w.f), 6);

    /* And it reconnects, as after a module reload. */
    CHECK_INT_EQ(simfront_reconnect(w.f), 0);
    CHECK_INT_EQ(simfront_wait_connected(w.f, 5000), 0);
    simfront_cmd_init(&c, &luns[0], inq, 6, VSCSI_DIR_FROM_DEVICE, buf, 36);
    CHECK_INT_EQ(simfront_exec(w.f, &c, 5000), 0);
    CHECK_MEM_EQ(buf, inquiry_data, 36);
    world_down(&w);
}

TAP_MAIN(guest_and_backend_exchange_requests)

#include "ring_world.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/grant_table.h>

#include "dispatch.h"
#include "log.h"
#include "xensim.h"

#define GUEST_DOMID 7
#define GUEST_PAGES 96
/* Refs the harness writes itself (xensim_grant_set_raw), far from those
 * xensim_grant_access hands out. */
#define REF_SCRATCH0 8100u
#define REF_INVALID 8050u
#define REF_BAD_FRAME 8051u
#define REF_OUT_OF_RANGE 9000u   /* >= XENSIM_NR_GRANTS */

const struct w_addr w_addrs[W_NR_ADDRS] = {
    [W_LUN_FILE] = {0, 0, 0},
    [W_LUN_NULL] = {0, 0, 1},
    [W_LUN_NULL300] = {0, 0, 300},
    [W_LUN_NULL_T1] = {0, 1, 0},
    {0, 0, 7},
    {0, 2, 0},
};

enum w_lun w_lun_at(uint16_t channel, uint16_t target, uint16_t lun)
{
    for (unsigned i = 0; i < W_NR_LUNS; i++)
        if (w_addrs[i].channel == channel && w_addrs[i].target == target &&
            w_addrs[i].lun == lun)
            return (enum w_lun)i;
    return W_NR_LUNS;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "fuzz_ring: %s: %s\n", what, strerror(err < 0 ? -err : err));
    abort();
}

static uint32_t page_alloc(struct world *w)
{
    int64_t g = xensim_alloc_page(w->dom);
    if (g < 0)
        die("alloc page", (int)g);
    return (uint32_t)g;
}

static uint32_t grant(struct world *w, uint32_t gfn, bool ro)
{
    int64_t r = xensim_grant_access(w->dom, 0, gfn, ro);
    if (r < 0)
        die("grant", (int)r);
    return (uint32_t)r;
}

uint8_t *world_page(struct world *w, uint32_t gfn)
{
    return xensim_page(w->dom, gfn);
}

static void fill_pattern(uint8_t *p, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (unsigned i = 0; i < XENSIM_PAGE_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

void world_set_scratch_grant(struct world *w, unsigned k, unsigned mode)
{
    uint16_t perm = GTF_permit_access, ro = GTF_permit_access | GTF_readonly;
    int r;
    switch (mode) {
    case 0: r = xensim_grant_set_raw(w->dom, w->s_ref[k], perm, 0, w->s_gfn[k]); break;
    case 1: r = xensim_grant_set_raw(w->dom, w->s_ref[k], ro, 0, w->s_gfn[k]); break;
    case 2: r = xensim_grant_set_raw(w->dom, w->s_ref[k], 0, 0, w->s_gfn[k]); break;
    case 3: r = xensim_grant_set_raw(w->dom, w->s_ref[k], perm, 3, w->s_gfn[k]); break;
    case 4: r = xensim_grant_set_raw(w->dom, w->s_ref[k], perm, 0, GUEST_PAGES + 5); break;
    case 5: r = xensim_grant_set_raw(w->dom, w->s_ref[k], ro, 0, w->ungranted_gfn); break;
    default:
        r = xensim_grant_set_raw(w->dom, w->s_ref[k], perm, 0, w->s_gfn[(k + 1) % W_SCRATCH]);
        break;
    }
    if (r < 0)
        die("grant_set_raw", r);
}

static int setup_uring(struct io_uring *u)
{
    /* As the worker (backend/worker.c setup_uring). */
    struct io_uring_params p = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
    int r = io_uring_queue_init_params(64, u, &p);
    if (r == -EINVAL)
        r = io_uring_queue_init(64, u, 0);
    return r;
}

static struct lun *open_lun(const char *pdev)
{
    struct lun_params params = {.finished = dispatch_cmd_finished, .block_size = W_BLOCK};
    const struct lun_ops *ops = lun_ops_for_pdev(pdev);
    struct lun *l = NULL;
    char err[256];
    if (!ops)
        die("no handler", EINVAL);
    int r = ops->open(pdev, &params, &l, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "fuzz_ring: %s\n", err);
        die(pdev, r);
    }
    return l;
}

void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    log_set_level(LOG_LVL_ERR);
    int r = xensim_setup(NULL);
    if (r < 0)
        die("xensim_setup", r);
    snprintf(w->dir, sizeof(w->dir), "%s", xensim_dir());
    w->domid = GUEST_DOMID;
    w->dom = xensim_domain_create(GUEST_DOMID, GUEST_PAGES);
    if (!w->dom)
        die("domain", errno);

    w->ring_gfn = page_alloc(w);
    w->ring_ref = grant(w, w->ring_gfn, false);
    for (unsigned i = 0; i < W_POOL_A; i++) {
        w->a_gfn[i] = page_alloc(w);
        w->a_ref[i] = grant(w, w->a_gfn[i], true);
        fill_pattern(world_page(w, w->a_gfn[i]), i + 1);
    }
    for (unsigned i = 0; i < W_POOL_B; i++) {
        w->b_gfn[i] = page_alloc(w);
        w->b_ref[i] = grant(w, w->b_gfn[i], false);
    }
    for (unsigned i = 0; i < W_LIST; i++) {
        w->l_gfn[i] = page_alloc(w);
        w->l_ref[i] = grant(w, w->l_gfn[i], true);
    }
    for (unsigned i = 0; i < W_SCRATCH; i++) {
        w->s_gfn[i] = page_alloc(w);
        w->s_ref[i] = REF_SCRATCH0 + i;
        world_set_scratch_grant(w, i, 0);
    }
    w->ungranted_gfn = page_alloc(w);
    memset(world_page(w, w->ungranted_gfn), 0x5a, XENSIM_PAGE_SIZE);
    if (xensim_grant_set_raw(w->dom, REF_INVALID, 0, 0, w->ungranted_gfn) < 0 ||
        xensim_grant_set_raw(w->dom, REF_BAD_FRAME, GTF_permit_access, 0, GUEST_PAGES + 9) < 0)
        die("grant_set_raw", EINVAL);
    for (unsigned i = 0; i < W_SCRATCH; i++)
        w->refs[i] = w->s_ref[i];
    for (unsigned i = 0; i < 4; i++)
        w->refs[W_SCRATCH + i] = w->a_ref[i];
    w->refs[12] = REF_INVALID;
    w->refs[13] = REF_BAD_FRAME;
    w->refs[14] = REF_OUT_OF_RANGE;
    w->refs[15] = w->s_ref[0];

    /* The file LUN: a small file beside the simulator's (tmpfs). */
    snprintf(w->file_path, sizeof(w->file_path), "%s/disk.img", w->dir);
    int fd = open(w->file_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)W_FILE_BLOCKS * W_BLOCK) < 0 || close(fd) < 0)
        die("disk file", errno);

    w->cfg = (struct pvscsid_config){.workers = 1, .datapath = DATAPATH_COPY,
                                     .max_segments = W_MAX_SEGS, .block_size = W_BLOCK,
                                     .state_dir = ""};
    w->rs = ring_state_new(&w->cfg, GUEST_DOMID, 0, W_MAX_SEGS);
    if (!w->rs)
        die("ring_state_new", errno);
    r = setup_uring(&w->uring);
    if (r < 0)
        die("io_uring", r);

    char pdev[320];
    snprintf(pdev, sizeof(pdev), "file:%s", w->file_path);
    w->luns[W_LUN_FILE] = open_lun(pdev);
    w->luns[W_LUN_NULL] = open_lun("null:1M");
    w->luns[W_LUN_NULL300] = open_lun("null:1M");
    w->luns[W_LUN_NULL_T1] = open_lun("null:1M");
    for (unsigned i = 0; i < W_NR_LUNS; i++) {
        struct vscsi_hctl h = {0, w_addrs[i].channel, w_addrs[i].target, w_addrs[i].lun};
        r = ring_state_add_lun(w->rs, i, &h, w->luns[i]);
        if (r < 0)
            die("add lun", r);
    }
}

void world_fini(struct world *w)
{
    while (w->rs->nr_luns) {
        struct lun_entry *e = w->rs->luns[0];
        struct lun *l = e->lun;
        ring_state_drop_lun(w->rs, e);
        l->ops->close(l);
    }
    ring_state_free(w->rs);
    io_uring_queue_exit(&w->uring);
    xensim_domain_destroy(w->dom);
    unlink(w->file_path);
    xensim_teardown();
}

void world_connect(struct world *w, uint32_t start, enum datapath_mode mode, bool chaos)
{
    w->cfg.datapath = mode;
    w->refs[W_NREFS - 1] = chaos ? w->ring_ref : w->s_ref[0];
    w->guest_port = xensim_evtchn_alloc_unbound(w->dom, 0);
    if (w->guest_port < 0)
        die("alloc_unbound", w->guest_port);
    /* A frontend's fresh ring (SHARED_RING_INIT), its indexes anywhere. */
    w->sring = (struct vscsiif_sring *)(void *)world_page(w, w->ring_gfn);
    memset(w->sring, 0, XENSIM_PAGE_SIZE);
    w->sring->req_prod = w->sring->rsp_prod = start;
    w->sring->req_event = w->sring->rsp_event = start + 1;
    struct ring_origin o = {.ring_ref = w->ring_ref, .remote_port = (evtchn_port_t)w->guest_port};
    int r = ring_state_connect(w->rs, &o);
    if (r < 0)
        die("ring_state_connect", r);
    /* The event the bind leaves pending, taken as the worker takes it. */
    xenevtchn_port_or_error_t p = xenevtchn_pending(w->rs->evtchn);
    if (p >= 0 && xenevtchn_unmask(w->rs->evtchn, (evtchn_port_t)p) < 0)
        die("unmask", errno);
}

void world_disconnect(struct world *w)
{
    ring_state_disconnect(w->rs);
    int r = xensim_evtchn_close(w->dom, (uint32_t)w->guest_port);
    if (r < 0)
        die("evtchn_close", r);
    int p;
    while ((p = xensim_evtchn_pending(w->dom)) >= 0)
        (void)xensim_evtchn_unmask(w->dom, (uint32_t)p);
}

void world_dispatch(struct world *w)
{
    dispatch_ring(w->rs, &w->uring);
}

unsigned world_reap(struct world *w, unsigned max, bool wait)
{
    int r = io_uring_submit_and_get_events(&w->uring);
    if (r < 0 && r != -EAGAIN && r != -EBUSY && r != -EINTR)
        die("io_uring submit", r);
    if (wait) {
        struct io_uring_cqe *cqe;
        struct __kernel_timespec ts = {.tv_sec = 5};
        r = io_uring_wait_cqe_timeout(&w->uring, &cqe, &ts);
        if (r == -ETIME) {
            fprintf(stderr, "fuzz_ring: hang: %u commands in flight, no completion in 5 s\n",
                    (unsigned)w->rs->inflight);
            abort();
        }
    }
    unsigned n = 0;
    struct io_uring_cqe *cqe;
    while (n < max && io_uring_peek_cqe(&w->uring, &cqe) == 0) {
        struct uring_tag *tag = io_uring_cqe_get_data(cqe);
        if (!tag || tag->kind != URING_TAG_LUN_CMD) {
            fprintf(stderr, "fuzz_ring: CQE with tag kind %d\n", tag ? (int)tag->kind : -1);
            abort();
        }
        dispatch_cmd_cqe((struct lun_cmd *)(void *)((char *)tag - offsetof(struct lun_cmd, tag)),
                         cqe, &w->uring);
        io_uring_cqe_seen(&w->uring, cqe);
        n++;
    }
    return n;
}

void world_flush(struct world *w)
{
    dispatch_flush(w->rs);
}

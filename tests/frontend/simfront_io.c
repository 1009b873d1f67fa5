/* The frontend's data path: grants data pages (and indirect segment pages)
 * as map_data_for_request() does, queues requests, completes responses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "result.h"
#include "xenbus_state.h"
#include "simfront_priv.h"

#define PAGE 4096u

void simfront_cmd_init(struct simfront_cmd *cmd, const struct vscsi_hctl *lun,
                       const uint8_t *cdb, unsigned cdb_len, uint8_t dir, void *buf,
                       uint32_t len)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->act = VSCSIIF_ACT_SCSI_CDB;
    if (lun) {
        cmd->channel = (uint16_t)lun->channel;
        cmd->target = (uint16_t)lun->target;
        cmd->lun = (uint16_t)lun->lun;
    }
    /* An over-long CDB is kept as a claim (cmd_len on the wire), so tests can
     * send one; only the 16 bytes the request has room for are copied. */
    memcpy(cmd->cdb, cdb, cdb_len < VSCSIIF_MAX_COMMAND_SIZE ? cdb_len : VSCSIIF_MAX_COMMAND_SIZE);
    cmd->cdb_len = (uint8_t)(cdb_len > UINT8_MAX ? UINT8_MAX : cdb_len);
    cmd->dir = dir;
    cmd->buf = buf;
    cmd->len = len;
}

int simfront_exec_cdb(struct simfront *f, struct simfront_cmd *cmd, const struct vscsi_hctl *lun,
                      const uint8_t *cdb, unsigned cdb_len, uint8_t dir, void *buf,
                      uint32_t len, int timeout_ms)
{
    simfront_cmd_init(cmd, lun, cdb, cdb_len, dir, buf, len);
    return simfront_exec(f, cmd, timeout_ms);
}

/* Revokes every grant of a finished command and frees its pages. */
static void release_grants(struct simfront *f, struct simfront_cmd *cmd)
{
    struct xensim_domain *d = f->g->dom;
    for (unsigned i = 0; i < cmd->priv_nr_refs; i++)
        if (xensim_end_access(d, cmd->priv_refs[i]) == -EBUSY)
            cmd->grant_errors++;
    for (unsigned i = 0; i < cmd->priv_nr_pages; i++)
        xensim_free_page(d, cmd->priv_gfns[i]);
    free(cmd->priv_refs);
    free(cmd->priv_gfns);
    cmd->priv_refs = NULL;
    cmd->priv_gfns = NULL;
    cmd->priv_nr_refs = cmd->priv_nr_pages = 0;
}

static int grant_page(struct simfront *f, struct simfront_cmd *cmd, uint32_t gfn, bool ro)
{
    int64_t ref = xensim_grant_access(f->g->dom, f->g->backend_domid, gfn, ro);
    if (ref < 0)
        return (int)ref;
    cmd->priv_refs[cmd->priv_nr_refs++] = (uint32_t)ref;
    return (int)ref;
}

static int alloc_page(struct simfront *f, struct simfront_cmd *cmd)
{
    int64_t gfn = xensim_alloc_page(f->g->dom);
    if (gfn < 0)
        return (int)gfn;
    cmd->priv_gfns[cmd->priv_nr_pages++] = (uint32_t)gfn;
    return 0;
}

/* Data segments: each within one page, at most seg_max long. */
static unsigned count_segments(const struct simfront_cmd *cmd)
{
    unsigned n = 0, off = cmd->first_offset, left = cmd->len;
    unsigned max = cmd->seg_max ? cmd->seg_max : PAGE;
    while (left) {
        unsigned chunk = PAGE - off;
        if (chunk > max)
            chunk = max;
        if (chunk > left)
            chunk = left;
        left -= chunk;
        off = (off + chunk) % PAGE;
        n++;
    }
    return n;
}

/* Builds the segments of `req` for cmd's data (lock held). */
static int map_data(struct simfront *f, struct simfront_cmd *cmd, struct vscsiif_request *req)
{
    if (cmd->dir == VSCSI_DIR_NONE || cmd->len == 0 || cmd->act != VSCSIIF_ACT_SCSI_CDB)
        return 0;
    if (cmd->first_offset >= PAGE || cmd->indirect_offset >= PAGE || cmd->indirect_offset % 8)
        return -EINVAL;
    unsigned nsegs = count_segments(cmd);
    bool indirect = cmd->force_indirect || nsegs > VSCSIIF_SG_TABLESIZE;
    if (nsegs > f->max_segs)
        return -E2BIG;
    unsigned data_pages = (cmd->first_offset + cmd->len + PAGE - 1) / PAGE;
    unsigned list_pages = indirect ? (cmd->indirect_offset + nsegs * 8 + PAGE - 1) / PAGE : 0;
    if (list_pages > VSCSIIF_SG_TABLESIZE)
        return -E2BIG;

    cmd->priv_gfns = calloc(data_pages + list_pages, sizeof(uint32_t));
    cmd->priv_refs = calloc(nsegs + list_pages, sizeof(uint32_t));
    struct scsiif_request_segment *segs = calloc(nsegs, sizeof(*segs));
    int r = (!cmd->priv_gfns || !cmd->priv_refs || !segs) ? -ENOMEM : 0;
    for (unsigned i = 0; r == 0 && i < data_pages; i++)
        r = alloc_page(f, cmd);
    /* Lay the data out in guest pages; writes carry it now. */
    bool ro = cmd->dir == VSCSI_DIR_TO_DEVICE;
    unsigned off = cmd->first_offset, done = 0, pg = 0, n = 0;
    unsigned max = cmd->seg_max ? cmd->seg_max : PAGE;
    while (r == 0 && done < cmd->len) {
        unsigned chunk = PAGE - off;
        if (chunk > max)
            chunk = max;
        if (chunk > cmd->len - done)
            chunk = cmd->len - done;
        uint8_t *page = xensim_page(f->g->dom, cmd->priv_gfns[pg]);
        if (cmd->dir == VSCSI_DIR_TO_DEVICE || cmd->dir == VSCSI_DIR_BIDIRECTIONAL)
            memcpy(page + off, (uint8_t *)cmd->buf + done, chunk);
        else
            memset(page + off, 0xdb, chunk);   /* stale bytes a read must overwrite */
        int ref = grant_page(f, cmd, cmd->priv_gfns[pg], ro);
        if (ref < 0) {
            r = ref;
            break;
        }
        segs[n++] = (struct scsiif_request_segment){(grant_ref_t)ref, (uint16_t)off,
                                                     (uint16_t)chunk};
        done += chunk;
        off += chunk;
        if (off == PAGE) {
            off = 0;
            pg++;
        }
    }
    if (r == 0 && !indirect) {
        memcpy(req->seg, segs, n * sizeof(*segs));
        req->nr_segments = (uint8_t)n;
    } else if (r == 0) {
        /* The segment list, possibly starting mid-page, spilling over. */
        unsigned bytes = n * 8, loff = cmd->indirect_offset, copied = 0, k = 0;
        while (r == 0 && copied < bytes) {
            unsigned chunk = PAGE - loff < bytes - copied ? PAGE - loff : bytes - copied;
            r = alloc_page(f, cmd);
            if (r < 0)
                break;
            uint32_t gfn = cmd->priv_gfns[cmd->priv_nr_pages - 1];
            memcpy((uint8_t *)xensim_page(f->g->dom, gfn) + loff, (uint8_t *)segs + copied, chunk);
            int ref = grant_page(f, cmd, gfn, true);
            if (ref < 0) {
                r = ref;
                break;
            }
            req->seg[k++] = (struct scsiif_request_segment){(grant_ref_t)ref, (uint16_t)loff,
                                                             (uint16_t)chunk};
            copied += chunk;
            loff = 0;
        }
        req->nr_segments = (uint8_t)(VSCSIIF_SG_GRANT | k);
    }
    free(segs);
    if (r < 0)
        release_grants(f, cmd);
    return r;
}

static int free_rqid(struct simfront *f)
{
    for (int i = 0; i < (int)VSCSI_RING_SIZE; i++)
        if (!f->shadow[i])
            return i;
    return -EBUSY;
}

static void push_and_notify(struct simfront *f, bool always)
{
    bool notify = vscsi_front_ring_push(&f->ring);
    if ((notify || always) && f->port > 0)
        xensim_evtchn_notify(f->g->dom, (uint32_t)f->port);
}

static void reset_results(struct simfront_cmd *cmd)
{
    cmd->done = false;
    cmd->rslt = 0;
    cmd->sense_len = 0;
    cmd->residual = 0;
    cmd->grant_errors = 0;
}

int simfront_submit(struct simfront *f, struct simfront_cmd *cmd)
{
    pthread_mutex_lock(&f->g->lock);
    int r;
    if (!f->connected_ring || f->fe_state != XenbusStateConnected) {
        r = -ENOTCONN;
        goto out;
    }
    r = free_rqid(f);
    if (r < 0 || vscsi_front_ring_free(&f->ring) == 0) {
        r = -EBUSY;
        goto out;
    }
    reset_results(cmd);
    struct vscsiif_request req;
    memset(&req, 0, sizeof(req));
    req.rqid = (uint16_t)r;
    req.act = cmd->act ? cmd->act : VSCSIIF_ACT_SCSI_CDB;
    req.cmd_len = cmd->cdb_len;
    memcpy(req.cmnd, cmd->cdb, sizeof(req.cmnd));
    req.timeout_per_command = cmd->timeout_s;
    req.channel = cmd->channel;
    req.id = cmd->target;
    req.lun = cmd->lun;
    req.ref_rqid = cmd->ref_rqid;
    req.sc_data_direction = cmd->dir;
    int m = map_data(f, cmd, &req);
    if (m < 0) {
        r = m;
        goto out;
    }
    cmd->rqid = req.rqid;
    f->shadow[req.rqid] = cmd;
    vscsi_front_ring_put(&f->ring, &req);
    push_and_notify(f, false);
out:
    pthread_mutex_unlock(&f->g->lock);
    return r;
}

static bool cmd_done(struct simfront *f, const void *arg)
{
    (void)f;
    return ((const struct simfront_cmd *)arg)->done;
}

int simfront_wait(struct simfront *f, struct simfront_cmd *cmd, int timeout_ms)
{
    return simfront_wait_until(f, cmd_done, cmd, timeout_ms);
}

int simfront_exec(struct simfront *f, struct simfront_cmd *cmd, int timeout_ms)
{
    int r = simfront_submit(f, cmd);
    return r < 0 ? r : simfront_wait(f, cmd, timeout_ms);
}

static void complete(struct simfront *f, struct simfront_cmd *cmd,
                     const struct vscsiif_response *rsp)
{
    cmd->rslt = rsp->rslt;
    cmd->residual = rsp->residual_len;
    cmd->sense_len = rsp->sense_len > VSCSIIF_SENSE_BUFFERSIZE ? VSCSIIF_SENSE_BUFFERSIZE
                                                               : rsp->sense_len;
    memcpy(cmd->sense, rsp->sense_buffer, cmd->sense_len);
    /* Reads: the data came into the granted pages. */
    if ((cmd->dir == VSCSI_DIR_FROM_DEVICE || cmd->dir == VSCSI_DIR_BIDIRECTIONAL) &&
        cmd->priv_nr_pages && cmd->buf) {
        unsigned off = cmd->first_offset, done = 0, pg = 0;
        while (done < cmd->len) {
            unsigned chunk = PAGE - off < cmd->len - done ? PAGE - off : cmd->len - done;
            memcpy((uint8_t *)cmd->buf + done,
                   (uint8_t *)xensim_page(f->g->dom, cmd->priv_gfns[pg]) + off, chunk);
            done += chunk;
            off = 0;
            pg++;
        }
    }
    release_grants(f, cmd);
    cmd->done = true;
}

void simfront_handle_event(struct simfront *f)
{
    struct vscsiif_response rsp;
    do {
        int r;
        while ((r = vscsi_front_ring_take(&f->ring, &rsp)) == 1) {
            f->responses++;
            struct simfront_cmd *cmd = rsp.rqid < VSCSI_RING_SIZE ? f->shadow[rsp.rqid] : NULL;
            if (!cmd) {
                f->stray++;
                continue;
            }
            f->shadow[rsp.rqid] = NULL;
            complete(f, cmd, &rsp);
        }
        if (r < 0)
            return;
    } while (vscsi_front_ring_final_check(&f->ring));
}

void simfront_finish_all(struct simfront *f)
{
    struct vscsiif_response rsp;
    if (f->connected_ring)
        simfront_handle_event(f);
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++) {
        struct simfront_cmd *cmd = f->shadow[i];
        if (!cmd)
            continue;
        memset(&rsp, 0, sizeof(rsp));
        rsp.rqid = (uint16_t)i;
        rsp.rslt = vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_RESET, 0);
        f->shadow[i] = NULL;
        complete(f, cmd, &rsp);
    }
}

int simfront_submit_raw(struct simfront *f, const struct vscsiif_request *raw,
                        struct simfront_cmd *cmd, bool push)
{
    pthread_mutex_lock(&f->g->lock);
    int r = 0;
    if (!f->connected_ring || vscsi_front_ring_free(&f->ring) == 0) {
        r = f->connected_ring ? -EBUSY : -ENOTCONN;
        goto out;
    }
    if (cmd) {
        reset_results(cmd);
        cmd->rqid = raw->rqid;
        if (raw->rqid < VSCSI_RING_SIZE && !f->shadow[raw->rqid])
            f->shadow[raw->rqid] = cmd;
    }
    vscsi_front_ring_put(&f->ring, raw);
    if (push)
        push_and_notify(f, false);
out:
    pthread_mutex_unlock(&f->g->lock);
    return r;
}

void simfront_kick(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    if (f->connected_ring)
        push_and_notify(f, true);
    pthread_mutex_unlock(&f->g->lock);
}

struct vscsiif_sring *simfront_sring(struct simfront *f)
{
    return f->ring.r.sring;
}

unsigned simfront_stray_responses(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    unsigned n = f->stray;
    pthread_mutex_unlock(&f->g->lock);
    return n;
}

unsigned long simfront_responses(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    unsigned long n = f->responses;
    pthread_mutex_unlock(&f->g->lock);
    return n;
}

unsigned long simfront_notifications(struct simfront *f)
{
    pthread_mutex_lock(&f->g->lock);
    unsigned long n = f->notifications;
    pthread_mutex_unlock(&f->g->lock);
    return n;
}

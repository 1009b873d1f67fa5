#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "datapath.h"
#include "log.h"
#include "ring_state.h"

#define PAGE_SIZE 4096u

/* Large per-slot buffers come from mmap: the kernel commits pages only
 * when a transfer that large actually happens. */
static void *map_anon(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int datapath_slot_init(struct slot_data *d, unsigned max_segments)
{
    d->indirect = calloc(max_segments, sizeof(*d->indirect));
    d->iov = calloc(max_segments, sizeof(*d->iov));
    d->refs = calloc(max_segments, sizeof(*d->refs));
    d->buf = map_anon((size_t)max_segments * PAGE_SIZE);
    if (!d->indirect || !d->iov || !d->refs || !d->buf)
        return -ENOMEM;
    return 0;
}

void datapath_slot_free(struct slot_data *d, unsigned max_segments)
{
    if (d->buf)
        munmap(d->buf, (size_t)max_segments * PAGE_SIZE);
    free(d->indirect);
    free(d->iov);
    free(d->refs);
    *d = (struct slot_data){0};
}

int datapath_ring_init(struct ring_state *rs, unsigned max_segments)
{
    /* In: every slot's indirect pages and data; out: every slot's data. */
    rs->copy_in.cap = VSCSI_RING_SIZE * (max_segments + VSCSIIF_SG_TABLESIZE);
    rs->copy_out.cap = VSCSI_RING_SIZE * max_segments;
    rs->copy_in.segs = calloc(rs->copy_in.cap, sizeof(*rs->copy_in.segs));
    rs->copy_out.segs = calloc(rs->copy_out.cap, sizeof(*rs->copy_out.segs));
    return rs->copy_in.segs && rs->copy_out.segs ? 0 : -ENOMEM;
}

void datapath_ring_free(struct ring_state *rs)
{
    free(rs->copy_in.segs);
    free(rs->copy_out.segs);
    rs->copy_in = rs->copy_out = (struct copy_batch){0};
}

/* ---- batches ----------------------------------------------------------------- */

/* Appends one segment to b for s. The batches hold every slot's largest
 * request (bounded by vscsi_request_check), so this never overflows. */
static void queue(struct copy_batch *b, struct slot *s, xengnttab_grant_copy_segment_t seg)
{
    if (s->data.copy_count == 0)
        s->data.copy_first = b->n;
    b->segs[b->n++] = seg;
    s->data.copy_count++;
}

static void run(struct ring_state *rs, struct copy_batch *b)
{
    if (b->n == 0)
        return;
    if (xengnttab_grant_copy(rs->gnttab, b->n, b->segs) < 0) {
        /* No segment was copied: each slot then finds its status not ok. */
        log_warn("%s: grant copy of %u segments: %s", rs->name, b->n, strerror(errno));
        for (unsigned i = 0; i < b->n; i++)
            b->segs[i].status = GNTST_general_error;
    }
    b->n = 0;
}

bool datapath_copied(const struct slot *s, const struct copy_batch *b)
{
    for (unsigned i = 0; i < s->data.copy_count; i++) {
        const xengnttab_grant_copy_segment_t *seg = &b->segs[s->data.copy_first + i];
        if (seg->status != GNTST_okay) {
            log_debug("%s: grant copy of ref %u: status %d", s->rs->name,
                      (unsigned)(seg->flags & GNTCOPY_source_gref ? seg->source.foreign.ref
                                                                  : seg->dest.foreign.ref),
                      (int)seg->status);
            return false;
        }
    }
    return true;
}

/* ---- in ------------------------------------------------------------------------ */

void datapath_queue_indirect(struct slot *s)
{
    const struct vscsiif_request *raw = &s->req.raw;
    uint8_t *dst = (uint8_t *)s->data.indirect;
    uint32_t pos = 0;
    s->data.copy_count = 0;
    /* vscsi_request_check bounded every descriptor and their sum to
     * max_segments entries, the size of s->data.indirect. */
    for (unsigned i = 0; i < s->req.nr_ring_segs; i++) {
        queue(&s->rs->copy_in, s, (xengnttab_grant_copy_segment_t){
            .source.foreign = {.ref = raw->seg[i].gref, .offset = raw->seg[i].offset,
                               .domid = s->rs->domid},
            .dest.virt = dst + pos,
            .len = raw->seg[i].length,
            .flags = GNTCOPY_source_gref,
        });
        pos += raw->seg[i].length;
    }
}

void datapath_use_indirect(struct slot *s)
{
    s->data.segs = s->data.indirect;
}

void datapath_run_in(struct ring_state *rs)
{
    run(rs, &rs->copy_in);
}

static void prepare_copy(struct slot *s)
{
    struct lun_cmd *c = &s->cmd;
    c->iov = s->data.iov;
    c->iov_cnt = 1;
    c->iov_private = true;
    s->data.iov[0] = (struct iovec){.iov_base = s->data.buf, .iov_len = s->req.data_len};
    if (s->req.dir != VSCSI_DIR_TO_DEVICE && s->req.dir != VSCSI_DIR_BIDIRECTIONAL)
        return;
    uint32_t pos = 0;
    for (unsigned i = 0; i < s->req.nr_segs; i++) {
        queue(&s->rs->copy_in, s, (xengnttab_grant_copy_segment_t){
            .source.foreign = {.ref = s->data.segs[i].gref, .offset = s->data.segs[i].offset,
                               .domid = s->rs->domid},
            .dest.virt = s->data.buf + pos,
            .len = s->data.segs[i].length,
            .flags = GNTCOPY_source_gref,
        });
        pos += s->data.segs[i].length;
    }
}

static int prepare_map(struct slot *s)
{
    unsigned n = s->req.nr_segs;
    /* Grants of data the device only reads are read-only (Linux grants
     * them so for DMA_TO_DEVICE): map them so. */
    int prot = s->req.dir == VSCSI_DIR_TO_DEVICE ? PROT_READ : PROT_READ | PROT_WRITE;
    for (unsigned i = 0; i < n; i++)
        s->data.refs[i] = s->data.segs[i].gref;
    uint8_t *base = xengnttab_map_domain_grant_refs(s->rs->gnttab, n, s->rs->domid,
                                                    s->data.refs, prot);
    if (!base) {
        log_debug("%s: map of %u grants: %s", s->rs->name, n, strerror(errno));
        return -EIO;
    }
    s->data.mapped = base;
    s->data.nr_mapped = n;
    /* The pages are mapped side by side, so a segment that ends its page
     * and one that starts the next are one run of memory: Linux guests'
     * requests mostly collapse into a single iovec (and stay under sg's
     * limit of 1024 iovecs). */
    unsigned cnt = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = base + (size_t)i * PAGE_SIZE + s->data.segs[i].offset;
        if (cnt && (uint8_t *)s->data.iov[cnt - 1].iov_base + s->data.iov[cnt - 1].iov_len == p)
            s->data.iov[cnt - 1].iov_len += s->data.segs[i].length;
        else
            s->data.iov[cnt++] = (struct iovec){.iov_base = p, .iov_len = s->data.segs[i].length};
    }
    s->cmd.iov = s->data.iov;
    s->cmd.iov_cnt = cnt;
    return 0;
}

int datapath_prepare(struct slot *s)
{
    s->cmd.data_len = s->req.data_len;
    s->cmd.iov = NULL;
    s->cmd.iov_cnt = 0;
    s->cmd.iov_private = false;
    s->data.copy_count = 0;
    if (s->req.nr_segs == 0)
        return 0;
    if (s->rs->cfg->datapath == DATAPATH_MAP)
        return prepare_map(s);
    prepare_copy(s);
    return 0;
}

int datapath_check_destination(struct slot *s)
{
    if (s->rs->cfg->datapath == DATAPATH_MAP || s->req.nr_segs == 0 ||
        (s->req.dir != VSCSI_DIR_FROM_DEVICE && s->req.dir != VSCSI_DIR_BIDIRECTIONAL))
        return 0;
    unsigned n = s->req.nr_segs;
    for (unsigned i = 0; i < n; i++)
        s->data.refs[i] = s->data.segs[i].gref;
    void *p = xengnttab_map_domain_grant_refs(s->rs->gnttab, n, s->rs->domid, s->data.refs,
                                              PROT_READ | PROT_WRITE);
    if (!p) {
        log_debug("%s: rqid %u: destination grants not writable: %s", s->rs->name,
                  (unsigned)s->req.raw.rqid, strerror(errno));
        return -EIO;
    }
    if (xengnttab_unmap(s->rs->gnttab, p, n) < 0)
        log_err("%s: unmap of %u grants: %s", s->rs->name, n, strerror(errno));
    return 0;
}

/* ---- out ------------------------------------------------------------------------ */

bool datapath_finish(struct slot *s, uint32_t len)
{
    s->data.copy_count = 0;
    if (s->data.mapped) {
        if (xengnttab_unmap(s->rs->gnttab, s->data.mapped, s->data.nr_mapped) < 0)
            log_err("%s: unmap of %u grants: %s", s->rs->name, s->data.nr_mapped,
                    strerror(errno));
        s->data.mapped = NULL;
        s->data.nr_mapped = 0;
        return false;
    }
    if (s->req.nr_segs == 0 || len == 0 ||
        (s->req.dir != VSCSI_DIR_FROM_DEVICE && s->req.dir != VSCSI_DIR_BIDIRECTIONAL))
        return false;
    if (len > s->req.data_len)
        len = s->req.data_len;
    uint32_t pos = 0;
    for (unsigned i = 0; i < s->req.nr_segs && pos < len; i++) {
        uint32_t chunk = s->data.segs[i].length;
        if (chunk > len - pos)
            chunk = len - pos;
        queue(&s->rs->copy_out, s, (xengnttab_grant_copy_segment_t){
            .source.virt = s->data.buf + pos,
            .dest.foreign = {.ref = s->data.segs[i].gref, .offset = s->data.segs[i].offset,
                             .domid = s->rs->domid},
            .len = (uint16_t)chunk,
            .flags = GNTCOPY_dest_gref,
        });
        pos += chunk;
    }
    return true;
}

void datapath_run_out(struct ring_state *rs)
{
    run(rs, &rs->copy_out);
}

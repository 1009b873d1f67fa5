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
    /* Indirect pages are copied with the data segments' batch too. */
    d->copy = calloc(max_segments + VSCSIIF_SG_TABLESIZE, sizeof(*d->copy));
    d->refs = calloc(max_segments, sizeof(*d->refs));
    d->buf = map_anon((size_t)max_segments * PAGE_SIZE);
    if (!d->indirect || !d->iov || !d->copy || !d->refs || !d->buf)
        return -ENOMEM;
    return 0;
}

void datapath_slot_free(struct slot_data *d, unsigned max_segments)
{
    if (d->buf)
        munmap(d->buf, (size_t)max_segments * PAGE_SIZE);
    free(d->indirect);
    free(d->iov);
    free(d->copy);
    free(d->refs);
    *d = (struct slot_data){0};
}

static bool copy_ok(struct slot *s, unsigned n)
{
    if (n == 0)
        return true;
    if (xengnttab_grant_copy(s->rs->gnttab, n, s->data.copy) < 0) {
        log_warn("%s: grant copy: %s", s->rs->name, strerror(errno));
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        if (s->data.copy[i].status != GNTST_okay) {
            log_debug("%s: grant copy of ref %u: status %d", s->rs->name,
                      (unsigned)(s->data.copy[i].flags & GNTCOPY_source_gref
                                     ? s->data.copy[i].source.foreign.ref
                                     : s->data.copy[i].dest.foreign.ref),
                      (int)s->data.copy[i].status);
            return false;
        }
    }
    return true;
}

int datapath_fetch_indirect(struct slot *s)
{
    const struct vscsiif_request *raw = &s->req.raw;
    uint8_t *dst = (uint8_t *)s->data.indirect;
    uint32_t pos = 0;
    /* vscsi_request_check bounded every descriptor and their sum to
     * max_segments entries, the size of s->data.indirect. */
    for (unsigned i = 0; i < s->req.nr_ring_segs; i++) {
        s->data.copy[i] = (xengnttab_grant_copy_segment_t){
            .source.foreign = {.ref = raw->seg[i].gref, .offset = raw->seg[i].offset,
                               .domid = s->rs->domid},
            .dest.virt = dst + pos,
            .len = raw->seg[i].length,
            .flags = GNTCOPY_source_gref,
        };
        pos += raw->seg[i].length;
    }
    if (!copy_ok(s, s->req.nr_ring_segs))
        return -EIO;
    s->data.segs = s->data.indirect;
    return 0;
}

static int prepare_copy(struct slot *s)
{
    struct lun_cmd *c = &s->cmd;
    c->iov = s->data.iov;
    c->iov_cnt = 1;
    s->data.iov[0] = (struct iovec){.iov_base = s->data.buf, .iov_len = s->req.data_len};
    if (s->req.dir != VSCSI_DIR_TO_DEVICE && s->req.dir != VSCSI_DIR_BIDIRECTIONAL)
        return 0;
    uint32_t pos = 0;
    for (unsigned i = 0; i < s->req.nr_segs; i++) {
        s->data.copy[i] = (xengnttab_grant_copy_segment_t){
            .source.foreign = {.ref = s->data.segs[i].gref, .offset = s->data.segs[i].offset,
                               .domid = s->rs->domid},
            .dest.virt = s->data.buf + pos,
            .len = s->data.segs[i].length,
            .flags = GNTCOPY_source_gref,
        };
        pos += s->data.segs[i].length;
    }
    return copy_ok(s, s->req.nr_segs) ? 0 : -EIO;
}

static int prepare_map(struct slot *s)
{
    unsigned n = s->req.nr_segs;
    /* Grants of data the device only reads are read-only (Linux grants
     * them so for DMA_TO_DEVICE): map them so. */
    int prot = s->req.dir == VSCSI_DIR_TO_DEVICE ? PROT_READ : PROT_READ | PROT_WRITE;
    for (unsigned i = 0; i < n; i++)
        s->data.refs[i] = s->data.segs[i].gref;
    uint8_t *base = xengnttab_map_domain_grant_refs(s->rs->gnttab, n, s->rs->domid, s->data.refs,
                                                    prot);
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
    if (s->req.nr_segs == 0)
        return 0;
    return s->rs->cfg->datapath == DATAPATH_MAP ? prepare_map(s) : prepare_copy(s);
}

static int finish_copy(struct slot *s, uint32_t len)
{
    if (s->req.dir != VSCSI_DIR_FROM_DEVICE && s->req.dir != VSCSI_DIR_BIDIRECTIONAL)
        return 0;
    unsigned n = 0;
    uint32_t pos = 0;
    for (unsigned i = 0; i < s->req.nr_segs && pos < len; i++) {
        uint32_t chunk = s->data.segs[i].length;
        if (chunk > len - pos)
            chunk = len - pos;
        s->data.copy[n++] = (xengnttab_grant_copy_segment_t){
            .source.virt = s->data.buf + pos,
            .dest.foreign = {.ref = s->data.segs[i].gref, .offset = s->data.segs[i].offset,
                             .domid = s->rs->domid},
            .len = (uint16_t)chunk,
            .flags = GNTCOPY_dest_gref,
        };
        pos += chunk;
    }
    return copy_ok(s, n) ? 0 : -EIO;
}

int datapath_finish(struct slot *s, uint32_t len)
{
    if (s->data.mapped) {
        if (xengnttab_unmap(s->rs->gnttab, s->data.mapped, s->data.nr_mapped) < 0)
            log_err("%s: unmap of %u grants: %s", s->rs->name, s->data.nr_mapped, strerror(errno));
        s->data.mapped = NULL;
        s->data.nr_mapped = 0;
        return 0;
    }
    if (s->req.nr_segs == 0 || len == 0)
        return 0;
    return finish_copy(s, len > s->req.data_len ? s->req.data_len : len);
}

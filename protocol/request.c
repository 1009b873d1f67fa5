#include "request.h"

#define SEG_SIZE ((unsigned)sizeof(struct scsiif_request_segment))

unsigned vscsi_max_indirect_pages(const struct vscsi_limits *lim)
{
    unsigned bytes = lim->max_segments * SEG_SIZE;
    /* A list that does not start on a page boundary spills into one more. */
    unsigned pages = (bytes + VSCSIIF_PAGE_SIZE - 1) / VSCSIIF_PAGE_SIZE + 1;
    return pages < VSCSIIF_SG_TABLESIZE ? pages : VSCSIIF_SG_TABLESIZE;
}

static enum vscsi_reject check_data_segment(const struct scsiif_request_segment *s)
{
    if (s->length == 0)
        return VSCSI_REJECT_SEGMENT_EMPTY;
    if ((uint32_t)s->offset + s->length > VSCSIIF_PAGE_SIZE)
        return VSCSI_REJECT_SEGMENT_BOUNDS;
    return VSCSI_REQ_OK;
}

static enum vscsi_reject check_direct(struct vscsi_request *req)
{
    uint32_t total = 0;

    if (req->nr_ring_segs > VSCSIIF_SG_TABLESIZE)
        return VSCSI_REJECT_TOO_MANY_SEGMENTS;
    for (unsigned i = 0; i < req->nr_ring_segs; i++) {
        enum vscsi_reject r = check_data_segment(&req->raw.seg[i]);
        if (r != VSCSI_REQ_OK)
            return r;
        total += req->raw.seg[i].length;   /* <= 26 * 4096, no overflow */
    }
    req->nr_segs = req->nr_ring_segs;
    req->data_len = total;
    return VSCSI_REQ_OK;
}

static enum vscsi_reject check_indirect_pages(struct vscsi_request *req,
                                              const struct vscsi_limits *lim)
{
    unsigned entries = 0;

    if (req->nr_ring_segs == 0 || req->nr_ring_segs > vscsi_max_indirect_pages(lim))
        return VSCSI_REJECT_TOO_MANY_INDIRECT;
    for (unsigned i = 0; i < req->nr_ring_segs; i++) {
        const struct scsiif_request_segment *s = &req->raw.seg[i];
        /* Whole, aligned entries inside one page, as Linux's xen-scsiback
         * demands (length a multiple of the entry size). */
        if (s->length == 0 || s->length % SEG_SIZE != 0 || s->offset % SEG_SIZE != 0 ||
            (uint32_t)s->offset + s->length > VSCSIIF_PAGE_SIZE)
            return VSCSI_REJECT_BAD_INDIRECT_DESC;
        entries += s->length / SEG_SIZE;
    }
    if (entries > lim->max_segments)
        return VSCSI_REJECT_TOTAL_SEGMENTS;
    req->nr_segs = entries;
    req->data_len = 0;
    return VSCSI_REQ_OK;
}

enum vscsi_reject vscsi_request_check(struct vscsi_request *req, const struct vscsi_limits *lim)
{
    const struct vscsiif_request *raw = &req->raw;

    req->act = raw->act;
    req->dir = (enum vscsi_dir)raw->sc_data_direction;
    req->indirect = (raw->nr_segments & VSCSIIF_SG_GRANT) != 0;
    req->nr_ring_segs = raw->nr_segments & (uint8_t)~VSCSIIF_SG_GRANT;
    req->nr_segs = 0;
    req->data_len = 0;

    if (raw->act != VSCSIIF_ACT_SCSI_CDB && raw->act != VSCSIIF_ACT_SCSI_ABORT &&
        raw->act != VSCSIIF_ACT_SCSI_RESET)
        return VSCSI_REJECT_BAD_ACT;
    /* Linux's xen-scsiback checks these two on every action. */
    if (raw->sc_data_direction > VSCSI_DIR_NONE)
        return VSCSI_REJECT_BAD_DIRECTION;
    if (raw->cmd_len > VSCSIIF_MAX_COMMAND_SIZE)
        return VSCSI_REJECT_CDB_LEN;

    if (raw->act != VSCSIIF_ACT_SCSI_CDB) {
        /* ABORT and RESET move no data: Linux's frontend sends the aborted
         * command's CDB and direction but no segments; ignore any. */
        req->indirect = false;
        req->nr_ring_segs = 0;
        return VSCSI_REQ_OK;
    }
    if (raw->cmd_len == 0)
        return VSCSI_REJECT_CDB_LEN;
    if (req->dir == VSCSI_DIR_NONE && req->nr_ring_segs != 0)
        return VSCSI_REJECT_DATA_WITHOUT_DIR;
    return req->indirect ? check_indirect_pages(req, lim) : check_direct(req);
}

uint32_t vscsi_request_indirect_bytes(const struct vscsi_request *req)
{
    return req->indirect ? req->nr_segs * SEG_SIZE : 0;
}

enum vscsi_reject vscsi_request_check_indirect(struct vscsi_request *req,
                                               const struct scsiif_request_segment *segs,
                                               unsigned n)
{
    uint64_t total = 0;

    if (!req->indirect || n != req->nr_segs)
        return VSCSI_REJECT_BAD_INDIRECT_DESC;
    for (unsigned i = 0; i < n; i++) {
        enum vscsi_reject r = check_data_segment(&segs[i]);
        if (r != VSCSI_REQ_OK)
            return r;
        total += segs[i].length;
    }
    req->data_len = (uint32_t)total;   /* <= 4096 segments * 4 KiB */
    return VSCSI_REQ_OK;
}

const char *vscsi_reject_name(enum vscsi_reject r)
{
    static const char *const names[VSCSI_REJECT_COUNT_] = {
        [VSCSI_REQ_OK] = "ok",
        [VSCSI_REJECT_BAD_ACT] = "unknown action",
        [VSCSI_REJECT_CDB_LEN] = "bad CDB length",
        [VSCSI_REJECT_BAD_DIRECTION] = "bad data direction",
        [VSCSI_REJECT_TOO_MANY_SEGMENTS] = "too many direct segments",
        [VSCSI_REJECT_TOO_MANY_INDIRECT] = "too many indirect pages",
        [VSCSI_REJECT_BAD_INDIRECT_DESC] = "malformed indirect page descriptor",
        [VSCSI_REJECT_TOTAL_SEGMENTS] = "more segments than feature-sg-grant",
        [VSCSI_REJECT_SEGMENT_BOUNDS] = "segment crosses its page",
        [VSCSI_REJECT_SEGMENT_EMPTY] = "empty segment",
        [VSCSI_REJECT_DATA_WITHOUT_DIR] = "segments on a no-data request",
    };
    if ((unsigned)r >= VSCSI_REJECT_COUNT_)
        return "?";
    return names[r];
}

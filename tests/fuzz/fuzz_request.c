/*
 * Fuzz target for request intake: the input is a whole shared ring page as
 * a hostile guest might leave it (indexes and 16 slots), followed by the
 * bytes of indirect segment lists. The back end consumes what the indexes
 * claim, checks each copied request and, for indirect ones, the segment
 * entries; invariants of a checked request are asserted.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "request.h"
#include "ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(4096) unsigned char page[4096];
static struct scsiif_request_segment list[VSCSI_MAX_SEGMENTS_LIMIT];

static void check_invariants(const struct vscsi_request *r, const struct vscsi_limits *lim)
{
    assert(r->act >= VSCSIIF_ACT_SCSI_CDB && r->act <= VSCSIIF_ACT_SCSI_RESET);
    assert(r->dir <= VSCSI_DIR_NONE);
    assert(r->raw.cmd_len <= VSCSIIF_MAX_COMMAND_SIZE);
    if (r->act != VSCSIIF_ACT_SCSI_CDB) {
        assert(r->nr_segs == 0 && r->data_len == 0);
        return;
    }
    assert(r->raw.cmd_len > 0);
    assert(r->nr_segs <= lim->max_segments);
    assert(r->data_len <= r->nr_segs * 4096u);
    if (r->dir == VSCSI_DIR_NONE)
        assert(r->nr_segs == 0);
    if (!r->indirect) {
        assert(r->nr_segs <= VSCSIIF_SG_TABLESIZE);
        for (unsigned i = 0; i < r->nr_segs; i++)
            assert(r->raw.seg[i].length > 0 &&
                   r->raw.seg[i].offset + r->raw.seg[i].length <= 4096u);
    } else {
        assert(r->nr_ring_segs <= vscsi_max_indirect_pages(lim));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* First two bytes choose the advertised limit (26..4096). */
    struct vscsi_limits lim = {.max_segments = 26u + ((unsigned)data[0] << 8 | data[1]) %
                                                         (VSCSI_MAX_SEGMENTS_LIMIT - 25u)};
    data += 2;
    size -= 2;

    size_t n = size < sizeof(page) ? size : sizeof(page);
    memset(page, 0, sizeof(page));
    memcpy(page, data, n);
    data += n;
    size -= n;

    struct vscsi_back_ring br;
    vscsi_back_ring_init(&br, (struct vscsiif_sring *)page);
    int avail = vscsi_back_ring_available(&br);
    assert(avail >= -1 && avail <= 16);
    for (int i = 0; i < avail; i++) {
        struct vscsi_request req;
        vscsi_back_ring_take(&br, &req.raw);
        enum vscsi_reject rj = vscsi_request_check(&req, &lim);
        assert((unsigned)rj < VSCSI_REJECT_COUNT_);
        if (rj == VSCSI_REQ_OK && req.indirect) {
            uint32_t bytes = vscsi_request_indirect_bytes(&req);
            assert(bytes <= sizeof(list));
            size_t take = size < bytes ? size : bytes;
            memset(list, 0, bytes);
            memcpy(list, data, take);
            data += take;
            size -= take;
            rj = vscsi_request_check_indirect(&req, list, req.nr_segs);
        }
        if (rj == VSCSI_REQ_OK)
            check_invariants(&req, &lim);
        struct vscsiif_response rsp = {.rqid = req.raw.rqid};
        assert(vscsi_back_ring_put(&br, &rsp));
    }
    (void)vscsi_back_ring_push(&br);
    (void)vscsi_back_ring_final_check(&br);
    return 0;
}

/* vscsiif requests as a frontend puts them on the ring, for the tests that
 * build them by hand (ring, journal, intake, dispatch, hostile guests).
 * Header only: users already have protocol/ on their include path. */
#ifndef PVSCSI_TEST_VSCSI_REQ_H
#define PVSCSI_TEST_VSCSI_REQ_H

#include <stdint.h>
#include <string.h>

#include "wire.h"

/* A VSCSIIF_ACT_SCSI_CDB request: rqid, a cmd_len-byte CDB starting with
 * op (the rest zero), direction dir (enum vscsi_dir); target 0, no
 * segments, every other field zero. */
static inline struct vscsiif_request vscsi_req_cdb(uint16_t rqid, uint8_t op, uint8_t cmd_len,
                                                   uint8_t dir)
{
    struct vscsiif_request r;
    memset(&r, 0, sizeof(r));
    r.rqid = rqid;
    r.act = VSCSIIF_ACT_SCSI_CDB;
    r.cmd_len = cmd_len;
    r.cmnd[0] = op;
    r.sc_data_direction = dir;
    return r;
}

/* Adds a direct segment: length bytes at offset of grant gref. */
static inline void vscsi_req_seg(struct vscsiif_request *r, uint32_t gref, uint16_t offset,
                                 uint16_t length)
{
    r->seg[r->nr_segments++] =
        (struct scsiif_request_segment){.gref = gref, .offset = offset, .length = length};
}

#endif

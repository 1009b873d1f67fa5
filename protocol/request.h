/*
 * Request intake: a request copied once out of the ring (vscsi_back_ring_take)
 * is checked here, on the private copy only, and either becomes a parsed
 * request or is rejected with a precise reason. Nothing here touches shared
 * memory; indirect segment lists are checked after the backend has copied
 * them (once) into private memory.
 */
#ifndef PVSCSI_PROTOCOL_REQUEST_H
#define PVSCSI_PROTOCOL_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

/* The most data segments we can ever advertise in feature-sg-grant (the
 * protocol allows 65535; 4096 pages = 16 MiB per request is plenty). */
#define VSCSI_MAX_SEGMENTS_LIMIT 4096u

struct vscsi_limits {
    unsigned max_segments;   /* what we advertise in feature-sg-grant, >= 26 */
};

enum vscsi_reject {
    VSCSI_REQ_OK = 0,
    VSCSI_REJECT_BAD_ACT,            /* act not CDB, ABORT or RESET */
    VSCSI_REJECT_CDB_LEN,            /* cmd_len > 16, or 0 on a CDB action */
    VSCSI_REJECT_BAD_DIRECTION,      /* sc_data_direction not 0..3 */
    VSCSI_REJECT_TOO_MANY_SEGMENTS,  /* direct nr_segments > 26 */
    VSCSI_REJECT_TOO_MANY_INDIRECT,  /* more indirect pages than allowed */
    VSCSI_REJECT_BAD_INDIRECT_DESC,  /* indirect page descriptor malformed */
    VSCSI_REJECT_TOTAL_SEGMENTS,     /* indirect total over feature-sg-grant */
    VSCSI_REJECT_SEGMENT_BOUNDS,     /* offset + length past the 4 KiB page */
    VSCSI_REJECT_SEGMENT_EMPTY,      /* data segment of length 0 */
    VSCSI_REJECT_DATA_WITHOUT_DIR,   /* direction NONE but segments given */
    VSCSI_REJECT_COUNT_
};

struct vscsi_request {
    struct vscsiif_request raw;  /* the private copy; never re-read the ring */
    uint8_t act;
    enum vscsi_dir dir;
    bool indirect;               /* raw.seg[] describes pages of segments */
    unsigned nr_ring_segs;       /* raw.seg[] entries in use */
    unsigned nr_segs;            /* data segments; for indirect, known after
                                    vscsi_request_check_indirect() */
    uint32_t data_len;           /* total bytes of the data segments */
};

/* Indirect pages a request may use for `lim`: what Linux's frontend needs
 * for max_segments entries starting at any 8-byte aligned offset, at most
 * the 26 seg[] slots. */
unsigned vscsi_max_indirect_pages(const struct vscsi_limits *lim);

/*
 * Checks the copy in req->raw and fills the other fields. For direct
 * requests every data segment is checked and data_len is final. For
 * indirect ones (req->indirect) the page descriptors are checked and
 * req->nr_segs is the number of entries they hold; the caller copies those
 * entries and calls vscsi_request_check_indirect().
 */
enum vscsi_reject vscsi_request_check(struct vscsi_request *req, const struct vscsi_limits *lim);

/* Bytes of segment entries an indirect request's pages hold (nr_segs * 8). */
uint32_t vscsi_request_indirect_bytes(const struct vscsi_request *req);

/* Checks the n data segments copied from an indirect request's pages
 * (n must equal req->nr_segs) and sets data_len. */
enum vscsi_reject vscsi_request_check_indirect(struct vscsi_request *req,
                                               const struct scsiif_request_segment *segs,
                                               unsigned n);

/* A short human name of a reject reason, for logs. */
const char *vscsi_reject_name(enum vscsi_reject r);

#endif

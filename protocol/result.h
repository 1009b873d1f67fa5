/* The rslt word of a response: SCSI status in bits 0-7, host byte
 * (XEN_VSCSIIF_RSLT_HOST_*, the values of Linux's DID_*) in bits 16-23. */
#ifndef PVSCSI_PROTOCOL_RESULT_H
#define PVSCSI_PROTOCOL_RESULT_H

#include <stdint.h>

#include "wire.h"

/* SCSI status bytes (SAM) that the backend itself produces. */
#define VSCSI_STATUS_GOOD            0x00
#define VSCSI_STATUS_CHECK_CONDITION 0x02
#define VSCSI_STATUS_BUSY            0x08
#define VSCSI_STATUS_TASK_SET_FULL   0x28

static inline int32_t vscsi_rslt(uint8_t host_byte, uint8_t status)
{
    return (int32_t)(((uint32_t)host_byte << 16) | status);
}

static inline uint8_t vscsi_rslt_host(int32_t rslt)
{
    return (uint8_t)XEN_VSCSIIF_RSLT_HOST((uint32_t)rslt);
}

static inline uint8_t vscsi_rslt_status(int32_t rslt)
{
    return (uint8_t)XEN_VSCSIIF_RSLT_STATUS((uint32_t)rslt);
}

/* "OK", "NO_CONNECT", ... for logs; "?" for unknown values. */
const char *vscsi_host_byte_name(uint8_t host_byte);

/*
 * Fills a whole response (the reserved bytes zeroed, so nothing of ours
 * leaks to the guest): sense is truncated to the 96 bytes the ring carries
 * and sense_len says how much was copied.
 */
void vscsi_response_fill(struct vscsiif_response *rsp, uint16_t rqid, int32_t rslt,
                         const uint8_t *sense, unsigned sense_len, uint32_t residual);

#endif

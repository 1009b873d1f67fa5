#include "result.h"

#include <string.h>

const char *vscsi_host_byte_name(uint8_t host_byte)
{
    static const char *const names[] = {
        [XEN_VSCSIIF_RSLT_HOST_OK] = "OK",
        [XEN_VSCSIIF_RSLT_HOST_NO_CONNECT] = "NO_CONNECT",
        [XEN_VSCSIIF_RSLT_HOST_BUS_BUSY] = "BUS_BUSY",
        [XEN_VSCSIIF_RSLT_HOST_TIME_OUT] = "TIME_OUT",
        [XEN_VSCSIIF_RSLT_HOST_BAD_TARGET] = "BAD_TARGET",
        [XEN_VSCSIIF_RSLT_HOST_ABORT] = "ABORT",
        [XEN_VSCSIIF_RSLT_HOST_PARITY] = "PARITY",
        [XEN_VSCSIIF_RSLT_HOST_ERROR] = "ERROR",
        [XEN_VSCSIIF_RSLT_HOST_RESET] = "RESET",
        [XEN_VSCSIIF_RSLT_HOST_BAD_INTR] = "BAD_INTR",
        [XEN_VSCSIIF_RSLT_HOST_PASSTHROUGH] = "PASSTHROUGH",
        [XEN_VSCSIIF_RSLT_HOST_SOFT_ERROR] = "SOFT_ERROR",
        [XEN_VSCSIIF_RSLT_HOST_IMM_RETRY] = "IMM_RETRY",
        [XEN_VSCSIIF_RSLT_HOST_REQUEUE] = "REQUEUE",
        [XEN_VSCSIIF_RSLT_HOST_TRANSPORT_DISRUPTED] = "TRANSPORT_DISRUPTED",
        [XEN_VSCSIIF_RSLT_HOST_TRANSPORT_FAILFAST] = "TRANSPORT_FAILFAST",
        [XEN_VSCSIIF_RSLT_HOST_TARGET_FAILURE] = "TARGET_FAILURE",
        [XEN_VSCSIIF_RSLT_HOST_NEXUS_FAILURE] = "NEXUS_FAILURE",
        [XEN_VSCSIIF_RSLT_HOST_ALLOC_FAILURE] = "ALLOC_FAILURE",
        [XEN_VSCSIIF_RSLT_HOST_MEDIUM_ERROR] = "MEDIUM_ERROR",
        [XEN_VSCSIIF_RSLT_HOST_TRANSPORT_MARGINAL] = "TRANSPORT_MARGINAL",
    };
    if (host_byte >= sizeof(names) / sizeof(names[0]))
        return "?";
    return names[host_byte];
}

void vscsi_response_fill(struct vscsiif_response *rsp, uint16_t rqid, int32_t rslt,
                         const uint8_t *sense, unsigned sense_len, uint32_t residual)
{
    memset(rsp, 0, sizeof(*rsp));
    rsp->rqid = rqid;
    rsp->rslt = rslt;
    rsp->residual_len = residual;
    if (sense && sense_len) {
        if (sense_len > VSCSIIF_SENSE_BUFFERSIZE)
            sense_len = VSCSIIF_SENSE_BUFFERSIZE;
        memcpy(rsp->sense_buffer, sense, sense_len);
        rsp->sense_len = (uint8_t)sense_len;
    }
}

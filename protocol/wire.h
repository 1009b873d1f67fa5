/*
 * The vscsiif wire format, taken from the headers Xen installs
 * (<xen/io/vscsiif.h>, <xen/io/ring.h>), plus the barriers ring.h expects
 * its user to supply and compile-time checks of the layout we rely on.
 * Include this instead of <xen/io/vscsiif.h> directly.
 */
#ifndef PVSCSI_PROTOCOL_WIRE_H
#define PVSCSI_PROTOCOL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * ring.h leaves xen_mb/xen_rmb/xen_wmb to the includer. The other end runs
 * on another CPU (another domain), so these are real fences: a full fence,
 * and acquire/release fences which on x86 cost only a compiler barrier.
 */
#ifndef xen_mb
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#include <xen/grant_table.h>
#include <xen/io/ring.h>
#include <xen/io/vscsiif.h>

/* Data directions as Linux's DMA values, the encoding the frontend uses. */
enum vscsi_dir {
    VSCSI_DIR_BIDIRECTIONAL = 0,
    VSCSI_DIR_TO_DEVICE = 1,
    VSCSI_DIR_FROM_DEVICE = 2,
    VSCSI_DIR_NONE = 3,
};

/* Requests and responses share the 16 slots of one 4 KiB page. */
#define VSCSI_RING_SIZE __CONST_RING_SIZE(vscsiif, VSCSIIF_PAGE_SIZE)

_Static_assert(sizeof(struct vscsiif_request) == 252, "request is 252 bytes");
_Static_assert(sizeof(struct vscsiif_response) == 252, "response is 252 bytes");
_Static_assert(sizeof(struct scsiif_request_segment) == 8, "segment is 8 bytes");
_Static_assert(VSCSIIF_SG_PER_PAGE == 512, "512 segments per indirect page");
_Static_assert(VSCSIIF_PAGE_SIZE == 4096, "vscsiif pages are 4 KiB");
_Static_assert(__CONST_RING_SIZE(vscsiif, 4096) == 16, "16 slots in one page");
_Static_assert(offsetof(struct vscsiif_sring, ring) == 64, "64-byte ring header");
_Static_assert(sizeof(struct vscsiif_sring) <= 4096, "ring fits one page");
_Static_assert(offsetof(struct vscsiif_request, cmnd) == 4, "cmnd offset");
_Static_assert(offsetof(struct vscsiif_request, timeout_per_command) == 20, "timeout offset");
_Static_assert(offsetof(struct vscsiif_request, channel) == 22, "channel offset");
_Static_assert(offsetof(struct vscsiif_request, ref_rqid) == 28, "ref_rqid offset");
_Static_assert(offsetof(struct vscsiif_request, sc_data_direction) == 30, "dir offset");
_Static_assert(offsetof(struct vscsiif_request, nr_segments) == 31, "nr_segments offset");
_Static_assert(offsetof(struct vscsiif_request, seg) == 32, "seg offset");
_Static_assert(offsetof(struct vscsiif_response, sense_buffer) == 4, "sense offset");
_Static_assert(offsetof(struct vscsiif_response, rslt) == 100, "rslt offset");
_Static_assert(offsetof(struct vscsiif_response, residual_len) == 104, "residual offset");

#endif

/*
 * VPD page 0x83 (Device Identification, SPC-4 7.8.6) as the kernel exposes
 * it in sysfs `vpd_pg83`: the raw page the device returned. Pure parsing for
 * matching a "naa.<hex>" p-dev against a device's NAA designators.
 */
#ifndef PVSCSID_SG_VPD_H
#define PVSCSID_SG_VPD_H

#include <stddef.h>
#include <stdint.h>

/* Designator association (byte 1 bits 5-4). */
#define SG_VPD_ASSOC_LU          0   /* the logical unit itself */
#define SG_VPD_ASSOC_TARGET_PORT 1   /* the port the LU was reached through */
#define SG_VPD_ASSOC_TARGET      2   /* the target device */

/* Longest NAA designator (NAA 6, IEEE Registered Extended): 16 bytes. */
#define SG_VPD_NAA_MAX 16

/* Largest page: 4-byte header plus a 16-bit page length. */
#define SG_VPD_PAGE_MAX (4 + 65535)

/* Checks the whole page strictly: at least the 4-byte header, page code
 * 0x83, the page length within `len`, every descriptor header and body
 * inside the page. 0, or -EBADMSG (truncated or garbage). */
int sg_vpd83_validate(const uint8_t *page, size_t len);

/* 1 if the page holds an NAA designator (type 3, binary code set) with
 * association `assoc` whose bytes are exactly id[0..id_len); 0 if not;
 * -EBADMSG if the page fails sg_vpd83_validate(). */
int sg_vpd83_has_naa(const uint8_t *page, size_t len, unsigned assoc, const uint8_t *id,
                     size_t id_len);

#endif

/* REPORT LUNS answered by the backend from the LUNs configured for the
 * addressed target: the physical device may have LUNs the guest must not
 * see, and the guest's LUN numbers are virtual (v-dev). */
#ifndef PVSCSID_REPORT_LUNS_H
#define PVSCSID_REPORT_LUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCSI_OP_REPORT_LUNS 0xa0

/* Writes the parameter data (8-byte header + 8 bytes per LUN, single-level
 * LUN structure: peripheral addressing below 256, flat space above) into
 * out, at most `cap` bytes. Returns the full length the answer needs. */
size_t report_luns_build(uint8_t *out, size_t cap, const uint16_t *luns, unsigned n);
/* The CDB's allocation length (bytes 6..9). */
uint32_t report_luns_alloc_len(const uint8_t *cdb);

struct ring_state;
struct lun_cmd;

/* Does the ring have a LUN (not being removed) at channel:target? REPORT
 * LUNS is answered for targets that exist; others get NO_CONNECT. */
bool report_luns_target_exists(const struct ring_state *rs, uint16_t channel, uint16_t target);
/* Answers REPORT LUNS (cmd's CDB) for channel:target from the ring's LUN
 * table into cmd's data-in buffer: GOOD with the residual, or CHECK
 * CONDITION / INVALID FIELD IN CDB (allocation length under 16, or a
 * buffer offered for data-out only). */
void report_luns_emulate(const struct ring_state *rs, uint16_t channel, uint16_t target,
                         struct lun_cmd *c);

#endif

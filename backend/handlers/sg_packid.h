/*
 * sg pack_ids for one file descriptor. With SG_SET_FORCE_PACK_ID a read()
 * returns the completion whose pack_id it names, so a pack_id must be unique
 * among the commands sg still holds for the fd. A counter gives ids far
 * apart in time; a table of the ids in flight makes uniqueness exact.
 */
#ifndef PVSCSID_SG_PACKID_H
#define PVSCSID_SG_PACKID_H

#include <stdbool.h>
#include <stdint.h>

/* sg keeps at most SG_MAX_QUEUE (16) commands per fd; its write() fails
 * with EDOM beyond that. */
#define SG_PACKID_SLOTS 16

struct sg_packid {
    int32_t next;                        /* next candidate, 0..INT32_MAX */
    int32_t id[SG_PACKID_SLOTS];
    bool used[SG_PACKID_SLOTS];
};

void sg_packid_init(struct sg_packid *p);
/* Takes the next id not in flight (never negative: sg's -1 means "any").
 * Returns its slot (for sg_packid_release) and stores the id, or -EBUSY
 * when all slots are taken. */
int sg_packid_take(struct sg_packid *p, int32_t *id);
/* The command with this slot is gone from sg: its id may be reused. A
 * command whose fate in sg is unknown is never released, so its id stays
 * reserved (and the slot counts against sg's 16). */
void sg_packid_release(struct sg_packid *p, int slot);

#endif

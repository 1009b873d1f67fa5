#include "sg_packid.h"

#include <errno.h>
#include <string.h>

void sg_packid_init(struct sg_packid *p)
{
    memset(p, 0, sizeof(*p));
}

static bool in_flight(const struct sg_packid *p, int32_t id)
{
    for (int i = 0; i < SG_PACKID_SLOTS; i++)
        if (p->used[i] && p->id[i] == id)
            return true;
    return false;
}

int sg_packid_take(struct sg_packid *p, int32_t *id)
{
    int slot = -1;
    for (int i = 0; i < SG_PACKID_SLOTS && slot < 0; i++)
        if (!p->used[i])
            slot = i;
    if (slot < 0)
        return -EBUSY;
    /* At most SG_PACKID_SLOTS - 1 other ids are in flight, so this ends
     * within SG_PACKID_SLOTS steps. */
    int32_t cand;
    do {
        cand = p->next;
        p->next = cand == INT32_MAX ? 0 : cand + 1;
    } while (in_flight(p, cand));
    p->used[slot] = true;
    p->id[slot] = cand;
    *id = cand;
    return slot;
}

void sg_packid_release(struct sg_packid *p, int slot)
{
    if (slot >= 0 && slot < SG_PACKID_SLOTS)
        p->used[slot] = false;
}

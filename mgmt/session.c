#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session {
    char ref[SESSION_REF_LEN];
    char owner[SESSION_OWNER_LEN];
    uint64_t used_ns;       /* last use */
    bool live;
};

struct session_table {
    struct session *s;
    size_t max, per_owner;
};

struct session_table *session_table_new(size_t max, size_t per_owner)
{
    struct session_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->max = max ? max : 1;
    t->per_owner = per_owner ? per_owner : 1;
    t->s = calloc(t->max, sizeof(*t->s));
    if (!t->s) {
        free(t);
        return NULL;
    }
    return t;
}

void session_table_free(struct session_table *t)
{
    if (t) {
        explicit_bzero(t->s, t->max * sizeof(*t->s));
        free(t->s);
        free(t);
    }
}

static bool expired(const struct session *s, uint64_t now_ns)
{
    return now_ns - s->used_ns > SESSION_IDLE_NS;
}

int session_open(struct session_table *t, const char *owner, uint64_t now_ns,
                 char ref[SESSION_REF_LEN])
{
    struct session *free_slot = NULL, *own_oldest = NULL;
    size_t own = 0;
    for (size_t i = 0; i < t->max; i++) {
        struct session *s = &t->s[i];
        if (s->live && expired(s, now_ns))
            s->live = false;
        if (!s->live) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (strcmp(s->owner, owner) == 0) {
            own++;
            if (!own_oldest || s->used_ns < own_oldest->used_ns)
                own_oldest = s;
        }
    }
    /* Over its quota, or the table is full: the owner's own oldest goes. */
    struct session *slot = own >= t->per_owner || !free_slot ? own_oldest : free_slot;
    if (!slot)
        return -ENOSPC;
    char u[UUID_STRLEN];
    uuid5_random(u);
    memset(slot, 0, sizeof(*slot));
    snprintf(slot->ref, sizeof(slot->ref), "OpaqueRef:%s", u);
    snprintf(slot->owner, sizeof(slot->owner), "%s", owner);
    slot->used_ns = now_ns;
    slot->live = true;
    memcpy(ref, slot->ref, SESSION_REF_LEN);
    return 0;
}

/* Equal in time independent of where they differ (session refs are bearer
 * tokens on the TCP listener). */
static bool same_ref(const char *a, const char *b)
{
    unsigned char diff = 0;
    size_t i = 0;
    for (; i < SESSION_REF_LEN && a[i] && b[i]; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0 && a[i] == b[i];
}

static struct session *find(struct session_table *t, const char *ref)
{
    struct session *hit = NULL;
    /* Every slot is compared, so the time says nothing about which. */
    for (size_t i = 0; ref && i < t->max; i++)
        if (t->s[i].live && same_ref(t->s[i].ref, ref) && !hit)
            hit = &t->s[i];
    return hit;
}

bool session_check(struct session_table *t, const char *ref, uint64_t now_ns)
{
    struct session *s = find(t, ref);
    if (s && expired(s, now_ns)) {
        s->live = false;
        return false;
    }
    if (s)
        s->used_ns = now_ns;
    return s != NULL;
}

bool session_close(struct session_table *t, const char *ref)
{
    struct session *s = find(t, ref);
    if (s)
        memset(s, 0, sizeof(*s));
    return s != NULL;
}

size_t session_count(const struct session_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->max; i++)
        n += t->s[i].live;
    return n;
}

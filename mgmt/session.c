#include "session.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session {
    char ref[SESSION_REF_LEN];
    uint64_t used;          /* logical clock of the last use; 0: free slot */
};

struct session_table {
    struct session *s;
    size_t max;
    uint64_t clock;
};

struct session_table *session_table_new(size_t max)
{
    struct session_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->s = calloc(max ? max : 1, sizeof(*t->s));
    if (!t->s) {
        free(t);
        return NULL;
    }
    t->max = max ? max : 1;
    return t;
}

void session_table_free(struct session_table *t)
{
    if (t) {
        free(t->s);
        free(t);
    }
}

void session_open(struct session_table *t, char ref[SESSION_REF_LEN])
{
    size_t slot = 0;
    for (size_t i = 0; i < t->max; i++) {
        if (t->s[i].used == 0) {
            slot = i;
            break;
        }
        if (t->s[i].used < t->s[slot].used)
            slot = i;
    }
    char u[UUID_STRLEN];
    uuid5_random(u);
    snprintf(t->s[slot].ref, sizeof(t->s[slot].ref), "OpaqueRef:%s", u);
    t->s[slot].used = ++t->clock;
    memcpy(ref, t->s[slot].ref, SESSION_REF_LEN);
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
        if (t->s[i].used && same_ref(t->s[i].ref, ref) && !hit)
            hit = &t->s[i];
    return hit;
}

bool session_check(struct session_table *t, const char *ref)
{
    struct session *s = find(t, ref);
    if (s)
        s->used = ++t->clock;
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
        n += t->s[i].used != 0;
    return n;
}

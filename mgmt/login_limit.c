#include "login_limit.h"

#include <stdio.h>
#include <string.h>

static struct login_peer *find(struct login_limit *l, const char *key, bool add)
{
    struct login_peer *oldest = &l->peer[0];
    for (size_t i = 0; i < LOGIN_PEERS; i++) {
        struct login_peer *p = &l->peer[i];
        if (p->key[0] && strcmp(p->key, key) == 0)
            return p;
        if (!p->key[0] || (oldest->key[0] && p->seen_ns < oldest->seen_ns))
            oldest = p;
    }
    if (!add)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->key, sizeof(oldest->key), "%s", key);
    return oldest;
}

bool login_limit_allowed(struct login_limit *l, const char *key, uint64_t now_ns)
{
    const struct login_peer *p = find(l, key, false);
    return !p || now_ns >= p->open_at_ns;
}

void login_limit_failed(struct login_limit *l, const char *key, uint64_t now_ns)
{
    struct login_peer *p = find(l, key, true);
    p->seen_ns = now_ns;
    if (++p->failures < LOGIN_FREE_FAILURES)
        return;
    unsigned shift = p->failures - LOGIN_FREE_FAILURES;
    uint64_t delay = shift >= 6 ? LOGIN_MAX_DELAY_NS : 1000000000ull << shift;
    p->open_at_ns = now_ns + (delay < LOGIN_MAX_DELAY_NS ? delay : LOGIN_MAX_DELAY_NS);
}

void login_limit_succeeded(struct login_limit *l, const char *key)
{
    struct login_peer *p = find(l, key, false);
    if (p)
        memset(p, 0, sizeof(*p));
}

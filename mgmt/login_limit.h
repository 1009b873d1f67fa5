/* Failed TCP logins slowed down, per peer address (an IPv6 peer by its
 * /64): the first LOGIN_FREE_FAILURES cost nothing, then each failure
 * closes that address's door for 1, 2, 4... up to 60 s, during which its
 * logins are refused without looking at the password. A success opens it
 * again. Bounded memory: the least recently seen address is forgotten
 * first. Not thread-safe: callers lock. */
#ifndef PVSCSI_MGMT_LOGIN_LIMIT_H
#define PVSCSI_MGMT_LOGIN_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define LOGIN_FREE_FAILURES 5
#define LOGIN_MAX_DELAY_NS (60ull * 1000000000)
#define LOGIN_PEERS 256

struct login_peer {
    char key[48];
    unsigned failures;
    uint64_t open_at_ns;    /* no attempt is looked at before */
    uint64_t seen_ns;
};

struct login_limit {
    struct login_peer peer[LOGIN_PEERS];
};

/* true if a login from key may be checked at now_ns. */
bool login_limit_allowed(struct login_limit *l, const char *key, uint64_t now_ns);
void login_limit_failed(struct login_limit *l, const char *key, uint64_t now_ns);
void login_limit_succeeded(struct login_limit *l, const char *key);

#endif

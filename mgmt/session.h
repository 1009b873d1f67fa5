/* XenAPI sessions of one listener: opaque refs handed out by login, valid
 * on that listener only, until logout or a day unused. Each session has an
 * owner (the peer: a Unix uid and pid, a TCP address). A full table never
 * drops another owner's live session: an owner over its quota loses its
 * own least recently used one, and when the table is full of others' live
 * sessions the login is refused. Not thread-safe: callers lock. */
#ifndef PVSCSI_MGMT_SESSION_H
#define PVSCSI_MGMT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uuid5.h"

#define SESSION_REF_LEN (10 + UUID_STRLEN)     /* "OpaqueRef:" + uuid */
#define SESSION_OWNER_LEN 64
#define SESSION_IDLE_NS (24ull * 3600 * 1000000000)   /* xapi's default too */

struct session_table;

/* max sessions in all, at most per_owner of them for one owner. */
struct session_table *session_table_new(size_t max, size_t per_owner);
void session_table_free(struct session_table *t);

/* A new session for owner at time now_ns (monotonic); writes its ref.
 * 0, or -ENOSPC when every slot holds another owner's live session. */
int session_open(struct session_table *t, const char *owner, uint64_t now_ns,
                 char ref[SESSION_REF_LEN]);
/* true if ref is a live session (and marks it used at now_ns). */
bool session_check(struct session_table *t, const char *ref, uint64_t now_ns);
/* true if it was live. */
bool session_close(struct session_table *t, const char *ref);
size_t session_count(const struct session_table *t);

#endif

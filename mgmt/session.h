/* XenAPI sessions: opaque refs handed out by login, valid on every
 * listener until logout. The table is bounded: when full, the least
 * recently used session is dropped (its client re-logs in on
 * SESSION_INVALID, as XenAPI clients do). Not thread-safe: callers lock. */
#ifndef PVSCSI_MGMT_SESSION_H
#define PVSCSI_MGMT_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "uuid5.h"

#define SESSION_REF_LEN (10 + UUID_STRLEN)     /* "OpaqueRef:" + uuid */

struct session_table;

struct session_table *session_table_new(size_t max);
void session_table_free(struct session_table *t);

/* New session; writes its ref. Evicts the oldest when full. */
void session_open(struct session_table *t, char ref[SESSION_REF_LEN]);
/* true if ref is a live session (and marks it used). */
bool session_check(struct session_table *t, const char *ref);
/* true if it was live. */
bool session_close(struct session_table *t, const char *ref);
size_t session_count(const struct session_table *t);

#endif

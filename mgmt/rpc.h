/*
 * XenAPI call dispatch, independent of the wire: a method name and a JSON
 * array of parameters in, a JSON value or a XenAPI error (an array of
 * strings: code, then parameters) out. Checks the parameter count, then the
 * session (every call but session.login_with_password takes it first).
 */
#ifndef PVSCSI_MGMT_RPC_H
#define PVSCSI_MGMT_RPC_H

#include <json-c/json.h>

#include "core.h"

/* Result (caller owns), or NULL with *error set (caller owns). Locks c.
 * peer names the client: its sessions' owner, and on TCP the address whose
 * failed logins are slowed down ("uid=0 pid=42", "127.0.0.1", "2001:db8::/64"). */
struct json_object *rpc_call(struct mgmt_core *c, enum rpc_transport tr, const char *peer,
                             const char *method, struct json_object *params,
                             struct json_object **error);

/* The TCP user and password (HTTP basic auth of GET /metrics), at the pace
 * the address's failed logins allow. Locks c. */
bool rpc_tcp_credentials_ok(struct mgmt_core *c, const char *peer, const char *user,
                            const char *password);

/* Monotonic nanoseconds (sessions, login delays). */
uint64_t rpc_now_ns(void);

#endif

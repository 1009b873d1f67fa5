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

/* Result (caller owns), or NULL with *error set (caller owns). Locks c. */
struct json_object *rpc_call(struct mgmt_core *c, enum rpc_transport tr, const char *method,
                             struct json_object *params, struct json_object **error);

#endif

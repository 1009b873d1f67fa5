/*
 * XenAPI's JSON-RPC wire (json-c): v1.0 {method, params, id} answered
 * {result, error, id}, error = [code, params...]; v2.0 adds "jsonrpc": "2.0"
 * and errors {code, message: CODE, data: [params...]}. Notifications (no id)
 * are refused, as xapi does.
 */
#ifndef PVSCSI_MGMT_JSONRPC_H
#define PVSCSI_MGMT_JSONRPC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define JSONRPC_MAX_DEPTH 32

struct jsonrpc_call {
    char *method;               /* free() */
    struct json_object *params; /* array */
    struct json_object *id;     /* string or int */
    bool v2;
    /* A well-formed call with a string that is not UTF-8 or holds U+0000:
     * the XenAPI error to answer (INVALID_VALUE [where, value]) instead of
     * dispatching it; NULL otherwise. */
    struct json_object *reject;
};

/* 0 with c filled (jsonrpc_call_free), or -EINVAL when malformed. */
int jsonrpc_parse_call(const char *body, size_t len, struct jsonrpc_call *c);
void jsonrpc_call_free(struct jsonrpc_call *c);

/* The answer to c (value or error non-NULL), malloc'd with its length. */
char *jsonrpc_response(const struct jsonrpc_call *c, struct json_object *value,
                       struct json_object *error, size_t *len);

#endif

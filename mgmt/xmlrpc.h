/*
 * XenAPI's XML-RPC wire (libxml2 parses and writes; values travel as json-c
 * objects). Requests accept typed and untyped values, <i4>/<int>/<i8>,
 * <nil/>. Answers are {Status: Success, Value} or {Status: Failure,
 * ErrorDescription: [...]}; ints go out as strings, as xapi and xend send them.
 */
#ifndef PVSCSI_MGMT_XMLRPC_H
#define PVSCSI_MGMT_XMLRPC_H

#include <json-c/json.h>
#include <stddef.h>

#define XMLRPC_MAX_DEPTH 32

/* 0 with *method (free()) and *params (a json array), or -EINVAL. */
int xmlrpc_parse_call(const char *body, size_t len, char **method,
                      struct json_object **params);

/* value or error (exactly one non-NULL) as a methodResponse document,
 * malloc'd with its length; NULL when out of memory. */
char *xmlrpc_response(struct json_object *value, struct json_object *error, size_t *len);

#endif

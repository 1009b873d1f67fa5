/*
 * pvscsictl's side of the wire: XenAPI JSON-RPC over the Unix socket
 * (libcurl, json-c), and how failures reach the administrator: a sentence
 * naming devices and VMs (not raw refs) on stderr, or with --json one JSON
 * object on stdout, {"error": {"code", "params", "message"}}.
 */
#ifndef PVSCSI_CTL_RPC_H
#define PVSCSI_CTL_RPC_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdbool.h>

struct ctl {
    const char *socket;
    bool json;
    const char *policy;        /* --policy: a new LUN's command policy options */
    CURL *curl;
    char *session;
    long next_id;
};

/* Fails the command: message on stderr, or as JSON on stdout with
 * --json (code "PVSCSICTL"); exit status 1. */
void ctl_die(const struct ctl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* One call: the result (caller owns), or NULL with the XenAPI error array
 * in *error (caller owns). Transport failures end the command. */
struct json_object *ctl_call_try(struct ctl *c, const char *method, struct json_object *params,
                                 struct json_object **error);
/* The same, ending the command on a XenAPI error (reported as above). */
struct json_object *ctl_call(struct ctl *c, const char *method, struct json_object *params);
/* method(session, args...) with string arguments, NULL-terminated. */
struct json_object *ctl_callv(struct ctl *c, const char *method, ...)
    __attribute__((sentinel));

/* "VM guest-b", "PSCSI 1:0:1:0 (st0)", "LUN 0:0:0:1 of VM guest-b",
 * "vscsi device 4 of VM guest-b", or the uuid: malloc'd. */
char *ctl_name_ref(struct ctl *c, const char *ref);

#endif

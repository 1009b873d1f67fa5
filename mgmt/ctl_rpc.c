#include "ctl_rpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t n;
};

static void print_json_error(const char *code, struct json_object *params, const char *msg)
{
    struct json_object *o = json_object_new_object(), *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(code));
    json_object_object_add(e, "params", params ? json_object_get(params)
                                               : json_object_new_array());
    json_object_object_add(e, "message", json_object_new_string(msg));
    json_object_object_add(o, "error", e);
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

void ctl_die(const struct ctl *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "pvscsictl: %s\n", msg);
    if (c && c->json)
        print_json_error("PVSCSICTL", NULL, msg);
    exit(1);
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    if (b->n + n > 64 * 1024 * 1024)
        return 0;               /* no answer is that big: stop */
    char *np = realloc(b->p, b->n + n + 1);
    if (!np)
        return 0;
    memcpy(np + b->n, data, n);
    b->p = np;
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

/* Why the socket could not be reached, in the administrator's words. */
static void die_unreachable(const struct ctl *c, CURLcode rc)
{
    long os_errno = 0;
    curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_COULDNT_CONNECT && (os_errno == EACCES || os_errno == EPERM))
        ctl_die(c, "permission denied on %s (root or pvscsid's own user only)", c->socket);
    if (rc == CURLE_COULDNT_CONNECT && os_errno == ENOENT)
        ctl_die(c, "%s does not exist: is pvscsid running (with its management API)?",
                c->socket);
    if (rc == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED)
        ctl_die(c, "nobody answers on %s: is pvscsid running?", c->socket);
    ctl_die(c, "%s: %s%s%s", c->socket, curl_easy_strerror(rc), os_errno ? ": " : "",
            os_errno ? strerror((int)os_errno) : "");
}

struct json_object *ctl_call_try(struct ctl *c, const char *method, struct json_object *params,
                                 struct json_object **error)
{
    *error = NULL;
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
    json_object_object_add(req, "method", json_object_new_string(method));
    json_object_object_add(req, "params", params);
    json_object_object_add(req, "id", json_object_new_int64(++c->next_id));
    const char *body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
    struct buf b = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
    curl_easy_setopt(c->curl, CURLOPT_URL, "http://localhost/jsonrpc");
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(c->curl);
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    json_object_put(req);
    if (rc != CURLE_OK) {
        free(b.p);
        die_unreachable(c, rc);
    }
    if (status == 403) {
        free(b.p);
        ctl_die(c, "permission denied by pvscsid on %s (root or its own user only)", c->socket);
    }
    if (status != 200) {
        free(b.p);
        ctl_die(c, "%s: HTTP %ld", method, status);
    }
    struct json_object *resp = b.p ? json_tokener_parse(b.p) : NULL;
    free(b.p);
    if (!resp)
        ctl_die(c, "%s: unreadable answer", method);
    struct json_object *err = NULL, *res = NULL;
    if (json_object_object_get_ex(resp, "error", &err) && err) {
        /* v2.0: {code, message: CODE, data: [params]} back into XenAPI's array. */
        struct json_object *a = json_object_new_array();
        json_object_array_add(a, json_object_get(json_object_object_get(err, "message")));
        struct json_object *data = json_object_object_get(err, "data");
        for (size_t i = 0; i < json_object_array_length(data); i++)
            json_object_array_add(a, json_object_get(json_object_array_get_idx(data, i)));
        *error = a;
    } else {
        res = json_object_get(json_object_object_get(resp, "result"));
        if (!res)
            res = json_object_new_string("");
    }
    json_object_put(resp);
    return res;
}

static const char *str_at(struct json_object *a, size_t i)
{
    const char *s = json_object_get_string(json_object_array_get_idx(a, i));
    return s ? s : "";
}

/* The record of ref in class, or NULL. */
static struct json_object *record(struct ctl *c, const char *cls, const char *ref)
{
    char method[64];
    snprintf(method, sizeof(method), "%s.get_record", cls);
    struct json_object *p = json_object_new_array(), *err = NULL;
    json_object_array_add(p, json_object_new_string(c->session));
    json_object_array_add(p, json_object_new_string(ref));
    struct json_object *r = ctl_call_try(c, method, p, &err);
    json_object_put(err);
    return r;
}

static const char *field(struct json_object *rec, const char *key)
{
    const char *s = json_object_get_string(json_object_object_get(rec, key));
    return s ? s : "";
}

static char *vm_name(struct ctl *c, const char *ref)
{
    struct json_object *vm = record(c, "VM", ref);
    char *s = NULL;
    if (vm && field(vm, "name_label")[0])
        s = strdup(field(vm, "name_label"));
    else if (vm)
        s = strdup(field(vm, "uuid"));
    json_object_put(vm);
    return s;
}

char *ctl_name_ref(struct ctl *c, const char *ref)
{
    char *out = NULL;
    struct json_object *r;
    if (strcmp(ref, "OpaqueRef:NULL") == 0)
        return strdup("none");
    if (strncmp(ref, "OpaqueRef:", 10) != 0)
        return strdup(ref);
    char *vm = vm_name(c, ref);
    if (vm) {
        if (asprintf(&out, "VM %s", vm) < 0)
            out = NULL;
        free(vm);
        return out;
    }
    if ((r = record(c, "PSCSI", ref))) {
        const char *dev = field(r, "dev_name");
        if (asprintf(&out, "PSCSI %s%s%s%s", field(r, "physical_HCTL"), dev[0] ? " (" : "",
                     dev, dev[0] ? ")" : "") < 0)
            out = NULL;
    } else if ((r = record(c, "VSCSI", ref))) {
        char *v = vm_name(c, field(r, "VM"));
        if (asprintf(&out, "LUN %s of VM %s", field(r, "virtual_HCTL"), v ? v : "?") < 0)
            out = NULL;
        free(v);
    } else if ((r = record(c, "DSCSI_HBA", ref))) {
        char *v = vm_name(c, field(r, "VM"));
        if (asprintf(&out, "vscsi device %s of VM %s", field(r, "virtual_host"), v ? v : "?") < 0)
            out = NULL;
        free(v);
    }
    json_object_put(r);
    return out ? out : strdup(ref + 10);
}

/* A sentence for a XenAPI error, refs named. */
static char *explain(struct ctl *c, struct json_object *error)
{
    const char *code = str_at(error, 0);
    size_t n = json_object_array_length(error);
    char *p[4] = {NULL, NULL, NULL, NULL};
    for (size_t i = 1; i < n && i <= 4; i++)
        p[i - 1] = c->session ? ctl_name_ref(c, str_at(error, i)) : strdup(str_at(error, i));
#define P(i) (p[i] ? p[i] : "?")
    char *s = NULL;
    int r;
    if (strcmp(code, "PSCSI_ALREADY_ASSIGNED") == 0)
        r = asprintf(&s, "%s is already given to %s", P(0), P(1));
    else if (strcmp(code, "DEVICE_ALREADY_EXISTS") == 0)
        r = asprintf(&s, "the VM already has %s", P(0));
    else if (strcmp(code, "HANDLE_INVALID") == 0)
        r = asprintf(&s, "no %s %s", P(0), P(1));
    else if (strcmp(code, "VM_BAD_POWER_STATE") == 0)
        r = asprintf(&s, "%s is not running", P(0));
    else if (strcmp(code, "LUN_OPEN_FAILED") == 0)
        r = asprintf(&s, "pvscsid cannot open %s: %s", P(0), P(1));
    else if (strcmp(code, "INVALID_VALUE") == 0)
        r = asprintf(&s, "bad %s \"%s\"", P(0), P(1));
    else if (strcmp(code, "OTHER_OPERATION_IN_PROGRESS") == 0)
        r = asprintf(&s, "%s", P(1));
    else {
        char *acc = strdup("");
        for (size_t i = 0; acc && i < 4 && p[i]; i++) {
            char *next = NULL;
            if (asprintf(&next, "%s%s%s", acc, i ? ", " : "", p[i]) < 0)
                next = NULL;
            free(acc);
            acc = next;
        }
        r = acc ? asprintf(&s, "%s", acc) : -1;
        free(acc);
    }
#undef P
    for (int i = 0; i < 4; i++)
        free(p[i]);
    return r < 0 ? NULL : s;
}

struct json_object *ctl_call(struct ctl *c, const char *method, struct json_object *params)
{
    struct json_object *error = NULL;
    struct json_object *res = ctl_call_try(c, method, params, &error);
    if (res)
        return res;
    char *msg = explain(c, error);
    const char *code = str_at(error, 0);
    fprintf(stderr, "pvscsictl: %s failed: %s: %s\n", method, code, msg ? msg : "");
    if (c->json) {
        struct json_object *params_only = json_object_new_array();
        for (size_t i = 1; i < json_object_array_length(error); i++)
            json_object_array_add(params_only,
                                  json_object_get(json_object_array_get_idx(error, i)));
        print_json_error(code, params_only, msg ? msg : "");
        json_object_put(params_only);
    }
    free(msg);
    json_object_put(error);
    exit(1);
}

static struct json_object *params_of(struct ctl *c, va_list ap)
{
    struct json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_string(c->session));
    for (const char *s; (s = va_arg(ap, const char *));)
        json_object_array_add(p, json_object_new_string(s));
    return p;
}

struct json_object *ctl_callv(struct ctl *c, const char *method, ...)
{
    va_list ap;
    va_start(ap, method);
    struct json_object *p = params_of(c, ap);
    va_end(ap);
    return ctl_call(c, method, p);
}

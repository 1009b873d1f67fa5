#include "rpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "utf8.h"

static const struct api_class *const classes[] = {
    &api_pscsi, &api_pscsi_hba, &api_host, &api_pool, &api_vm,
    &api_dscsi, &api_vscsi,     &api_dscsi_hba, &api_pvscsid,
};

static struct json_object *count_mismatch(const char *method, size_t want, size_t got)
{
    char w[24], g[24];
    snprintf(w, sizeof(w), "%zu", want);
    snprintf(g, sizeof(g), "%zu", got);
    return xapi_error("MESSAGE_PARAMETER_COUNT_MISMATCH", method, w, g, NULL);
}

/* Same time whatever the first differing byte (TCP passwords). */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return d == 0;
}

uint64_t rpc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* TCP: user CORE_TCP_USER with the password of the password file, at the
 * pace the address's failures allow. */
static bool credentials_ok(struct mgmt_core *c, const char *peer, const char *user,
                           const char *pw, uint64_t now)
{
    if (!login_limit_allowed(&c->login_limit, peer, now))
        return false;   /* not even looked at while the door is shut */
    bool user_ok = user && strcmp(user, CORE_TCP_USER) == 0;
    bool pw_ok = pw && c->tcp_password && same_secret(pw, c->tcp_password);
    if (!user_ok || !pw_ok) {
        login_limit_failed(&c->login_limit, peer, now);
        return false;
    }
    login_limit_succeeded(&c->login_limit, peer);
    return true;
}

static bool tcp_credentials_ok(struct mgmt_core *c, const char *peer, struct json_object *user,
                               struct json_object *pw, uint64_t now)
{
    return credentials_ok(c, peer,
                          json_object_is_type(user, json_type_string)
                              ? json_object_get_string(user) : NULL,
                          json_object_is_type(pw, json_type_string)
                              ? json_object_get_string(pw) : NULL,
                          now);
}

bool rpc_tcp_credentials_ok(struct mgmt_core *c, const char *peer, const char *user,
                            const char *password)
{
    if (pthread_mutex_lock(&c->lock) != 0)
        return false;
    bool ok = credentials_ok(c, peer, user, password, rpc_now_ns());
    pthread_mutex_unlock(&c->lock);
    return ok;
}

static struct json_object *login(struct mgmt_core *c, enum rpc_transport tr, const char *peer,
                                 struct json_object *params, size_t n, struct json_object **error)
{
    if (n < 2 || n > 4) {
        *error = count_mismatch("session.login_with_password", 2, n);
        return NULL;
    }
    uint64_t now = rpc_now_ns();
    /* The Unix socket's peer was checked by credentials; TCP needs the
     * user and password. */
    if (tr == RPC_TCP && !tcp_credentials_ok(c, peer, json_object_array_get_idx(params, 0),
                                             json_object_array_get_idx(params, 1), now)) {
        *error = xapi_error("SESSION_AUTHENTICATION_FAILED", NULL);
        return NULL;
    }
    char ref[SESSION_REF_LEN];
    if (session_open(c->sessions[tr], peer, now, ref) < 0) {
        *error = xapi_error("OPERATION_NOT_ALLOWED",
                            "too many live sessions on this listener: log out unused ones",
                            NULL);
        return NULL;
    }
    return json_object_new_string(ref);
}

static const struct api_class *find_class(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (strlen(classes[i]->name) == len && strncmp(classes[i]->name, name, len) == 0)
            return classes[i];
    return NULL;
}

enum generic { G_NONE, G_ALL, G_ALL_RECORDS, G_RECORD, G_BY_UUID, G_FIELD };

static enum generic generic_of(const struct api_class *k, const char *m, const char **field)
{
    if (!k->record)
        return G_NONE;
    if (strcmp(m, "get_all") == 0)
        return G_ALL;
    if (strcmp(m, "get_all_records") == 0)
        return G_ALL_RECORDS;
    if (strcmp(m, "get_record") == 0)
        return G_RECORD;
    if (strcmp(m, "get_by_uuid") == 0)
        return G_BY_UUID;
    if (strncmp(m, "get_", 4) == 0)
        for (const char *const *f = k->fields; *f; f++)
            if (strcmp(*f, m + 4) == 0) {
                *field = *f;
                return G_FIELD;
            }
    return G_NONE;
}

static struct json_object *record_of_ref(struct api_ctx *x, const struct api_class *k,
                                         struct json_object *params)
{
    const char *ref = api_str_param(x, params, 0, "self");
    if (!ref)
        return NULL;
    const char *uuid = api_ref_uuid(ref);
    struct json_object *rec = uuid ? k->record(x, uuid) : NULL;
    if (!rec && !x->error)
        api_bad_handle(x, x->cls, ref);
    return rec;
}

static struct json_object *run_generic(struct api_ctx *x, const struct api_class *k,
                                       enum generic g, const char *field,
                                       struct json_object *params)
{
    struct json_object *res = NULL, *uuids = NULL, *rec;

    switch (g) {
    case G_ALL:
    case G_ALL_RECORDS:
        uuids = k->uuids(x);
        if (!uuids)
            return NULL;
        res = g == G_ALL ? json_object_new_array() : json_object_new_object();
        for (size_t i = 0; i < json_object_array_length(uuids); i++) {
            const char *u = json_object_get_string(json_object_array_get_idx(uuids, i));
            if (g == G_ALL) {
                json_object_array_add(res, api_ref(u));
            } else if ((rec = k->record(x, u))) {
                char key[80];
                snprintf(key, sizeof(key), API_REF_PREFIX "%s", u);
                json_object_object_add(res, key, rec);
            }
        }
        json_object_put(uuids);
        if (x->error) {
            json_object_put(res);
            return NULL;
        }
        return res;
    case G_RECORD:
        return record_of_ref(x, k, params);
    case G_FIELD:
        rec = record_of_ref(x, k, params);
        if (!rec)
            return NULL;
        res = json_object_get(json_object_object_get(rec, field));
        json_object_put(rec);
        return res ? res : json_object_new_string("");
    case G_BY_UUID: {
        const char *u = api_str_param(x, params, 0, "uuid");
        if (!u)
            return NULL;
        rec = uuid5_valid(u) ? k->record(x, u) : NULL;
        if (!rec) {
            if (!x->error)
                x->error = xapi_error("UUID_INVALID", x->cls, u, NULL);
            return NULL;
        }
        json_object_put(rec);
        return api_ref(u);
    }
    case G_NONE:
        break;
    }
    return NULL;
}

static struct json_object *dispatch(struct mgmt_core *c, enum rpc_transport tr,
                                    const char *peer, const char *method,
                                    struct json_object *params, size_t n,
                                    struct json_object **error)
{
    if (strcmp(method, "session.login_with_password") == 0)
        return login(c, tr, peer, params, n, error);

    const char *dot = strchr(method, '.');
    const struct api_class *k = dot ? find_class(method, (size_t)(dot - method)) : NULL;
    bool logout = strcmp(method, "session.logout") == 0;
    const char *m = dot ? dot + 1 : "";
    const char *field = NULL;
    enum generic g = k ? generic_of(k, m, &field) : G_NONE;
    const struct api_call *call = NULL;
    int want = -1;

    if (logout) {
        want = 0;
    } else if (g != G_NONE) {
        want = g == G_ALL || g == G_ALL_RECORDS ? 0 : 1;
    } else if (k) {
        for (const struct api_call *a = k->calls; a && a->name; a++)
            if (strcmp(a->name, m) == 0) {
                call = a;
                want = a->nparams;
            }
    }
    if (want < 0) {
        *error = xapi_error("MESSAGE_METHOD_UNKNOWN", method, NULL);
        return NULL;
    }
    if (n != (size_t)want + 1) {
        *error = count_mismatch(method, (size_t)want + 1, n);
        return NULL;
    }
    struct json_object *s = json_object_array_get_idx(params, 0);
    const char *sref = json_object_is_type(s, json_type_string) ? json_object_get_string(s) : "";
    if (!session_check(c->sessions[tr], sref, rpc_now_ns())) {
        *error = xapi_error("SESSION_INVALID", sref, NULL);
        return NULL;
    }
    if (logout) {
        session_close(c->sessions[tr], sref);
        return json_object_new_string("");
    }

    /* The parameters after the session. */
    struct json_object *rest = json_object_new_array();
    for (size_t i = 1; i < n; i++)
        json_object_array_add(rest, json_object_get(json_object_array_get_idx(params, i)));
    struct api_ctx x = {.c = c, .tr = tr, .cls = k->name};
    struct json_object *res = call ? call->fn(&x, rest) : run_generic(&x, k, g, field, rest);
    json_object_put(rest);
    if (x.view_loaded)
        xsv_free(&x.view);
    if (!res) {
        *error = x.error ? x.error : xapi_error("INTERNAL_ERROR", "no result", NULL);
        return NULL;
    }
    json_object_put(x.error);
    return res;
}

struct json_object *rpc_call(struct mgmt_core *c, enum rpc_transport tr, const char *peer,
                             const char *method, struct json_object *params,
                             struct json_object **error)
{
    *error = NULL;
    size_t n = json_object_is_type(params, json_type_array) ? json_object_array_length(params)
                                                           : 0;
    int r = pthread_mutex_lock(&c->lock);
    if (r != 0) {
        *error = xapi_error("INTERNAL_ERROR", strerror(r), NULL);
        return NULL;
    }
    /* Devices came or went since the last call: what it reads is current
     * (a failed scan keeps the old list and tries again next time). */
    if (atomic_exchange(&c->pscsi_stale, false) && core_rescan(c) < 0)
        atomic_store(&c->pscsi_stale, true);
    struct json_object *res = dispatch(c, tr, peer, method, params, n, error);
    pthread_mutex_unlock(&c->lock);
    /* sysfs strings (INQUIRY bytes) and xenstore values (VM names) are
     * arbitrary bytes: answers carry valid UTF-8 on either wire. */
    if (!utf8_sanitize_tree(res) || !utf8_sanitize_tree(*error)) {
        json_object_put(res);
        json_object_put(*error);
        *error = xapi_error("INTERNAL_ERROR", "out of memory", NULL);
        return NULL;
    }
    return res;
}

/* Helpers every XenAPI class uses: refs, parameters, record fields. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "xsattach.h"

bool api_view(struct api_ctx *x)
{
    if (x->view_loaded)
        return true;
    int r = xsv_load(x->c->xs, x->c->be_domid, &x->view);
    /* Objects another toolstack wrote get a stored uuid before any ref to
     * them is handed out: a derived one would name a later object in the
     * same place. If stamping fails the derived ones are used. */
    if (r == 0 && x->view.unstamped && xsa_stamp_uuids(x->c->xs, x->c->be_domid) > 0) {
        xsv_free(&x->view);
        r = xsv_load(x->c->xs, x->c->be_domid, &x->view);
    }
    if (r < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "reading xenstore", strerror(-r), NULL);
        return false;
    }
    x->view_loaded = true;
    for (size_t i = 0; i < x->view.nvm; i++)
        core_remember_vm(x->c, x->view.vm[i].uuid, x->view.vm[i].name);
    return true;
}

struct json_object *api_ref(const char *uuid)
{
    char ref[80];
    snprintf(ref, sizeof(ref), API_REF_PREFIX "%s", uuid);
    return json_object_new_string(ref);
}

const char *api_ref_uuid(const char *ref)
{
    const char *u = strncmp(ref, API_REF_PREFIX, strlen(API_REF_PREFIX)) == 0
                        ? ref + strlen(API_REF_PREFIX)
                        : ref;
    return uuid5_valid(u) ? u : NULL;
}

const char *api_str_param(struct api_ctx *x, struct json_object *params, size_t i,
                          const char *name)
{
    struct json_object *p = json_object_array_get_idx(params, i);
    if (!json_object_is_type(p, json_type_string)) {
        x->error = xapi_error("FIELD_TYPE_ERROR", name, NULL);
        return NULL;
    }
    return json_object_get_string(p);
}

struct json_object *api_bad_handle(struct api_ctx *x, const char *cls, const char *ref)
{
    json_object_put(x->error);
    x->error = xapi_error("HANDLE_INVALID", cls, ref, NULL);
    return NULL;
}

void api_put_str(struct json_object *rec, const char *key, const char *val)
{
    json_object_object_add(rec, key, json_object_new_string(val));
}

void api_put_int(struct json_object *rec, const char *key, int64_t val)
{
    json_object_object_add(rec, key, json_object_new_int64(val));
}

void api_put_ref(struct json_object *rec, const char *key, const char *uuid)
{
    json_object_object_add(rec, key,
                           uuid ? api_ref(uuid) : json_object_new_string(API_NULL_REF));
}

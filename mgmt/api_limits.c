/* DSCSI_HBA.set_qos_iops / set_qos_bps: a guest's vscsi device held to a
 * number of requests or bytes per second. The limits live in the device's
 * backend directory (qos-iops, qos-bps), where the daemon reads them on
 * every change: they apply at once, before or after the guest connects. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "xsutil.h"

/* A limit: an int, or a decimal string (XML-RPC carries XenAPI ints as
 * strings). 0 lifts it. */
static bool limit_param(struct api_ctx *x, struct json_object *v, uint64_t *out)
{
    unsigned long n;
    if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
        json_object_get_int64(v) <= 0x7fffffff) {
        *out = (uint64_t)json_object_get_int64(v);
        return true;
    }
    if (json_object_is_type(v, json_type_string) &&
        xsu_parse_uint(json_object_get_string(v), 0x7fffffffUL, &n)) {
        *out = n;
        return true;
    }
    x->error = xapi_error("INVALID_VALUE", "value",
                          v ? json_object_to_json_string(v) : "(none)", NULL);
    return false;
}

static struct json_object *set_limit(struct api_ctx *x, struct json_object *params,
                                     const char *node)
{
    const char *ref = api_str_param(x, params, 0, "self");
    if (!ref || !api_view(x))
        return NULL;
    uint64_t value;
    if (!limit_param(x, json_object_array_get_idx(params, 1), &value))
        return NULL;
    const struct xsv_vhost *h = xsv_vhost_by_uuid(&x->view, api_ref_uuid(ref));
    if (!h)
        return api_bad_handle(x, "DSCSI_HBA", ref);
    char dir[XSU_PATH_MAX];
    if (xsu_backend_dir(dir, x->c->be_domid, h->domid, h->devid) < 0 ||
        !xsu_printf(x->c->xs, XBT_NULL, dir, node, "%" PRIu64, value)) {
        x->error = xapi_error("INTERNAL_ERROR", "writing xenstore", strerror(errno), NULL);
        return NULL;
    }
    return json_object_new_string("");
}

struct json_object *dscsi_hba_set_qos_iops(struct api_ctx *x, struct json_object *params)
{
    return set_limit(x, params, "qos-iops");
}

struct json_object *dscsi_hba_set_qos_bps(struct api_ctx *x, struct json_object *params)
{
    return set_limit(x, params, "qos-bps");
}

/*
 * The XenAPI classes behind rpc_call. A class gives its refs, a record per
 * object and its non-getter calls; the generic part answers get_all,
 * get_all_records, get_record, get_by_uuid and every get_<field>.
 * Refs are "OpaqueRef:<object uuid>" (a bare uuid is accepted, as xend).
 */
#ifndef PVSCSI_MGMT_API_H
#define PVSCSI_MGMT_API_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core.h"
#include "xapi_error.h"
#include "xsview.h"

#define API_REF_PREFIX "OpaqueRef:"
#define API_NULL_REF "OpaqueRef:NULL"

/* Per-call context: the xenstore view is read once, when first needed. */
struct api_ctx {
    struct mgmt_core *c;
    enum rpc_transport tr;
    const char *cls;            /* class name as the caller spelled it */
    struct xsv_view view;
    bool view_loaded;
    struct json_object *error;  /* set by a failing handler */
};

/* params: after the session. NULL with ctx->error set on failure. */
typedef struct json_object *(*api_fn)(struct api_ctx *x, struct json_object *params);

struct api_call {
    const char *name;
    int nparams;                /* after the session */
    api_fn fn;
};

struct api_class {
    const char *name;
    /* Array of uuids of every object; NULL with x->error on failure. */
    struct json_object *(*uuids)(struct api_ctx *x);
    /* The record of uuid, or NULL (x->error left unset: no such object). */
    struct json_object *(*record)(struct api_ctx *x, const char *uuid);
    const char *const *fields;      /* record keys (get_<field>), NULL-ended */
    const struct api_call *calls;   /* ends with {NULL} */
};

/* DSCSI_HBA.set_qos_iops / set_qos_bps (api_limits.c): a vscsi device's
 * limits, requests and bytes per second (0: none), live. */
struct json_object *dscsi_hba_set_qos_iops(struct api_ctx *x, struct json_object *params);
struct json_object *dscsi_hba_set_qos_bps(struct api_ctx *x, struct json_object *params);

/* pvscsid.attach_disk (api_dscsi.c): hot-plug an emulated disk. */
struct json_object *dscsi_attach_disk(struct api_ctx *x, struct json_object *params);

extern const struct api_class api_pscsi, api_pscsi_hba, api_host, api_pool, api_vm, api_dscsi,
    api_vscsi, api_dscsi_hba, api_pvscsid;

/* Loads the xenstore view; false with x->error on failure. */
bool api_view(struct api_ctx *x);
/* "OpaqueRef:<uuid>" as a new JSON string. */
struct json_object *api_ref(const char *uuid);
/* uuid of a ref string (prefix optional), or NULL if it is not one. */
const char *api_ref_uuid(const char *ref);
/* String parameter i, or NULL with FIELD_TYPE_ERROR [name]. */
const char *api_str_param(struct api_ctx *x, struct json_object *params, size_t i,
                          const char *name);
/* HANDLE_INVALID [class, ref] in x->error; returns NULL for tail calls. */
struct json_object *api_bad_handle(struct api_ctx *x, const char *cls, const char *ref);
/* Field helpers for records. */
void api_put_str(struct json_object *rec, const char *key, const char *val);
void api_put_int(struct json_object *rec, const char *key, int64_t val);
void api_put_ref(struct json_object *rec, const char *key, const char *uuid);

/* DSCSI helpers shared by VM and DSCSI_HBA records. */
struct json_object *api_vm_record_of(struct api_ctx *x, const char *uuid);
const char *api_vm_uuid_of_domid(struct api_ctx *x, unsigned domid);

#endif

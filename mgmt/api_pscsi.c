/* XenAPI classes of the physical side: PSCSI, PSCSI_HBA, host, pool, and
 * the daemon's own pvscsid.get_stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "rpc.h"
#include "stats.h"
#include "scsi_type.h"

static struct json_object *pscsi_uuids(struct api_ctx *x)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < x->c->pscsi.n; i++)
        json_object_array_add(a, json_object_new_string(x->c->pscsi.dev[i].uuid));
    return a;
}

static struct json_object *pscsi_record(struct api_ctx *x, const char *uuid)
{
    const struct pscsi *p = pscsi_find_uuid(&x->c->pscsi, uuid);
    if (!p)
        return NULL;
    struct json_object *r = json_object_new_object();
    const char *type = scsi_type_name(p->type_id);
    api_put_str(r, "uuid", p->uuid);
    api_put_ref(r, "host", x->c->host_uuid);
    api_put_ref(r, "HBA", p->hba_uuid);
    api_put_int(r, "physical_host", p->addr.host);
    api_put_int(r, "physical_channel", p->addr.channel);
    api_put_int(r, "physical_target", p->addr.target);
    api_put_int(r, "physical_lun", p->addr.lun);
    api_put_str(r, "physical_HCTL", p->hctl);
    api_put_str(r, "vendor_name", p->vendor);
    api_put_str(r, "model", p->model);
    api_put_int(r, "type_id", p->type_id);
    api_put_str(r, "type", type ? type : "");
    api_put_str(r, "dev_name", p->dev_name);
    api_put_str(r, "sg_name", p->sg_name);
    api_put_str(r, "dev_nodes", p->dev_nodes);
    api_put_str(r, "driver", p->driver);
    api_put_str(r, "revision", p->revision);
    api_put_str(r, "scsi_id", p->scsi_id);
    api_put_int(r, "scsi_level", p->scsi_level);
    return r;
}

static const char *const pscsi_fields[] = {
    "uuid", "host", "HBA", "physical_host", "physical_channel", "physical_target",
    "physical_lun", "physical_HCTL", "vendor_name", "model", "type_id", "type", "dev_name",
    "sg_name", "dev_nodes", "driver", "revision", "scsi_id", "scsi_level", NULL,
};

const struct api_class api_pscsi = {"PSCSI", pscsi_uuids, pscsi_record, pscsi_fields, NULL};

static struct json_object *hba_uuids(struct api_ctx *x)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < x->c->pscsi.nhba; i++)
        json_object_array_add(a, json_object_new_string(x->c->pscsi.hba[i].uuid));
    return a;
}

static struct json_object *hba_record(struct api_ctx *x, const char *uuid)
{
    const struct pscsi_hba *h = pscsi_hba_find_uuid(&x->c->pscsi, uuid);
    if (!h)
        return NULL;
    struct json_object *r = json_object_new_object(), *set = json_object_new_array();
    api_put_str(r, "uuid", h->uuid);
    api_put_ref(r, "host", x->c->host_uuid);
    api_put_int(r, "physical_host", h->host);
    for (size_t i = 0; i < x->c->pscsi.n; i++)
        if (x->c->pscsi.dev[i].addr.host == h->host)
            json_object_array_add(set, api_ref(x->c->pscsi.dev[i].uuid));
    json_object_object_add(r, "PSCSIs", set);
    return r;
}

static const char *const hba_fields[] = {"uuid", "host", "physical_host", "PSCSIs", NULL};

const struct api_class api_pscsi_hba = {"PSCSI_HBA", hba_uuids, hba_record, hba_fields, NULL};

static struct json_object *host_uuids(struct api_ctx *x)
{
    struct json_object *a = json_object_new_array();
    json_object_array_add(a, json_object_new_string(x->c->host_uuid));
    return a;
}

static struct json_object *host_record(struct api_ctx *x, const char *uuid)
{
    if (strcmp(uuid, x->c->host_uuid) != 0)
        return NULL;
    struct json_object *r = json_object_new_object();
    api_put_str(r, "uuid", x->c->host_uuid);
    api_put_str(r, "name_label", x->c->hostname);
    api_put_str(r, "hostname", x->c->hostname);
    api_put_int(r, "API_version_major", 1);
    api_put_int(r, "API_version_minor", 0);
    struct json_object *ps = json_object_new_array(), *hs = json_object_new_array();
    for (size_t i = 0; i < x->c->pscsi.n; i++)
        json_object_array_add(ps, api_ref(x->c->pscsi.dev[i].uuid));
    for (size_t i = 0; i < x->c->pscsi.nhba; i++)
        json_object_array_add(hs, api_ref(x->c->pscsi.hba[i].uuid));
    json_object_object_add(r, "PSCSIs", ps);
    json_object_object_add(r, "PSCSI_HBAs", hs);
    return r;
}

static struct json_object *host_scan(struct api_ctx *x, struct json_object *params)
{
    const char *ref = api_str_param(x, params, 0, "host");
    if (!ref)
        return NULL;
    const char *u = api_ref_uuid(ref);
    if (!u || strcmp(u, x->c->host_uuid) != 0)
        return api_bad_handle(x, "host", ref);
    int r = core_rescan(x->c);
    if (r < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "rescanning SCSI devices", strerror(-r), NULL);
        return NULL;
    }
    return json_object_new_string("");
}

static const char *const host_fields[] = {
    "uuid", "name_label", "hostname", "API_version_major", "API_version_minor", "PSCSIs",
    "PSCSI_HBAs", NULL,
};
static const struct api_call host_calls[] = {{"scan_PSCSIs", 1, host_scan}, {NULL, 0, NULL}};

const struct api_class api_host = {"host", host_uuids, host_record, host_fields, host_calls};

/* The host as a one-host pool, as a standalone xapi host answers: stock
 * clients (XenAPI.py) call pool.get_all and pool.get_master right after
 * login. The pool's uuid is derived from the host's. */
static int pool_uuid(const struct mgmt_core *c, char out[UUID_STRLEN])
{
    return uuid5_make(out, "pool:%s", c->host_uuid);
}

static struct json_object *pool_uuids(struct api_ctx *x)
{
    char u[UUID_STRLEN];
    if (pool_uuid(x->c, u) < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "pool uuid", NULL);
        return NULL;
    }
    struct json_object *a = json_object_new_array();
    json_object_array_add(a, json_object_new_string(u));
    return a;
}

static struct json_object *pool_record(struct api_ctx *x, const char *uuid)
{
    char u[UUID_STRLEN];
    if (pool_uuid(x->c, u) < 0 || strcmp(uuid, u) != 0)
        return NULL;
    struct json_object *r = json_object_new_object();
    api_put_str(r, "uuid", u);
    api_put_str(r, "name_label", "");     /* xapi: "" for an unnamed pool */
    api_put_str(r, "name_description", "");
    api_put_ref(r, "master", x->c->host_uuid);
    json_object_object_add(r, "other_config", json_object_new_object());
    return r;
}

static const char *const pool_fields[] = {
    "uuid", "name_label", "name_description", "master", "other_config", NULL,
};

const struct api_class api_pool = {"pool", pool_uuids, pool_record, pool_fields, NULL};

static const char *vm_uuid_of(void *arg, unsigned domid)
{
    struct api_ctx *x = arg;
    const struct xsv_vm *vm = x->view_loaded ? xsv_vm_by_domid(&x->view, domid) : NULL;
    return vm ? vm->uuid : NULL;
}

static const char *vm_name_of(void *arg, unsigned domid)
{
    struct api_ctx *x = arg;
    const struct xsv_vm *vm = x->view_loaded ? xsv_vm_by_domid(&x->view, domid) : NULL;
    return vm ? vm->name : NULL;
}

/* Per-ring counters from the daemon (pvscsictl stats). */
static struct json_object *get_stats(struct api_ctx *x, struct json_object *params)
{
    (void)params;
    struct mgmt_ring_stats *rs;
    int n = stats_collect(x->c, &rs);
    if (n < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "stats", strerror(-n), NULL);
        return NULL;
    }
    /* Without a view the rings are still listed, unnamed. */
    if (!api_view(x)) {
        json_object_put(x->error);
        x->error = NULL;
    }
    struct json_object *a = stats_json(x->c, rs, (size_t)n, rpc_now_ns(), vm_uuid_of,
                                       vm_name_of, x);
    free(rs);
    if (!a)
        x->error = xapi_error("INTERNAL_ERROR", "out of memory", NULL);
    return a;
}

static const struct api_call pvscsid_calls[] = {
    {"get_stats", 0, get_stats}, {"attach_disk", 3, dscsi_attach_disk}, {NULL, 0, NULL}};

const struct api_class api_pvscsid = {"pvscsid", NULL, NULL, NULL, pvscsid_calls};

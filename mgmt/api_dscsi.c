/* XenAPI DSCSI (also answered as VSCSI) and DSCSI_HBA: the LUNs given to
 * VMs, read from xenstore; create/destroy hot-plug through xsattach. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "uuid5.h"
#include "xsattach.h"
#include "xsutil.h"

static const struct xsv_lun *find_lun(struct api_ctx *x, const char *uuid)
{
    for (size_t i = 0; i < x->view.nlun; i++)
        if (xsv_lun_live(&x->view.lun[i]) && strcmp(x->view.lun[i].uuid, uuid) == 0)
            return &x->view.lun[i];
    return NULL;
}

/* The PSCSI of an "h:c:t:l" p-dev, with or without options after it
 * ("2:0:1:0,ro"). */
static const struct pscsi *pscsi_of_pdev(struct api_ctx *x, const char *p_dev)
{
    struct vscsi_hctl h;
    return xsa_pdev_hctl(p_dev, &h) ? pscsi_find_hctl(&x->c->pscsi, &h) : NULL;
}

/* A LUN's command policy options: the tokens after the p-dev that are
 * policy options (ro, rw, allow=..., deny=...; the daemon's grammar,
 * backend/policy/policy_spec.h), comma-separated. */
static void pdev_policy(const char *p_dev, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    const char *t = strchr(p_dev, ',');
    while (t && *t) {
        t++;
        size_t tl = strcspn(t, ",");
        bool opt = (tl == 2 && (!strncmp(t, "ro", 2) || !strncmp(t, "rw", 2))) ||
                   !strncmp(t, "allow=", 6) || !strncmp(t, "deny=", 5);
        if (opt && n + tl + 2 < len) {
            n += (size_t)snprintf(out + n, len - n, "%s%.*s", n ? "," : "", (int)tl, t);
        }
        t += tl;
    }
}

static struct json_object *dscsi_uuids(struct api_ctx *x)
{
    if (!api_view(x))
        return NULL;
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < x->view.nlun; i++)
        if (xsv_lun_live(&x->view.lun[i]))
            json_object_array_add(a, json_object_new_string(x->view.lun[i].uuid));
    return a;
}

static void put_state(struct json_object *m, const char *key, int state)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", state);
    api_put_str(m, key, state < 0 ? "" : v);
}

static struct json_object *dscsi_record(struct api_ctx *x, const char *uuid)
{
    if (!api_view(x))
        return NULL;
    const struct xsv_lun *l = find_lun(x, uuid);
    if (!l)
        return NULL;
    const struct xsv_vhost *h = &x->view.host[l->vhost];
    const struct pscsi *p = pscsi_of_pdev(x, l->p_dev);
    struct vscsi_hctl v;
    bool vok = vscsi_hctl_parse(l->v_dev, &v) == 0;
    struct json_object *r = json_object_new_object(), *rt = json_object_new_object();
    char num[16];

    api_put_str(r, "uuid", l->uuid);
    api_put_ref(r, "VM", api_vm_uuid_of_domid(x, l->domid));
    api_put_ref(r, "PSCSI", p ? p->uuid : NULL);
    api_put_ref(r, "HBA", h->uuid);
    api_put_int(r, "virtual_host", vok ? (int64_t)v.host : -1);
    api_put_int(r, "virtual_channel", vok ? (int64_t)v.channel : -1);
    api_put_int(r, "virtual_target", vok ? (int64_t)v.target : -1);
    api_put_int(r, "virtual_lun", vok ? (int64_t)v.lun : -1);
    api_put_str(r, "virtual_HCTL", l->v_dev);
    char policy[256];
    pdev_policy(l->p_dev, policy, sizeof(policy));
    api_put_str(r, "policy", policy);
    api_put_str(rt, "p-dev", l->p_dev);
    api_put_str(rt, "p-devname", l->p_devname);
    api_put_str(rt, "v-dev", l->v_dev);
    put_state(rt, "state", l->state);
    snprintf(num, sizeof(num), "%u", l->devid);
    api_put_str(rt, "devid", num);
    snprintf(num, sizeof(num), "%u", l->index);
    api_put_str(rt, "dev", num);
    put_state(rt, "backend-state", h->be_state);
    put_state(rt, "frontend-state", h->fe_state);
    api_put_str(rt, "feature-host", h->feature_host ? "1" : "0");
    json_object_object_add(r, "runtime_properties", rt);
    return r;
}

static const char *rec_str(struct api_ctx *x, struct json_object *rec, const char *key)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(rec, key, &v) || !json_object_is_type(v, json_type_string)) {
        x->error = xapi_error("FIELD_TYPE_ERROR", key, NULL);
        return NULL;
    }
    return json_object_get_string(v);
}

static struct json_object *attach_refused(struct api_ctx *x, const struct xsa_result *res,
                                          const char *vm_ref, const char *ps_ref,
                                          const char *hctl, unsigned devid)
{
    char what[96];
    switch (res->status) {
    case XSA_NO_DOMAIN:
        x->error = xapi_error("VM_BAD_POWER_STATE", vm_ref, "Running", "Halted", NULL);
        break;
    case XSA_SELF:
        x->error = xapi_error("OPERATION_NOT_ALLOWED",
                             "the backend domain cannot be given its own SCSI devices", NULL);
        break;
    case XSA_HCTL_TAKEN:
        x->error = xapi_error("DEVICE_ALREADY_EXISTS", hctl, NULL);
        break;
    case XSA_PDEV_ASSIGNED: {
        const char *holder = api_vm_uuid_of_domid(x, res->other_domid);
        char ref[80];
        snprintf(ref, sizeof(ref), API_REF_PREFIX "%s", holder ? holder : "NULL");
        x->error = xapi_error("PSCSI_ALREADY_ASSIGNED", ps_ref, ref, NULL);
        break;
    }
    case XSA_BUSY:
        snprintf(what, sizeof(what), "vscsi device %u is reconfiguring; try again", devid);
        x->error = xapi_error("OTHER_OPERATION_IN_PROGRESS", "DSCSI_HBA", what, NULL);
        break;
    case XSA_CLOSING:
        snprintf(what, sizeof(what), "vscsi device %u is closing", devid);
        x->error = xapi_error("OPERATION_NOT_ALLOWED", what, NULL);
        break;
    case XSA_NOT_FOUND:
    case XSA_OK:
        x->error = xapi_error("INTERNAL_ERROR", "unexpected attach result", NULL);
        break;
    }
    return NULL;
}

/* A virtual address the backend can serve: channel/target/lun fit the
 * ring's 16-bit fields and the LUN the REPORT LUNS encodings (< 16384). */
static bool vhctl_ok(const char *hctl, struct vscsi_hctl *v)
{
    return vscsi_hctl_parse(hctl, v) == 0 && vscsi_hctl_fits_ring(v) && v->lun <= 0x3fff;
}

/* Asks the daemon whether it can open p_dev; false with LUN_OPEN_FAILED
 * [p_dev, reason] set when it cannot. */
static bool can_open(struct api_ctx *x, const char *p_dev)
{
    if (!x->c->hooks.check_pdev)
        return true;
    char why[256];
    int r = x->c->hooks.check_pdev(x->c->hooks.opaque, p_dev, why, sizeof(why));
    if (r < 0) {
        x->error = xapi_error("LUN_OPEN_FAILED", p_dev, why[0] ? why : strerror(-r), NULL);
        return false;
    }
    return true;
}

/* A running VM by ref, or NULL with the XenAPI error set. */
static const struct xsv_vm *find_running_vm(struct api_ctx *x, const char *vm_ref)
{
    const char *vm_uuid = api_ref_uuid(vm_ref);
    const struct xsv_vm *vm = vm_uuid ? xsv_vm_by_uuid(&x->view, vm_uuid) : NULL;
    if (!vm) {
        if (vm_uuid && core_seen_vm(x->c, vm_uuid))
            x->error = xapi_error("VM_BAD_POWER_STATE", vm_ref, "Running", "Halted", NULL);
        else
            api_bad_handle(x, "VM", vm_ref);
    }
    return vm;
}

/* Writes the LUN into the VM's vscsi device (hot-plug) and returns its
 * DSCSI ref. `what` names the source in errors (a PSCSI ref or a p-dev). */
static struct json_object *attach(struct api_ctx *x, const char *vm_ref, const char *p_dev,
                                  const char *p_devname, const char *what, const char *hctl,
                                  const struct vscsi_hctl *v)
{
    const struct xsv_vm *vm = find_running_vm(x, vm_ref);
    if (!vm)
        return NULL;
    struct xsa_result res;
    /* Refusals by the xenstore state first (PSCSI_ALREADY_ASSIGNED...),
     * then whether the daemon can open it at all; only then a write. */
    int r = xsa_attach_check(x->c->xs, x->c->be_domid, vm->domid, v, p_dev, &res);
    if (r == 0 && res.status != XSA_OK)
        return attach_refused(x, &res, vm_ref, what, hctl, v->host);
    if (r == 0 && !can_open(x, p_dev))
        return NULL;
    if (r == 0)
        r = xsa_attach(x->c->xs, x->c->be_domid, vm->domid, v, p_dev, p_devname, &res);
    if (r < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "writing xenstore", strerror(-r), NULL);
        return NULL;
    }
    if (res.status != XSA_OK)
        return attach_refused(x, &res, vm_ref, what, hctl, v->host);
    return api_ref(res.uuid);
}

static struct json_object *dscsi_create(struct api_ctx *x, struct json_object *params)
{
    struct json_object *rec = json_object_array_get_idx(params, 0);
    if (!json_object_is_type(rec, json_type_object)) {
        x->error = xapi_error("FIELD_TYPE_ERROR", "args", NULL);
        return NULL;
    }
    const char *vm_ref = rec_str(x, rec, "VM");
    const char *ps_ref = vm_ref ? rec_str(x, rec, "PSCSI") : NULL;
    const char *hctl = ps_ref ? rec_str(x, rec, "virtual_HCTL") : NULL;
    if (!hctl || !api_view(x))
        return NULL;
    struct vscsi_hctl v;
    if (!vhctl_ok(hctl, &v)) {
        x->error = xapi_error("INVALID_VALUE", "virtual_HCTL", hctl, NULL);
        return NULL;
    }
    const char *ps_uuid = api_ref_uuid(ps_ref);
    const struct pscsi *p = ps_uuid ? pscsi_find_uuid(&x->c->pscsi, ps_uuid) : NULL;
    if (!p) {
        /* The VM is checked first, as before. */
        if (!find_running_vm(x, vm_ref))
            return NULL;
        return api_bad_handle(x, "PSCSI", ps_ref);
    }
    /* Optional: the LUN's command policy, written after the p-dev
     * ("2:0:1:0,ro,allow=firmware"); the daemon checks it (can_open). */
    struct json_object *pol = json_object_object_get(rec, "policy");
    const char *policy = pol ? json_object_get_string(pol) : "";
    if (pol && (!json_object_is_type(pol, json_type_string) || strchr(policy, ' '))) {
        x->error = xapi_error("INVALID_VALUE", "policy", json_object_to_json_string(pol), NULL);
        return NULL;
    }
    char p_dev[VSCSI_HCTL_STRLEN + 256];
    if ((size_t)snprintf(p_dev, sizeof(p_dev), "%s%s%s", p->hctl, policy[0] ? "," : "", policy) >=
        sizeof(p_dev)) {
        x->error = xapi_error("INVALID_VALUE", "policy", policy, NULL);
        return NULL;
    }
    return attach(x, vm_ref, p_dev, p->dev_name[0] ? p->dev_name : NULL, ps_ref, hctl, &v);
}

static struct json_object *dscsi_destroy(struct api_ctx *x, struct json_object *params)
{
    const char *ref = api_str_param(x, params, 0, "self");
    if (!ref || !api_view(x))
        return NULL;
    const char *uuid = api_ref_uuid(ref);
    const struct xsv_lun *l = uuid ? find_lun(x, uuid) : NULL;
    if (!l)
        return api_bad_handle(x, x->cls, ref);
    struct xsa_result res;
    int r = xsa_detach(x->c->xs, x->c->be_domid, l->domid, l->devid, l->index, &res);
    if (r < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "writing xenstore", strerror(-r), NULL);
        return NULL;
    }
    if (res.status == XSA_NOT_FOUND)
        return api_bad_handle(x, x->cls, ref);
    if (res.status == XSA_BUSY) {
        char what[96];
        snprintf(what, sizeof(what), "vscsi device %u is reconfiguring; try again", l->devid);
        x->error = xapi_error("OTHER_OPERATION_IN_PROGRESS", "DSCSI_HBA", what, NULL);
        return NULL;
    }
    return json_object_new_string("");
}

/*
 * pvscsid.attach_disk(session, VM, p_dev, virtual_HCTL): our extension for
 * LUNs that are not PSCSIs of this host: the daemon's emulated disks
 * ("file:/path", "null", "null:<size>"). Hot-plugged exactly as
 * VSCSI.create does; the result is a DSCSI ref.
 */
struct json_object *dscsi_attach_disk(struct api_ctx *x, struct json_object *params)
{
    const char *vm_ref = api_str_param(x, params, 0, "VM");
    const char *p_dev = vm_ref ? api_str_param(x, params, 1, "p_dev") : NULL;
    const char *hctl = p_dev ? api_str_param(x, params, 2, "virtual_HCTL") : NULL;
    if (!hctl || !api_view(x))
        return NULL;
    /* Any file or block device of dom0, as root: only for the local
     * administrator (Unix socket, peer checked), never over TCP. */
    if (x->tr != RPC_UNIX) {
        x->error = xapi_error("PERMISSION_DENIED",
                             "pvscsid.attach_disk is only allowed on the local socket", NULL);
        return NULL;
    }
    if (strncmp(p_dev, "file:/", 6) != 0 && strcmp(p_dev, "null") != 0 &&
        strncmp(p_dev, "null:", 5) != 0) {
        x->error = xapi_error("INVALID_VALUE", "p_dev", p_dev, NULL);
        return NULL;
    }
    struct vscsi_hctl v;
    if (!vhctl_ok(hctl, &v)) {
        x->error = xapi_error("INVALID_VALUE", "virtual_HCTL", hctl, NULL);
        return NULL;
    }
    return attach(x, vm_ref, p_dev, NULL, p_dev, hctl, &v);
}

static const char *const dscsi_fields[] = {
    "uuid", "VM", "PSCSI", "HBA", "virtual_host", "virtual_channel", "virtual_target",
    "virtual_lun", "virtual_HCTL", "policy", "runtime_properties", NULL,
};
static const struct api_call dscsi_calls[] = {
    {"create", 1, dscsi_create}, {"destroy", 1, dscsi_destroy}, {NULL, 0, NULL}};

const struct api_class api_dscsi = {"DSCSI", dscsi_uuids, dscsi_record, dscsi_fields,
                                    dscsi_calls};
/* The seed's name for the same class. */
const struct api_class api_vscsi = {"VSCSI", dscsi_uuids, dscsi_record, dscsi_fields,
                                    dscsi_calls};

static struct json_object *vhost_uuids(struct api_ctx *x)
{
    if (!api_view(x))
        return NULL;
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < x->view.nhost; i++)
        json_object_array_add(a, json_object_new_string(x->view.host[i].uuid));
    return a;
}

static struct json_object *vhost_record(struct api_ctx *x, const char *uuid)
{
    if (!api_view(x))
        return NULL;
    const struct xsv_vhost *h = xsv_vhost_by_uuid(&x->view, uuid);
    if (!h)
        return NULL;
    struct json_object *r = json_object_new_object();
    struct json_object *luns = json_object_new_array(), *phbas = json_object_new_array();
    api_put_str(r, "uuid", h->uuid);
    api_put_ref(r, "VM", api_vm_uuid_of_domid(x, h->domid));
    for (size_t i = 0; i < x->view.nlun; i++) {
        const struct xsv_lun *l = &x->view.lun[i];
        if (l->vhost != (size_t)(h - x->view.host) || !xsv_lun_live(l))
            continue;
        json_object_array_add(luns, api_ref(l->uuid));
        const struct pscsi *p = pscsi_of_pdev(x, l->p_dev);
        bool dup = false;
        for (size_t j = 0; p && j < json_object_array_length(phbas); j++) {
            const char *s = json_object_get_string(json_object_array_get_idx(phbas, j));
            dup = dup || strcmp(s + strlen(API_REF_PREFIX), p->hba_uuid) == 0;
        }
        if (p && !dup)
            json_object_array_add(phbas, api_ref(p->hba_uuid));
    }
    json_object_object_add(r, "DSCSIs", luns);
    json_object_object_add(r, "PSCSI_HBAs", phbas);
    api_put_int(r, "virtual_host", h->devid);
    api_put_str(r, "assignment_mode", h->feature_host ? "HOST" : "LUN");
    api_put_int(r, "qos_iops", (int64_t)h->qos_iops);
    api_put_int(r, "qos_bps", (int64_t)h->qos_bps);
    return r;
}

static const char *const vhost_fields[] = {
    "uuid", "VM", "PSCSI_HBAs", "DSCSIs", "virtual_host", "assignment_mode", "qos_iops",
    "qos_bps", NULL,
};

/* Closes every live LUN of one vscsi device in a single transaction (one
 * reconfiguration, as xend's HOST mode does): dev-N to Closing (5), or
 * removed when the backend never took it, HOST mode ended (feature-host 0:
 * the device no longer follows the physical host, so no LUN appearing
 * there later joins it), then the backend Reconfiguring (7) if it is
 * Connected. 0, -EBUSY while it reconfigures, or -errno. */
static int detach_all(struct xs_handle *xs, unsigned be, unsigned domid, unsigned devid)
{
    char dir[XSU_PATH_MAX];
    if (xsu_backend_dir(dir, be, domid, devid) < 0)
        return -ENAMETOOLONG;
    for (int attempt = 0; attempt < 16; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            return -errno;
        long st = xsu_read_uint(xs, t, dir, "state");
        if (st == 7 || st == 8) {
            xs_transaction_end(xs, t, true);
            return -EBUSY;
        }
        unsigned *indexes;
        int n = xsu_lun_indexes(xs, t, dir, &indexes);
        bool ok = n >= 0 || n == -ENOENT;
        if (!ok)
            errno = -n;
        for (int i = 0; ok && i < n; i++) {
            char d[XSU_PATH_MAX];
            if (xsu_lun_dir(d, dir, indexes[i]) < 0)
                continue;
            long ls = xsu_read_uint(xs, t, d, "state");
            if (ls == 1)
                ok = xs_rm(xs, t, d);
            else if (ls >= 2 && ls <= 4)
                ok = xsu_write(xs, t, d, "state", "5");
        }
        free(indexes);
        ok = ok && xsu_write(xs, t, dir, "feature-host", "0");
        if (ok && st == 4)
            ok = xsu_write(xs, t, dir, "state", "7");
        if (!ok) {
            int e = errno ? errno : EIO;
            if (!xs_transaction_end(xs, t, true) && errno != EAGAIN) {
                /* The write error is the one to report. */
            }
            return -e;
        }
        if (xs_transaction_end(xs, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

/* DSCSI_HBA.create({VM, PSCSI_HBA, assignment_mode}): every PSCSI of that
 * physical HBA, identity-mapped (v-dev = p-dev), as vscsi device <host>;
 * assignment_mode "HOST" (default) or "LUN" as xend did. All or nothing. */
static struct json_object *vhost_create(struct api_ctx *x, struct json_object *params)
{
    struct json_object *rec = json_object_array_get_idx(params, 0);
    if (!json_object_is_type(rec, json_type_object)) {
        x->error = xapi_error("FIELD_TYPE_ERROR", "args", NULL);
        return NULL;
    }
    const char *vm_ref = rec_str(x, rec, "VM");
    const char *hba_ref = vm_ref ? rec_str(x, rec, "PSCSI_HBA") : NULL;
    if (!hba_ref || !api_view(x))
        return NULL;
    struct json_object *m = NULL;
    const char *mode = json_object_object_get_ex(rec, "assignment_mode", &m) &&
                               json_object_is_type(m, json_type_string)
                           ? json_object_get_string(m) : "HOST";
    if (strcmp(mode, "HOST") != 0 && strcmp(mode, "LUN") != 0) {
        x->error = xapi_error("INVALID_VALUE", "assignment_mode", mode, NULL);
        return NULL;
    }
    const struct xsv_vm *vm = find_running_vm(x, vm_ref);
    if (!vm)
        return NULL;
    const char *hba_uuid = api_ref_uuid(hba_ref);
    const struct pscsi_hba *hba = hba_uuid ? pscsi_hba_find_uuid(&x->c->pscsi, hba_uuid) : NULL;
    if (!hba)
        return api_bad_handle(x, "PSCSI_HBA", hba_ref);
    /* Only as a new vscsi device: its LUNs then join a device nobody
     * serves yet (no reconfiguration between them), and undoing a failure
     * is removing what this call created. */
    char be[XSU_PATH_MAX], fe[XSU_PATH_MAX];
    if (xsu_backend_dir(be, x->c->be_domid, vm->domid, hba->host) < 0 ||
        xsu_frontend_dir(fe, vm->domid, hba->host) < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "path", NULL);
        return NULL;
    }
    char *exists = xsu_read(x->c->xs, XBT_NULL, be, "state");
    if (exists) {
        free(exists);
        char what[64];
        snprintf(what, sizeof(what), "vscsi device %u", hba->host);
        x->error = xapi_error("DEVICE_ALREADY_EXISTS", what, NULL);
        return NULL;
    }
    /* No trial open here: the host is given as it is and follows it (a
     * LUN the daemon cannot open is refused alone, dev-N Closed, like a
     * LUN appearing later), as xend's HOST mode. */
    unsigned done = 0;
    char dev_uuid[UUID_STRLEN] = "";
    for (size_t i = 0; i < x->c->pscsi.n; i++) {
        const struct pscsi *p = &x->c->pscsi.dev[i];
        if (strcmp(p->hba_uuid, hba->uuid) != 0)
            continue;
        struct xsa_result res;
        int r = xsa_attach(x->c->xs, x->c->be_domid, vm->domid, &p->addr, p->hctl,
                           p->dev_name[0] ? p->dev_name : NULL, &res);
        if (r < 0 || res.status != XSA_OK) {
            /* Undo what this call wrote: nothing half-attached stays. */
            if (done && (!xs_rm(x->c->xs, XBT_NULL, be) || !xs_rm(x->c->xs, XBT_NULL, fe)))
                x->error = xapi_error("INTERNAL_ERROR", "undoing a partial attach", NULL);
            if (x->error)
                return NULL;
            if (r < 0)
                x->error = xapi_error("INTERNAL_ERROR", "writing xenstore", strerror(-r), NULL);
            else
                attach_refused(x, &res, vm_ref, p->uuid, p->hctl, hba->host);
            return NULL;
        }
        if (res.created)
            memcpy(dev_uuid, res.device_uuid, sizeof(dev_uuid));
        done++;
    }
    if (!done) {
        x->error = xapi_error("INVALID_VALUE", "PSCSI_HBA", hba_ref, NULL);
        return NULL;
    }
    if (strcmp(mode, "HOST") == 0 && !xsu_write(x->c->xs, XBT_NULL, be, "feature-host", "1")) {
        x->error = xapi_error("INTERNAL_ERROR", "writing feature-host", NULL);
        return NULL;
    }
    if (!dev_uuid[0]) {
        x->error = xapi_error("INTERNAL_ERROR", "the device was not created", NULL);
        return NULL;
    }
    return api_ref(dev_uuid);
}

/* DSCSI_HBA.destroy(self): all its LUNs in one reconfiguration. */
static struct json_object *vhost_destroy(struct api_ctx *x, struct json_object *params)
{
    const char *ref = api_str_param(x, params, 0, "self");
    if (!ref || !api_view(x))
        return NULL;
    const struct xsv_vhost *h = xsv_vhost_by_uuid(&x->view, api_ref_uuid(ref));
    if (!h)
        return api_bad_handle(x, "DSCSI_HBA", ref);
    int r = detach_all(x->c->xs, x->c->be_domid, h->domid, h->devid);
    if (r == -EBUSY) {
        x->error = xapi_error("OTHER_OPERATION_IN_PROGRESS", "DSCSI_HBA",
                             "the device is reconfiguring; try again", NULL);
        return NULL;
    }
    if (r < 0) {
        x->error = xapi_error("INTERNAL_ERROR", "writing xenstore", strerror(-r), NULL);
        return NULL;
    }
    return json_object_new_string("");
}

static const struct api_call vhost_calls[] = {
    {"create", 1, vhost_create},
    {"destroy", 1, vhost_destroy},
    {"set_qos_iops", 2, dscsi_hba_set_qos_iops},
    {"set_qos_bps", 2, dscsi_hba_set_qos_bps},
    {NULL, 0, NULL}};

const struct api_class api_dscsi_hba = {"DSCSI_HBA", vhost_uuids, vhost_record, vhost_fields,
                                        vhost_calls};

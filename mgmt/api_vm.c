/* XenAPI VM: the domains xenstore lists (Running), and those seen before
 * that have gone (Halted: their refs still resolve, attaching is refused). */
#include <string.h>

#include "api.h"

static struct json_object *vm_uuids(struct api_ctx *x)
{
    if (!api_view(x))
        return NULL;
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < x->view.nvm; i++)
        json_object_array_add(a, json_object_new_string(x->view.vm[i].uuid));
    return a;
}

const char *api_vm_uuid_of_domid(struct api_ctx *x, unsigned domid)
{
    const struct xsv_vm *vm = api_view(x) ? xsv_vm_by_domid(&x->view, domid) : NULL;
    return vm ? vm->uuid : NULL;
}

static struct json_object *vm_record(struct api_ctx *x, const char *uuid)
{
    if (!api_view(x))
        return NULL;
    const struct xsv_vm *vm = xsv_vm_by_uuid(&x->view, uuid);
    const struct core_seen_vm *seen = vm ? NULL : core_seen_vm(x->c, uuid);
    if (!vm && !seen)
        return NULL;
    struct json_object *r = json_object_new_object();
    struct json_object *luns = json_object_new_array(), *hbas = json_object_new_array();
    api_put_str(r, "uuid", uuid);
    api_put_str(r, "name_label", vm ? vm->name : seen->name);
    api_put_int(r, "domid", vm ? (int64_t)vm->domid : -1);
    api_put_str(r, "power_state", vm ? "Running" : "Halted");
    json_object_object_add(r, "is_control_domain",
                           json_object_new_boolean(vm && vm->domid == x->c->be_domid));
    for (size_t i = 0; vm && i < x->view.nlun; i++)
        if (x->view.lun[i].domid == vm->domid && xsv_lun_live(&x->view.lun[i]))
            json_object_array_add(luns, api_ref(x->view.lun[i].uuid));
    for (size_t i = 0; vm && i < x->view.nhost; i++)
        if (x->view.host[i].domid == vm->domid)
            json_object_array_add(hbas, api_ref(x->view.host[i].uuid));
    json_object_object_add(r, "VSCSIs", json_object_get(luns));
    json_object_object_add(r, "DSCSIs", luns);
    json_object_object_add(r, "DSCSI_HBAs", hbas);
    return r;
}

struct json_object *api_vm_record_of(struct api_ctx *x, const char *uuid)
{
    return vm_record(x, uuid);
}

static const char *const vm_fields[] = {
    "uuid", "name_label", "domid", "power_state", "is_control_domain", "VSCSIs", "DSCSIs",
    "DSCSI_HBAs", NULL,
};

const struct api_class api_vm = {"VM", vm_uuids, vm_record, vm_fields, NULL};

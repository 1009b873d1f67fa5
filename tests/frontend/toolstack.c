#include "toolstack.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void toolstack_backend_path(char *buf, size_t size, uint16_t be_domid, uint16_t fe_domid,
                            uint32_t devid)
{
    snprintf(buf, size, "/local/domain/%u/backend/vscsi/%u/%u", be_domid, fe_domid, devid);
}

void toolstack_frontend_path(char *buf, size_t size, uint16_t fe_domid, uint32_t devid)
{
    snprintf(buf, size, "/local/domain/%u/device/vscsi/%u", fe_domid, devid);
}

static bool put(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
                const char *val)
{
    char p[256];
    int n = snprintf(p, sizeof(p), "%s/%s", dir, key);
    if (n < 0 || (size_t)n >= sizeof(p)) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xs_write(xs, t, p, val, (unsigned)strlen(val));
}

static bool put_lun(struct xs_handle *xs, xs_transaction_t t, const char *be,
                    const struct toolstack_lun *l)
{
    char key[64];
    snprintf(key, sizeof(key), "vscsi-devs/dev-%u/p-dev", l->index);
    bool ok = put(xs, t, be, key, l->p_dev);
    snprintf(key, sizeof(key), "vscsi-devs/dev-%u/v-dev", l->index);
    ok = ok && put(xs, t, be, key, l->v_dev);
    snprintf(key, sizeof(key), "vscsi-devs/dev-%u/state", l->index);
    return ok && put(xs, t, be, key, "1");
}

/* Runs body in a transaction, retrying on conflict. */
#define IN_TRANSACTION(xs, t, body)                                          \
    for (;;) {                                                               \
        xs_transaction_t t = xs_transaction_start(xs);                       \
        if (t == XBT_NULL)                                                   \
            return -errno;                                                   \
        if (!(body)) {                                                       \
            int e_ = errno;                                                  \
            xs_transaction_end(xs, t, true);                                 \
            return -e_;                                                      \
        }                                                                    \
        if (xs_transaction_end(xs, t, false))                                \
            break;                                                           \
        if (errno != EAGAIN)                                                 \
            return -errno;                                                   \
    }

static bool write_device(struct xs_handle *xs, xs_transaction_t t, uint16_t be_domid,
                         uint16_t fe_domid, uint32_t devid, const struct toolstack_lun *luns,
                         int n, bool feature_host)
{
    char be[128], fe[128], v[16];
    toolstack_backend_path(be, sizeof(be), be_domid, fe_domid, devid);
    toolstack_frontend_path(fe, sizeof(fe), fe_domid, devid);
    struct xs_permissions be_perms[2] = {{.id = be_domid, .perms = XS_PERM_NONE},
                                         {.id = fe_domid, .perms = XS_PERM_READ}};
    struct xs_permissions fe_perms[2] = {{.id = fe_domid, .perms = XS_PERM_NONE},
                                         {.id = be_domid, .perms = XS_PERM_READ}};
    bool ok = xs_mkdir(xs, t, be) && xs_set_permissions(xs, t, be, be_perms, 2) &&
              xs_mkdir(xs, t, fe) && xs_set_permissions(xs, t, fe, fe_perms, 2);
    ok = ok && put(xs, t, be, "frontend", fe);
    snprintf(v, sizeof(v), "%u", fe_domid);
    ok = ok && put(xs, t, be, "frontend-id", v) && put(xs, t, be, "online", "1") &&
         put(xs, t, be, "feature-host", feature_host ? "1" : "0");
    for (int i = 0; ok && i < n; i++)
        ok = put_lun(xs, t, be, &luns[i]);
    ok = ok && put(xs, t, fe, "backend", be);
    snprintf(v, sizeof(v), "%u", be_domid);
    ok = ok && put(xs, t, fe, "backend-id", v);
    /* Frontend state before backend state, as the kernel backend expects. */
    return ok && put(xs, t, fe, "state", "1") && put(xs, t, be, "state", "1");
}

int toolstack_vscsi_create(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                           uint32_t devid, const struct toolstack_lun *luns, int n,
                           bool feature_host)
{
    IN_TRANSACTION(xs, t, write_device(xs, t, be_domid, fe_domid, devid, luns, n, feature_host));
    return 0;
}

int toolstack_vscsi_add_lun(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                            uint32_t devid, const struct toolstack_lun *lun)
{
    char be[128];
    toolstack_backend_path(be, sizeof(be), be_domid, fe_domid, devid);
    IN_TRANSACTION(xs, t, put_lun(xs, t, be, lun) && put(xs, t, be, "state", "7"));
    return 0;
}

int toolstack_vscsi_remove_lun(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                               uint32_t devid, unsigned index)
{
    char be[128], key[64];
    toolstack_backend_path(be, sizeof(be), be_domid, fe_domid, devid);
    snprintf(key, sizeof(key), "vscsi-devs/dev-%u/state", index);
    IN_TRANSACTION(xs, t, put(xs, t, be, key, "5") && put(xs, t, be, "state", "7"));
    return 0;
}

int toolstack_vscsi_destroy(struct xs_handle *xs, uint16_t be_domid, uint16_t fe_domid,
                            uint32_t devid)
{
    char be[128], fe[128];
    toolstack_backend_path(be, sizeof(be), be_domid, fe_domid, devid);
    toolstack_frontend_path(fe, sizeof(fe), fe_domid, devid);
    IN_TRANSACTION(xs, t, xs_rm(xs, t, be) && xs_rm(xs, t, fe));
    return 0;
}

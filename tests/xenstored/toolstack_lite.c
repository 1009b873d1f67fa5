#include "toolstack_lite.h"

#include <stdio.h>
#include <string.h>

static bool put(struct xs_handle *xs, const char *path, const char *val)
{
    return xs_write(xs, XBT_NULL, path, val, (unsigned)strlen(val));
}

bool lite_vscsi_create(struct xs_handle *xs, unsigned be, unsigned fe, unsigned devid,
                       const struct lite_lun *luns, int n, const char *be_state,
                       const char *fe_state)
{
    char b[160], f[160], p[224];
    snprintf(b, sizeof(b), "/local/domain/%u/backend/vscsi/%u/%u", be, fe, devid);
    snprintf(f, sizeof(f), "/local/domain/%u/device/vscsi/%u", fe, devid);
    bool ok = true;
    snprintf(p, sizeof(p), "%s/frontend", b);
    ok = ok && put(xs, p, f);
    snprintf(p, sizeof(p), "%s/feature-host", b);
    ok = ok && put(xs, p, "0");
    for (int i = 0; ok && i < n; i++) {
        snprintf(p, sizeof(p), "%s/vscsi-devs/dev-%u/p-dev", b, luns[i].index);
        ok = put(xs, p, luns[i].p_dev);
        snprintf(p, sizeof(p), "%s/vscsi-devs/dev-%u/v-dev", b, luns[i].index);
        ok = ok && put(xs, p, luns[i].v_dev);
        if (luns[i].state) {
            snprintf(p, sizeof(p), "%s/vscsi-devs/dev-%u/state", b, luns[i].index);
            ok = ok && put(xs, p, luns[i].state);
        }
    }
    snprintf(p, sizeof(p), "%s/backend", f);
    ok = ok && put(xs, p, b);
    snprintf(p, sizeof(p), "%s/state", f);
    ok = ok && put(xs, p, fe_state);
    snprintf(p, sizeof(p), "%s/state", b);
    return ok && put(xs, p, be_state);
}

bool lite_set_state(struct xs_handle *xs, unsigned be, unsigned fe, unsigned devid, int index,
                    const char *state)
{
    char p[224];
    if (index < 0)
        snprintf(p, sizeof(p), "/local/domain/%u/backend/vscsi/%u/%u/state", be, fe, devid);
    else
        snprintf(p, sizeof(p), "/local/domain/%u/backend/vscsi/%u/%u/vscsi-devs/dev-%d/state",
                 be, fe, devid, index);
    return put(xs, p, state);
}

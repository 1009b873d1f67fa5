#include "xsfix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_harness.h"

static struct xs_harness *harness;
static struct xs_handle *handle;

static void stop(void)
{
    if (handle)
        xs_close(handle);
    xs_harness_stop(harness);
}

struct xs_handle *xsfix_handle(void)
{
    if (handle)
        return handle;
    harness = xs_harness_start();
    if (!harness)
        return NULL;
    handle = xs_harness_open(harness);
    atexit(stop);
    return handle;
}

bool xsfix_write(const char *path, const char *val)
{
    struct xs_handle *xs = xsfix_handle();
    return xs && xs_write(xs, XBT_NULL, path, val, (unsigned)strlen(val));
}

const char *xsfix_read(const char *path)
{
    static char buf[512];
    unsigned len;
    struct xs_handle *xs = xsfix_handle();
    char *v = xs ? xs_read(xs, XBT_NULL, path, &len) : NULL;
    if (!v)
        return NULL;
    snprintf(buf, sizeof(buf), "%s", v);
    free(v);
    return buf;
}

bool xsfix_exists(const char *path)
{
    return xsfix_read(path) != NULL;
}

bool xsfix_add_domain(unsigned domid, const char *name, const char *uuid)
{
    char p[128], v[128];
    snprintf(p, sizeof(p), "/local/domain/%u/domid", domid);
    snprintf(v, sizeof(v), "%u", domid);
    bool ok = xsfix_write(p, v);
    snprintf(p, sizeof(p), "/local/domain/%u/name", domid);
    ok = ok && xsfix_write(p, name);
    if (uuid) {
        snprintf(p, sizeof(p), "/local/domain/%u/vm", domid);
        snprintf(v, sizeof(v), "/vm/%s", uuid);
        ok = ok && xsfix_write(p, v);
    }
    return ok;
}

bool xsfix_remove_domain(unsigned domid)
{
    char p[64];
    snprintf(p, sizeof(p), "/local/domain/%u", domid);
    struct xs_handle *xs = xsfix_handle();
    return xs && xs_rm(xs, XBT_NULL, p);
}

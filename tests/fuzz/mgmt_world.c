#include "mgmt_world.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "fakesys.h"
#include "rpc.h"
#include "toolstack_lite.h"
#include "xs_harness.h"

static struct mgmt_core core;
static bool ready;
static struct xs_harness *xsh;
static char *sysfs;
static char session[RPC_NTRANSPORTS][64];

static void teardown(void)
{
    if (ready)
        core_fini(&core);
    xs_harness_stop(xsh);
    fakesys_destroy(sysfs);
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz world: %s\n", what);
    abort();
}

static void put(struct xs_handle *xs, const char *path, const char *val)
{
    if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
        fail(path);
}

struct mgmt_core *fuzz_mgmt_core(void)
{
    if (ready)
        return &core;
    xmlInitParser();
    sysfs = fakesys_create();
    if (!sysfs || fakesys_standard(sysfs) < 0)
        fail("fake sysfs");
    xsh = xs_harness_start();
    if (!xsh)
        fail("xenstored");
    atexit(teardown);
    struct xs_handle *xs = xs_open(0);
    if (!xs)
        fail("xs_open");
    put(xs, "/local/domain/3/name", "guest-a");
    put(xs, "/local/domain/3/vm", "/vm/aaaaaaaa-0000-4000-8000-000000000003");
    put(xs, "/local/domain/5/name", "guest-b");
    put(xs, "/local/domain/5/vm", "/vm/bbbbbbbb-0000-4000-8000-000000000005");
    const struct lite_lun lun = {0, "2:0:0:1", "0:0:0:0", "4"};
    if (!lite_vscsi_create(xs, 0, 3, 0, &lun, 1, "4", "4"))
        fail("vscsi device");
    xs_close(xs);
    static char pw[] = "/tmp/fuzz-pw.XXXXXX";
    int fd = mkstemp(pw);
    if (fd < 0 || write(fd, "pw\n", 3) != 3)
        fail("password file");
    close(fd);
    struct mgmt_config cfg = {.sysfs_root = sysfs, .dev_root = "/nonexistent",
                              .host_uuid = "0f0f0f0f-1111-4222-8333-444444444444",
                              .tcp_address = "127.0.0.1:0", .password_file = pw};
    char err[256];
    if (core_init(&core, &cfg, NULL, err, sizeof(err)) < 0)
        fail(err);
    unlink(pw);
    ready = true;
    return &core;
}

/* A live session of tr (made again if a fuzzed call logged it out). */
static const char *live_session(enum rpc_transport tr)
{
    struct json_object *err = NULL, *res;
    if (session[tr][0]) {
        struct json_object *p = json_object_new_array();
        json_object_array_add(p, json_object_new_string(session[tr]));
        res = rpc_call(&core, tr, "fuzz-harness", "pool.get_all", p, &err);
        json_object_put(p);
        json_object_put(res);
        bool ok = err == NULL;
        json_object_put(err);
        if (ok)
            return session[tr];
    }
    struct json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_string("root"));
    json_object_array_add(p, json_object_new_string("pw"));
    /* Another peer than the fuzzed calls': their failed TCP logins slow
     * theirs down, not this one. */
    res = rpc_call(&core, tr, "fuzz-harness", "session.login_with_password", p, &err);
    json_object_put(p);
    if (!res)
        fail("login");
    snprintf(session[tr], sizeof(session[tr]), "%s", json_object_get_string(res));
    json_object_put(res);
    json_object_put(err);
    return session[tr];
}

char *fuzz_mgmt_body(const uint8_t *data, size_t size, enum rpc_transport tr, size_t *len)
{
    size_t marks = 0;
    for (size_t i = 0; i + 3 <= size; i++)
        marks += memcmp(data + i, "@S@", 3) == 0;
    const char *s = marks ? live_session(tr) : "";
    size_t sl = strlen(s);
    char *out = malloc(size + marks * sl + 1), *o = out;
    if (!out)
        fail("out of memory");
    for (size_t i = 0; i < size;) {
        if (i + 3 <= size && memcmp(data + i, "@S@", 3) == 0) {
            memcpy(o, s, sl);
            o += sl;
            i += 3;
        } else {
            *o++ = (char)data[i++];
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

void fuzz_check_error(struct json_object *res, struct json_object *error)
{
    assert((res == NULL) != (error == NULL));
    if (error) {
        assert(json_object_is_type(error, json_type_array));
        assert(json_object_array_length(error) >= 1);
        for (size_t i = 0; i < json_object_array_length(error); i++)
            assert(json_object_is_type(json_object_array_get_idx(error, i), json_type_string));
    }
}

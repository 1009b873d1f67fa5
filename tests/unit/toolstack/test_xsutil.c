#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xsfix.h"
#include "xenbus_state.h"
#include "xsutil.h"

TEST(paths_are_bounded)
{
    char p[XSU_PATH_MAX], big[300];
    CHECK_INT_EQ(xsu_path(p, "/a/%u", 5u), 0);
    CHECK_STR_EQ(p, "/a/5");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT_EQ(xsu_path(p, "/%s", big), -ENAMETOOLONG);
    CHECK_STR_EQ(p, "");
}

TEST(parse_uint)
{
    unsigned long v;
    CHECK(xsu_parse_uint("42", 100, &v) && v == 42);
    CHECK(!xsu_parse_uint("101", 100, &v));
    CHECK(!xsu_parse_uint("-1", 100, &v));
    CHECK(!xsu_parse_uint("4 2", 100, &v));
    CHECK(!xsu_parse_uint("", 100, &v));
    CHECK(!xsu_parse_uint(NULL, 100, &v));
    CHECK(!xsu_parse_uint("99999999999", ~0UL, &v));
}

TEST(read_write)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    CHECK(xsu_write(xs, XBT_NULL, "/test/a", "b", "7"));
    char *v = xsu_read(xs, XBT_NULL, "/test/a", "b");
    CHECK_STR_EQ(v, "7");
    free(v);
    CHECK_INT_EQ(xsu_read_uint(xs, XBT_NULL, "/test/a", "b"), 7);
    CHECK(xsu_write(xs, XBT_NULL, "/test/a", "c", "x7"));
    CHECK_INT_EQ(xsu_read_uint(xs, XBT_NULL, "/test/a", "c"), -1);
    CHECK_INT_EQ(xsu_read_uint(xs, XBT_NULL, "/test/a", "none"), -1);
    errno = 0;
    CHECK(xsu_read(xs, XBT_NULL, "/test/a", "none") == NULL);
    CHECK_INT_EQ(errno, ENOENT);
    /* A value with an embedded NUL is refused, not cut. */
    REQUIRE(xs_write(xs, XBT_NULL, "/test/a/nul", "a\0b", 3));
    CHECK(xsu_read(xs, XBT_NULL, "/test/a", "nul") == NULL);
}

TEST(layout_paths)
{
    char p[XSU_PATH_MAX];
    CHECK_INT_EQ(xsu_domain_dir(p, 7), 0);
    CHECK_STR_EQ(p, "/local/domain/7");
    CHECK_INT_EQ(xsu_backend_root(p, 0), 0);
    CHECK_STR_EQ(p, "/local/domain/0/backend/vscsi");
    CHECK_INT_EQ(xsu_backend_dir(p, 0, 5, 3), 0);
    CHECK_STR_EQ(p, "/local/domain/0/backend/vscsi/5/3");
    CHECK_INT_EQ(xsu_frontend_dir(p, 5, 3), 0);
    CHECK_STR_EQ(p, "/local/domain/5/device/vscsi/3");
    CHECK_INT_EQ(xsu_luns_dir(p, "/b"), 0);
    CHECK_STR_EQ(p, "/b/vscsi-devs");
    CHECK_INT_EQ(xsu_lun_dir(p, "/b", 4294967294u), 0);
    CHECK_STR_EQ(p, "/b/vscsi-devs/dev-4294967294");
    char big[250];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT_EQ(xsu_lun_dir(p, big, 1), -ENAMETOOLONG);
}

TEST(names_have_one_set_of_bounds)
{
    unsigned v;
    CHECK(xsu_parse_lun_name("dev-0", &v) && v == 0);
    CHECK(xsu_parse_lun_name("dev-4294967294", &v) && v == 4294967294u);
    CHECK(!xsu_parse_lun_name("dev-4294967295", &v));    /* N + 1 must fit */
    CHECK(!xsu_parse_lun_name("dev-", &v));
    CHECK(!xsu_parse_lun_name("dev-1x", &v));
    CHECK(!xsu_parse_lun_name("dev--1", &v));
    CHECK(!xsu_parse_lun_name("dev- 1", &v));
    CHECK(!xsu_parse_lun_name("lun-1", &v));
    CHECK(!xsu_parse_lun_name(NULL, &v));
    CHECK(xsu_parse_domid("32751", &v) && v == 0x7fef);
    CHECK(!xsu_parse_domid("32752", &v));                /* DOMID_FIRST_RESERVED */
    CHECK(xsu_parse_devid("4294967295", &v) && v == 4294967295u);
    CHECK(!xsu_parse_devid("4294967296", &v));
}

TEST(device_paths)
{
    const char *root = "/local/domain/0/backend/vscsi";
    unsigned dom = 99, dev = 99;
    CHECK(xsu_parse_device_path("/local/domain/0/backend/vscsi/5/3", root, &dom, &dev));
    CHECK(dom == 5 && dev == 3);
    CHECK(xsu_parse_device_path("/local/domain/0/backend/vscsi/6/0/vscsi-devs/dev-1/state",
                                root, &dom, &dev));
    CHECK(dom == 6 && dev == 0);
    CHECK(!xsu_parse_device_path("/local/domain/0/backend/vscsi", root, &dom, &dev));
    CHECK(!xsu_parse_device_path("/local/domain/0/backend/vscsi/5", root, &dom, &dev));
    CHECK(!xsu_parse_device_path("/local/domain/0/backend/vscsi/5/", root, &dom, &dev));
    CHECK(!xsu_parse_device_path("/local/domain/0/backend/vscsi/5/3x", root, &dom, &dev));
    CHECK(!xsu_parse_device_path("/local/domain/0/backend/vscsi/40000/3", root, &dom, &dev));
    CHECK(!xsu_parse_device_path("/local/domain/0/backend/vscsix/5/3", root, &dom, &dev));
    CHECK(!xsu_parse_device_path("/local/domain/0/backend/vscsi/+5/3", root, &dom, &dev));
}

TEST(states_printf_gather_exists)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    CHECK(xsu_printf(xs, XBT_NULL, "/test/g", "state", "%d", 4));
    CHECK_INT_EQ(xsu_read_state(xs, XBT_NULL, "/test/g", "state"), XenbusStateConnected);
    CHECK(xsu_write(xs, XBT_NULL, "/test/g", "bad", "4\n"));
    CHECK_INT_EQ(xsu_read_state(xs, XBT_NULL, "/test/g", "bad"), XenbusStateUnknown);
    CHECK_INT_EQ(xsu_read_state(xs, XBT_NULL, "/test/g", "none"), XenbusStateUnknown);
    CHECK(xsu_write(xs, XBT_NULL, "/test/g", "ring-ref", "4294967295"));
    CHECK(xsu_write(xs, XBT_NULL, "/test/g", "name", "guest"));
    unsigned long ref = 1, port = 2;
    char *name = NULL;
    CHECK_INT_EQ(xsu_gather(xs, XBT_NULL, "/test/g", "ring-ref", XSU_UINT, &ref, "name", XSU_STR,
                            &name, NULL), 0);
    CHECK(ref == 4294967295ul);
    CHECK_STR_EQ(name, "guest");
    free(name);
    /* A missing node or a malformed number: nothing is set. */
    ref = 1;
    name = NULL;
    CHECK_INT_EQ(xsu_gather(xs, XBT_NULL, "/test/g", "ring-ref", XSU_UINT, &ref, "name", XSU_STR,
                            &name, "event-channel", XSU_UINT, &port, NULL), -ENOENT);
    CHECK(ref == 1 && name == NULL && port == 2);
    CHECK_INT_EQ(xsu_gather(xs, XBT_NULL, "/test/g", "name", XSU_UINT, &ref, NULL), -EINVAL);
    CHECK(ref == 1);
    CHECK_INT_EQ(xsu_exists(xs, XBT_NULL, "/test/g/name"), 1);
    CHECK_INT_EQ(xsu_exists(xs, XBT_NULL, "/test/g/none"), 0);
}

TEST(lun_indexes_sorted_and_filtered)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    unsigned *idx = (unsigned *)1;
    CHECK_INT_EQ(xsu_lun_indexes(xs, XBT_NULL, "/test/nodev", &idx), -ENOENT);
    CHECK(idx == NULL);
    const char *names[] = {"dev-10", "dev-2", "junk", "dev-x", "dev-0", "dev-4294967295"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char d[XSU_PATH_MAX];
        REQUIRE(xsu_path(d, "/test/dev/vscsi-devs/%s", names[i]) == 0);
        REQUIRE(xsu_write(xs, XBT_NULL, d, "state", "1"));
    }
    int n = xsu_lun_indexes(xs, XBT_NULL, "/test/dev", &idx);
    CHECK_INT_EQ(n, 3);
    if (n == 3)
        CHECK(idx[0] == 0 && idx[1] == 2 && idx[2] == 10);
    free(idx);
}

TEST(devices_under_backend_vscsi)
{
    struct xs_handle *xs = xsfix_handle();
    REQUIRE(xs);
    struct xsu_device *devs = (struct xsu_device *)1;
    CHECK_INT_EQ(xsu_devices(xs, XBT_NULL, 77, &devs), 0);   /* no backend/vscsi */
    CHECK(devs == NULL);
    REQUIRE(xsu_write(xs, XBT_NULL, "/local/domain/77/backend/vscsi/5/0", "state", "1"));
    REQUIRE(xsu_write(xs, XBT_NULL, "/local/domain/77/backend/vscsi/5/3", "state", "1"));
    REQUIRE(xsu_write(xs, XBT_NULL, "/local/domain/77/backend/vscsi/6/1", "state", "1"));
    REQUIRE(xsu_write(xs, XBT_NULL, "/local/domain/77/backend/vscsi/6/x", "state", "1"));
    REQUIRE(xsu_write(xs, XBT_NULL, "/local/domain/77/backend/vscsi/40000/1", "state", "1"));
    int n = xsu_devices(xs, XBT_NULL, 77, &devs);
    CHECK_INT_EQ(n, 3);
    unsigned sum_dom = 0, sum_dev = 0;
    for (int i = 0; i < n; i++) {
        sum_dom += devs[i].domid;
        sum_dev += devs[i].devid;
    }
    CHECK_INT_EQ(sum_dom, 5 + 5 + 6);
    CHECK_INT_EQ(sum_dev, 0 + 3 + 1);
    free(devs);
}

TAP_MAIN(devices_under_backend_vscsi, paths_are_bounded, parse_uint, read_write, layout_paths, names_have_one_set_of_bounds,
         device_paths, states_printf_gather_exists, lun_indexes_sorted_and_filtered)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "toolstack_lite.h"
#include "xsattach.h"
#include "xsfix.h"

static struct vscsi_hctl H(unsigned h, unsigned c, unsigned t, unsigned l)
{
    return (struct vscsi_hctl){h, c, t, l};
}

static const char *rd(const char *fmt, unsigned a, unsigned b)
{
    char p[256];
    snprintf(p, sizeof(p), fmt, a, b);
    return xsfix_read(p);
}

/* The private xenstored's handle, with guest domain `domid` named
 * "g<domid>" in it; NULL on failure. */
static struct xs_handle *with_guest(unsigned domid)
{
    char name[16];
    snprintf(name, sizeof(name), "g%u", domid);
    struct xs_handle *xs = xsfix_handle();
    return xs && xsfix_add_domain(domid, name, NULL) ? xs : NULL;
}

TEST(first_lun_creates_the_whole_device)
{
    struct xs_handle *xs = with_guest(10);
    REQUIRE(xs);
    struct vscsi_hctl v = H(2, 0, 1, 0);
    struct xsa_result r;
    REQUIRE(xsa_attach(xs, 0, 10, &v, "1:0:1:0", "st0", &r) == 0);
    CHECK_INT_EQ(r.status, XSA_OK);
    CHECK_INT_EQ(r.created, 1);
    CHECK_INT_EQ(r.index, 0);
    const char *be = "/local/domain/0/backend/vscsi/10/2";
    char p[256];
#define BE(key) (snprintf(p, sizeof(p), "%s/%s", be, key), xsfix_read(p))
    CHECK_STR_EQ(BE("state"), "1");
    CHECK_STR_EQ(BE("online"), "1");
    CHECK_STR_EQ(BE("feature-host"), "0");
    CHECK_STR_EQ(BE("frontend-id"), "10");
    CHECK_STR_EQ(BE("frontend"), "/local/domain/10/device/vscsi/2");
    CHECK_STR_EQ(BE("vscsi-devs/dev-0/p-dev"), "1:0:1:0");
    CHECK_STR_EQ(BE("vscsi-devs/dev-0/p-devname"), "st0");
    CHECK_STR_EQ(BE("vscsi-devs/dev-0/v-dev"), "2:0:1:0");
    CHECK_STR_EQ(BE("vscsi-devs/dev-0/state"), "1");
    CHECK_STR_EQ(rd("/local/domain/%u/device/vscsi/%u/state", 10, 2), "1");
    CHECK_STR_EQ(rd("/local/domain/%u/device/vscsi/%u/backend-id", 10, 2), "0");
    CHECK_STR_EQ(rd("/local/domain/%u/device/vscsi/%u/backend", 10, 2), be);
    /* Permissions: backend owned by dom0, guest may read; frontend owned
     * by the guest, dom0 may read. */
    unsigned n = 0;
    struct xs_permissions *perm = xs_get_permissions(xs, XBT_NULL, be, &n);
    REQUIRE(perm && n == 2);
    CHECK_INT_EQ(perm[0].id, 0);
    CHECK_INT_EQ(perm[0].perms, XS_PERM_NONE);
    CHECK_INT_EQ(perm[1].id, 10);
    CHECK_INT_EQ(perm[1].perms, XS_PERM_READ);
    free(perm);
    perm = xs_get_permissions(xs, XBT_NULL, "/local/domain/10/device/vscsi/2", &n);
    REQUIRE(perm && n == 2);
    CHECK_INT_EQ(perm[0].id, 10);
    CHECK_INT_EQ(perm[1].id, 0);
    CHECK_INT_EQ(perm[1].perms, XS_PERM_READ);
    free(perm);
    perm = xs_get_permissions(xs, XBT_NULL, "/local/domain/0/backend/vscsi/10/2/vscsi-devs/dev-0",
                              &n);
    REQUIRE(perm && n == 2);         /* children inherit */
    CHECK_INT_EQ(perm[1].id, 10);
    free(perm);
#undef BE
}

TEST(hot_add_to_connected_device_reconfigures)
{
    struct xs_handle *xs = with_guest(11);
    REQUIRE(xs);
    const struct lite_lun l0 = {0, "0:0:0:0", "1:0:0:0", "4"};
    REQUIRE(lite_vscsi_create(xs, 0, 11, 1, &l0, 1, "4", "4"));
    struct vscsi_hctl v = H(1, 0, 1, 0);
    struct xsa_result r;
    REQUIRE(xsa_attach(xs, 0, 11, &v, "1:0:2:0", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_OK);
    CHECK_INT_EQ(r.created, 0);
    CHECK_INT_EQ(r.index, 1);
    CHECK_INT_EQ(r.be_state, 4);
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/state", 11, 1), "7");
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-1/state", 11, 1), "1");
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-1/v-dev", 11, 1),
                 "1:0:1:0");
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/11/1/vscsi-devs/dev-1/p-devname"));
    /* While it reconfigures, further changes wait. */
    struct vscsi_hctl v2 = H(1, 0, 2, 0);
    REQUIRE(xsa_attach(xs, 0, 11, &v2, "2:0:0:0", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_BUSY);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/11/1/vscsi-devs/dev-2"));
    REQUIRE(xsa_detach(xs, 0, 11, 1, 0, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_BUSY);
}

TEST(refusals_leave_nothing_written)
{
    struct xs_handle *xs = with_guest(12);
    REQUIRE(xs);
    REQUIRE(xsfix_add_domain(13, "g13", NULL));
    const struct lite_lun l0 = {0, "3:0:0:0", "0:0:0:0", "4"};
    REQUIRE(lite_vscsi_create(xs, 0, 12, 0, &l0, 1, "4", "4"));
    struct xsa_result r;
    /* PSCSI given to 12 already: refused for 13, nothing created. */
    struct vscsi_hctl v = H(0, 0, 0, 0);
    REQUIRE(xsa_attach(xs, 0, 13, &v, "3:0:0:0", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_PDEV_ASSIGNED);
    CHECK_INT_EQ(r.other_domid, 12);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/13"));
    CHECK(!xsfix_exists("/local/domain/13/device"));
    /* The same device with policy options after it is the same device. */
    REQUIRE(xsa_attach(xs, 0, 13, &v, "3:0:0:0,ro,deny=0x3b", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_PDEV_ASSIGNED);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/13"));
    /* Virtual HCTL taken in 12. */
    REQUIRE(xsa_attach(xs, 0, 12, &v, "3:0:0:1", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_HCTL_TAKEN);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/12/0/vscsi-devs/dev-1"));
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/state", 12, 0), "4");
    /* No such domain. */
    REQUIRE(xsa_attach(xs, 0, 99, &v, "3:0:0:2", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_NO_DOMAIN);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/99"));
    CHECK(!xsfix_exists("/local/domain/99"));
    /* The backend's own domain. */
    REQUIRE(xsa_attach(xs, 0, 0, &v, "3:0:0:2", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_SELF);
    /* A closing device. */
    REQUIRE(lite_set_state(xs, 0, 12, 0, -1, "5"));
    struct vscsi_hctl v1 = H(0, 0, 1, 0);
    REQUIRE(xsa_attach(xs, 0, 12, &v1, "3:0:0:3", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_CLOSING);
}

TEST(detach_connected_lun_closes_and_reconfigures)
{
    struct xs_handle *xs = with_guest(14);
    REQUIRE(xs);
    const struct lite_lun l[] = {{0, "4:0:0:0", "0:0:0:0", "4"}, {1, "4:0:0:1", "0:0:0:1", "4"}};
    REQUIRE(lite_vscsi_create(xs, 0, 14, 0, l, 2, "4", "4"));
    struct xsa_result r;
    REQUIRE(xsa_detach(xs, 0, 14, 0, 1, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_OK);
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-1/state", 14, 0), "5");
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/state", 14, 0), "7");
    /* Already closing: gone as far as a second destroy is concerned. */
    REQUIRE(lite_set_state(xs, 0, 14, 0, -1, "4"));
    REQUIRE(xsa_detach(xs, 0, 14, 0, 1, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_NOT_FOUND);
    REQUIRE(xsa_detach(xs, 0, 14, 0, 7, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_NOT_FOUND);
    REQUIRE(xsa_detach(xs, 0, 14, 5, 0, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_NOT_FOUND);
    /* The backend closed it: a new LUN reuses the PSCSI and deletes dev-1. */
    REQUIRE(lite_set_state(xs, 0, 14, 0, 1, "6"));
    struct vscsi_hctl v = H(0, 0, 0, 1);
    REQUIRE(xsa_attach(xs, 0, 14, &v, "4:0:0:1", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_OK);
    CHECK_INT_EQ(r.index, 2);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/14/0/vscsi-devs/dev-1"));
}

TEST(detach_before_connect_removes_untaken_lun)
{
    struct xs_handle *xs = with_guest(15);
    REQUIRE(xs);
    struct vscsi_hctl v = H(0, 0, 0, 0);
    struct xsa_result r;
    REQUIRE(xsa_attach(xs, 0, 15, &v, "5:0:0:0", NULL, &r) == 0);
    REQUIRE(r.status == XSA_OK);
    REQUIRE(xsa_detach(xs, 0, 15, 0, 0, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_OK);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/15/0/vscsi-devs/dev-0"));
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/state", 15, 0), "1");
}

TEST(stale_frontend_tree_replaced)
{
    struct xs_handle *xs = with_guest(16);
    REQUIRE(xs);
    REQUIRE(xsfix_write("/local/domain/16/device/vscsi/0/junk", "x"));
    struct vscsi_hctl v = H(0, 0, 0, 0);
    struct xsa_result r;
    REQUIRE(xsa_attach(xs, 0, 16, &v, "6:0:0:0", NULL, &r) == 0);
    CHECK_INT_EQ(r.status, XSA_OK);
    CHECK(!xsfix_exists("/local/domain/16/device/vscsi/0/junk"));
    CHECK_STR_EQ(rd("/local/domain/%u/device/vscsi/%u/state", 16, 0), "1");
}

/* Every attach writes a fresh random uuid (dev-N/uuid, and the device's
 * own when it creates it); a LUN written in the same place after the
 * first was removed gets another one. */
TEST(identities_written_and_never_reused)
{
    struct xs_handle *xs = with_guest(17);
    REQUIRE(xs);
    struct vscsi_hctl v = H(0, 0, 0, 0);
    struct xsa_result a, b;
    REQUIRE(xsa_attach(xs, 0, 17, &v, "7:0:0:0", NULL, &a) == 0);
    CHECK_INT_EQ(a.status, XSA_OK);
    CHECK(uuid5_valid(a.uuid) && uuid5_valid(a.device_uuid));
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-0/uuid", 17, 0), a.uuid);
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/uuid", 17, 0), a.device_uuid);
    REQUIRE(xsa_detach(xs, 0, 17, 0, 0, &b) == 0);      /* never taken: removed */
    CHECK_INT_EQ(b.status, XSA_OK);
    CHECK(!xsfix_exists("/local/domain/0/backend/vscsi/17/0/vscsi-devs/dev-0"));
    struct vscsi_hctl v2 = H(0, 0, 1, 0);
    REQUIRE(xsa_attach(xs, 0, 17, &v2, "7:0:1:0", NULL, &b) == 0);
    CHECK_INT_EQ(b.status, XSA_OK);
    CHECK_INT_EQ(b.index, 0);                           /* the same place */
    CHECK(strcmp(a.uuid, b.uuid) != 0);
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-0/uuid", 17, 0), b.uuid);
    CHECK_INT_EQ(b.device_uuid[0], 0);                  /* the device keeps its own */
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/uuid", 17, 0), a.device_uuid);
}

/* Devices another toolstack wrote get stored identities once. */
TEST(foreign_devices_stamped_once)
{
    struct xs_handle *xs = with_guest(18);
    REQUIRE(xs);
    const struct lite_lun luns[2] = {{0, "8:0:0:0", "0:0:0:0", "4"}, {3, "8:0:0:1", "0:0:0:1", "4"}};
    REQUIRE(lite_vscsi_create(xs, 0, 18, 1, luns, 2, "4", "4"));
    int n = xsa_stamp_uuids(xs, 0);
    CHECK(n >= 3);                                      /* the device and its two LUNs */
    const char *u = rd("/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-3/uuid", 18, 1);
    REQUIRE(u);
    char kept[UUID_STRLEN];
    snprintf(kept, sizeof(kept), "%s", u);
    CHECK(uuid5_valid(kept));
    CHECK_INT_EQ(xsa_stamp_uuids(xs, 0), 0);
    CHECK_STR_EQ(rd("/local/domain/0/backend/vscsi/%u/%u/vscsi-devs/dev-3/uuid", 18, 1), kept);
}

TEST(pdev_hctl_ignores_options)
{
    struct vscsi_hctl h;
    CHECK(xsa_pdev_hctl("2:0:1:0,ro,allow=firmware", &h));
    CHECK(h.host == 2 && h.channel == 0 && h.target == 1 && h.lun == 0);
    CHECK(xsa_pdev_hctl("2:0:1:3", &h));
    CHECK_INT_EQ(h.lun, 3);
    CHECK(!xsa_pdev_hctl("file:/srv/d.img,ro", &h));
    CHECK(!xsa_pdev_hctl("null", &h));
    CHECK(!xsa_pdev_hctl("2:0:1:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0,ro", &h));
}

TAP_MAIN(pdev_hctl_ignores_options, identities_written_and_never_reused, foreign_devices_stamped_once,
         first_lun_creates_the_whole_device, hot_add_to_connected_device_reconfigures,
         refusals_leave_nothing_written, detach_connected_lun_closes_and_reconfigures,
         detach_before_connect_removes_untaken_lun, stale_frontend_tree_replaced)

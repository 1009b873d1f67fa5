/*
 * The one home of xenstore access for every layer: bounded paths, the vscsi
 * layout (where a device's backend, frontend and LUN entries live), typed
 * reads and writes, gathers, and the names in it ("dev-N", domids, devids)
 * parsed with one set of bounds. As Linux's xenbus_read/xenbus_printf/
 * xenbus_gather on a device's nodename.
 *
 *   /local/domain/<be>/backend/vscsi/<domid>/<devid>/    backend directory
 *       vscsi-devs/dev-<N>/{p-dev,v-dev,state,p-devname} its LUNs
 *   /local/domain/<domid>/device/vscsi/<devid>/          frontend directory
 */
#ifndef PVSCSID_XSUTIL_H
#define PVSCSID_XSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#define XSU_PATH_MAX 256    /* xenstore's own limit on absolute paths */

/* Bounds of the names in the layout. Domain ids stop below
 * DOMID_FIRST_RESERVED (0x7ff0); "dev-N" leaves N + 1 representable (the
 * next free index). */
#define XSU_DOMID_MAX     0x7fefu
#define XSU_DEVID_MAX     UINT32_MAX
#define XSU_LUN_INDEX_MAX (UINT32_MAX - 1u)

/* ---- paths ---------------------------------------------------------------- */

/* printf into a path buffer. 0, or -ENAMETOOLONG (never a cut path). */
int xsu_path(char out[XSU_PATH_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* /local/domain/<domid> */
int xsu_domain_dir(char out[XSU_PATH_MAX], unsigned domid);
/* /local/domain/<be>/backend/vscsi */
int xsu_backend_root(char out[XSU_PATH_MAX], unsigned be);
/* /local/domain/<be>/backend/vscsi/<domid>/<devid> */
int xsu_backend_dir(char out[XSU_PATH_MAX], unsigned be, unsigned domid, unsigned devid);
/* /local/domain/<domid>/device/vscsi/<devid> */
int xsu_frontend_dir(char out[XSU_PATH_MAX], unsigned domid, unsigned devid);
/* <be_dir>/vscsi-devs, and <be_dir>/vscsi-devs/dev-<index> */
int xsu_luns_dir(char out[XSU_PATH_MAX], const char *be_dir);
int xsu_lun_dir(char out[XSU_PATH_MAX], const char *be_dir, unsigned index);

/* ---- names ---------------------------------------------------------------- */

/* Parses a whole unsigned decimal number up to max. */
bool xsu_parse_uint(const char *s, unsigned long max, unsigned long *out);
/* "dev-N" with N a decimal up to XSU_LUN_INDEX_MAX. */
bool xsu_parse_lun_name(const char *name, unsigned *index);
/* A domid (up to XSU_DOMID_MAX) or devid (up to XSU_DEVID_MAX) entry. */
bool xsu_parse_domid(const char *s, unsigned *domid);
bool xsu_parse_devid(const char *s, unsigned *devid);
/* Is `path` <root>/<domid>/<devid> or below it? Then its ids. */
bool xsu_parse_device_path(const char *path, const char *root, unsigned *domid,
                           unsigned *devid);

/* ---- reads and writes ----------------------------------------------------- */

/* 1 when the node exists, 0 when not, -errno when xenstore cannot tell. */
int xsu_exists(struct xs_handle *xs, xs_transaction_t t, const char *path);
/* Value of dir/key as a malloc'd NUL-terminated string, NULL (errno set,
 * ENOENT when absent) otherwise. */
char *xsu_read(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key);
/* Unsigned decimal value of dir/key; -1 when absent or not a number. */
long xsu_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key);
/* A xenbus state node (dir/key); XenbusStateUnknown when absent or not a
 * state, as Linux's xenbus_read_driver_state. */
int xsu_read_state(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key);
/* Writes dir/key = val. true on success (errno set otherwise). */
bool xsu_write(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
               const char *val);
/* Writes dir/key = printf(fmt, ...). */
bool xsu_printf(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Reads several nodes of dir at once, as xenbus_gather: (key, type, ptr)
 * triples ended by NULL. Types: XSU_UINT (unsigned long *, a whole decimal
 * up to UINT32_MAX) and XSU_STR (char **, malloc'd). 0 with every pointer
 * set; or -ENOENT (a node is missing), -EINVAL (a number is malformed),
 * -errno, with nothing set. At most 16 nodes.
 */
enum xsu_type { XSU_UINT = 1, XSU_STR };
int xsu_gather(struct xs_handle *xs, xs_transaction_t t, const char *dir, ...)
    __attribute__((sentinel));

/* Every vscsi device under backend/vscsi of domain be: its <domid>/<devid>
 * entries with valid names, malloc'd (*out NULL when there are none). The
 * count, or -errno (0 when backend/vscsi does not exist). */
struct xsu_device {
    unsigned domid, devid;
};
int xsu_devices(struct xs_handle *xs, xs_transaction_t t, unsigned be, struct xsu_device **out);

/* The indexes N of the "dev-N" entries of a device's vscsi-devs, in
 * ascending order, malloc'd (*out NULL when there are none). Entries of
 * other names are ignored. The count, or -errno (-ENOENT: no vscsi-devs). */
int xsu_lun_indexes(struct xs_handle *xs, xs_transaction_t t, const char *be_dir,
                    unsigned **out);

#endif

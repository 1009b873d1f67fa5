/* Small libxenstore helpers: bounded path building and typed reads. */
#ifndef PVSCSID_XSUTIL_H
#define PVSCSID_XSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <xenstore.h>

#define XSU_PATH_MAX 256    /* xenstore's own limit on absolute paths */

/* printf into a path buffer. 0, or -ENAMETOOLONG (never a cut path). */
int xsu_path(char out[XSU_PATH_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Value of dir/key as a malloc'd NUL-terminated string, NULL (errno set,
 * ENOENT when absent) otherwise. */
char *xsu_read(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key);

/* Unsigned decimal value of dir/key; -1 when absent or not a number. */
long xsu_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key);

/* Writes dir/key = val. true on success (errno set otherwise). */
bool xsu_write(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
               const char *val);

/* Parses a whole unsigned decimal number up to max. */
bool xsu_parse_uint(const char *s, unsigned long max, unsigned long *out);

#endif

#include "xsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xsu_path(char out[XSU_PATH_MAX], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(out, XSU_PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= XSU_PATH_MAX) {
        out[0] = '\0';
        return -ENAMETOOLONG;
    }
    return 0;
}

char *xsu_read(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key)
{
    char p[XSU_PATH_MAX];
    unsigned len;

    if (xsu_path(p, "%s/%s", dir, key) < 0) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    char *v = xs_read(xs, t, p, &len);
    if (v && strlen(v) != len) {    /* embedded NUL: not a value we wrote */
        free(v);
        errno = EINVAL;
        return NULL;
    }
    return v;
}

bool xsu_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || *s == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return false;
    unsigned long v = strtoul(s, NULL, 10);
    if (v > max)
        return false;
    *out = v;
    return true;
}

long xsu_read_uint(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key)
{
    char *v = xsu_read(xs, t, dir, key);
    unsigned long n;
    long r = v && xsu_parse_uint(v, 0x7fffffffUL, &n) ? (long)n : -1;
    free(v);
    return r;
}

bool xsu_write(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
               const char *val)
{
    char p[XSU_PATH_MAX];

    if (xsu_path(p, "%s/%s", dir, key) < 0) {
        errno = ENAMETOOLONG;
        return false;
    }
    return xs_write(xs, t, p, val, (unsigned)strlen(val));
}

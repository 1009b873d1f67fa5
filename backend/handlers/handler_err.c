#include "handler_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void handler_err(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    if (!err || err_len == 0)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        /* An encoding error: say so rather than leave err undefined. */
        static const char msg[] = "(unprintable error)";
        size_t m = sizeof(msg) - 1 < err_len - 1 ? sizeof(msg) - 1 : err_len - 1;
        memcpy(err, msg, m);
        err[m] = '\0';
        return;
    }
    if ((size_t)n >= err_len && err_len > 3)
        memcpy(err + err_len - 4, "...", 4);
}

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static enum log_level current = LOG_LVL_INFO;

void log_set_level(enum log_level level)
{
    current = level;
}

bool log_enabled(enum log_level level)
{
    return level <= current;
}

bool log_parse_level(const char *name, enum log_level *out)
{
    static const struct { const char *name; enum log_level level; } names[] = {
        {"error", LOG_LVL_ERR}, {"warn", LOG_LVL_WARN},
        {"info", LOG_LVL_INFO}, {"debug", LOG_LVL_DEBUG},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].level;
            return true;
        }
    }
    return false;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char line[1024];
    int n;
    if (getenv("JOURNAL_STREAM"))
        n = snprintf(line, sizeof(line), "<%d>", (int)level);
    else
        n = snprintf(line, sizeof(line), "pvscsid: %s: ",
                     level == LOG_LVL_ERR    ? "error"
                     : level == LOG_LVL_WARN ? "warning"
                     : level == LOG_LVL_INFO ? "info"
                                             : "debug");
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2) {
        /* Long lines are cut, and say so. */
        len = sizeof(line) - 2;
        memcpy(line + len - 3, "...", 3);
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;   /* nowhere left to report a failing stderr */
}

const char *log_device_name(char out[LOG_DEVICE_NAME_MAX], unsigned domid, unsigned devid)
{
    /* 6 + 10 + 1 + 10 characters at most: always fits. */
    snprintf(out, LOG_DEVICE_NAME_MAX, "vscsi-%u/%u", domid, devid);
    return out;
}

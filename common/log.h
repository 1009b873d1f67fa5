/* Leveled logging to stderr. Under systemd (JOURNAL_STREAM set) each line
 * carries a <N> priority prefix that journald turns into the entry's
 * priority; on a terminal lines get a level word instead. Thread-safe: one
 * write(2) per line. */
#ifndef PVSCSID_LOG_H
#define PVSCSID_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
/* "error", "warn", "info", "debug"; false for anything else. */
bool log_parse_level(const char *name, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How a vscsi device is named in every log line: "vscsi-<domid>/<devid>",
 * as xen-scsiback prefixes its messages with the device. Returns out. */
#define LOG_DEVICE_NAME_MAX 32
const char *log_device_name(char out[LOG_DEVICE_NAME_MAX], unsigned domid, unsigned devid);

#define log_err(...)  log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                      \
    do {                                                                    \
        if (log_enabled(LOG_LVL_DEBUG))                                     \
            log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                            \
    } while (0)

#endif

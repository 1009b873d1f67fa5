/* The one-line failure reason a handler's open() writes for the log and the
 * management API. */
#ifndef PVSCSID_HANDLER_ERR_H
#define PVSCSID_HANDLER_ERR_H

#include <stddef.h>

/* printf into err (if err_len > 0); a reason too long for err ends in
 * "..." so the cut is visible. */
void handler_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

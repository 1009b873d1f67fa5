/* Shared fixture of the xenstore tests: one private real xenstored for the
 * whole executable (started from the main thread), and domain entries as a
 * toolstack writes them. */
#ifndef PVSCSI_TEST_XSFIX_H
#define PVSCSI_TEST_XSFIX_H

#include <stdbool.h>
#include <xenstore.h>

/* The daemon (started on first use) and a handle on it; NULL on failure. */
struct xs_handle *xsfix_handle(void);
/* /local/domain/<domid>/{domid,name,vm} with vm = /vm/<uuid> (uuid may be
 * NULL: no vm key). true on success. */
bool xsfix_add_domain(unsigned domid, const char *name, const char *uuid);
/* Removes /local/domain/<domid> (the domain went away). */
bool xsfix_remove_domain(unsigned domid);
/* Writes or reads one value; read returns a static buffer or NULL. */
bool xsfix_write(const char *path, const char *val);
const char *xsfix_read(const char *path);
bool xsfix_exists(const char *path);

#endif

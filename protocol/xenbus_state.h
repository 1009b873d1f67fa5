/* xenbus device states (<xen/io/xenbus.h>) as read from and written to
 * xenstore: names for logs and strict parsing of the decimal value. */
#ifndef PVSCSI_PROTOCOL_XENBUS_STATE_H
#define PVSCSI_PROTOCOL_XENBUS_STATE_H

#include <xen/io/xenbus.h>

/* "Connected" etc.; "invalid" for values outside the enum. */
const char *vscsi_xenbus_state_name(int state);
/* Parses "0".."8" (no sign, no spaces; a trailing newline is refused).
 * 0 and the state, or -EINVAL. A missing node is the caller's business:
 * Linux treats it as XenbusStateUnknown. */
int vscsi_xenbus_state_parse(const char *s, enum xenbus_state *out);

#endif

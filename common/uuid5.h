/* Stable object identities: name-based (SHA-1, v5) UUIDs under pvscsid's
 * own namespace, so refs survive daemon restarts without a state file. */
#ifndef PVSCSID_UUID5_H
#define PVSCSID_UUID5_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_STRLEN 37   /* 36 characters and NUL */

/* v5 UUID of the printf-formatted name. 0, or -ENAMETOOLONG if the name
 * does not fit the internal buffer (never hashed truncated). */
int uuid5_make(char out[UUID_STRLEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A random (v4) UUID, for session refs. */
void uuid5_random(char out[UUID_STRLEN]);

/* true if s is exactly a 36-character UUID. */
bool uuid5_valid(const char *s);

/*
 * The host's UUID: v5 of the first line of machine_id_path (normally
 * /etc/machine-id), so it is stable for this installation. 0 or -errno.
 */
int uuid5_host(const char *machine_id_path, char out[UUID_STRLEN]);

#endif

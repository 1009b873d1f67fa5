/*
 * The state directory (/run/pvscsid by default, tmpfs): what outlives one
 * pvscsid process so the next takes over its rings. Holds the instance
 * lock (one pvscsid per directory: two would serve the same rings) and
 * the ring journals (ring_journal.h).
 */
#ifndef PVSCSID_STATE_DIR_H
#define PVSCSID_STATE_DIR_H

#include <stdbool.h>

/* Creates dir if needed and takes its lock for this process's lifetime
 * (the fd, kept open; close-on-exec). -1 when another process holds it
 * (logged with that process's pid) or on error. */
int state_dir_lock(const char *dir);

/* Removes the journals of rings whose device `known` does not know (the
 * device went away while no pvscsid ran). */
void state_dir_forget_journals(const char *dir,
                               bool (*known)(void *ctx, unsigned domid, unsigned devid),
                               void *ctx);

#endif

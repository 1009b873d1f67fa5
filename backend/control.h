/*
 * The control thread: watches backend/vscsi under our domain in xenstore,
 * creates a device for each <domid>/<devid> that appears, feeds every watch
 * event to the device it concerns, notices dying domains, and shuts down
 * cleanly on SIGTERM/SIGINT (draining every ring).
 */
#ifndef PVSCSID_CONTROL_H
#define PVSCSID_CONTROL_H

#include "config.h"

/* Runs until SIGTERM/SIGINT. Returns 0 on a clean shutdown, 1 on error. */
int control_run(const struct pvscsid_config *cfg);

#endif

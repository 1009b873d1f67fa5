/*
 * Trial open of a p-dev, for the management API: would the daemon be able
 * to serve this LUN? Opens it with the handler that would serve it, with
 * the daemon's settings, and closes it at once. An sg node opened O_EXCL
 * is closed before the real open (which waits ~200 ms for short-lived
 * openers such as this one).
 */
#ifndef PVSCSID_LUN_PROBE_H
#define PVSCSID_LUN_PROBE_H

#include <stddef.h>

#include "config.h"
#include "lun.h"

/* The handler parameters the daemon opens LUNs with. */
struct lun_params lun_params_of(const struct pvscsid_config *cfg);

/* 0, or -errno with the handler's one-line reason in err. */
int lun_probe(const struct pvscsid_config *cfg, const char *pdev, char *err, size_t err_len);

#endif

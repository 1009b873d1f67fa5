/*
 * Opening a p-dev as a LUN, with its options; and a trial open for the
 * management API: would the daemon be able to serve this LUN? Opens it
 * with the handler that would serve it, with the daemon's settings, and
 * closes it at once. An sg node opened O_EXCL
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

/*
 * Opens a LUN from its p-dev as written in xenstore: the policy options
 * (policy_spec.h) are taken off before the handler sees the p-dev, and
 * with those of the configuration's [lun:<p-dev>] rule make the LUN's
 * policy (lun->policy): the defaults for passthrough, `ro` opening an
 * emulated disk read-only. `name` is what the policy's log lines call the
 * LUN (NULL: the p-dev). base: the handler parameters (lun_params_of()
 * plus the caller's). 0, or -errno with a one-line reason in err.
 */
int lun_open_pdev(const struct pvscsid_config *cfg, const char *pdev,
                  const struct lun_params *base, const char *name, struct lun **out, char *err,
                  size_t err_len);

/* 0, or -errno with the handler's one-line reason in err. */
int lun_probe(const struct pvscsid_config *cfg, const char *pdev, char *err, size_t err_len);

#endif

/* Command line of pvscsid. */
#ifndef PVSCSID_OPTIONS_H
#define PVSCSID_OPTIONS_H

#include "config.h"
#include "log.h"

/* Fills cfg and *level from argv. Returns -1 to go on, else the exit code
 * (0 after --help/--version, 2 after a usage error, message printed). */
int options_parse(int argc, char **argv, struct pvscsid_config *cfg, enum log_level *level);

#endif

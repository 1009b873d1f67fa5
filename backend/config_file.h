/*
 * /etc/pvscsid/pvscsid.conf: the daemon's settings in INI form (parsed with
 * Debian's libinih). The command line overrides the file. Documented in
 * pvscsid.conf.example and pvscsid(8).
 *
 *   [daemon]  workers, datapath, max-segments, block-size, backend-domid,
 *             sysfs-root, log-level
 *   [mgmt]    enabled, socket, tcp, password-file
 *   [vm:<name or uuid>]  lun = <p-dev> <h:c:t:l>  (repeatable; autoattach.h)
 */
#ifndef PVSCSID_CONFIG_FILE_H
#define PVSCSID_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "log.h"

#define PVSCSID_DEFAULT_CONFIG "/etc/pvscsid/pvscsid.conf"

/* Applies the file to cfg/level. 0; -ENOENT when the file does not exist
 * (the caller decides whether that matters); -EINVAL with a message naming
 * the line in err. */
int config_file_load(const char *path, struct pvscsid_config *cfg, enum log_level *level,
                     char *err, size_t err_len);
/* Frees the strings the file provided (at exit). */
void config_file_free(void);
/* And the auto-attach rules it added to cfg. */
void config_file_release(struct pvscsid_config *cfg);

#endif

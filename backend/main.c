/* pvscsid: a userspace Xen pvSCSI backend. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config_file.h"
#include "control.h"
#include "log.h"
#include "options.h"

int main(int argc, char **argv)
{
    struct pvscsid_config cfg;
    enum log_level level;
    int rc = options_parse(argc, argv, &cfg, &level);
    if (rc >= 0) {
        config_file_release(&cfg);
        return rc;
    }
    log_set_level(level);
    /* Detached, stderr stays where the caller pointed it (a log file). */
    if (!cfg.foreground && daemon(0, 1) < 0) {
        log_err("daemon: %s", strerror(errno));
        config_file_release(&cfg);
        return 1;
    }
    rc = control_run(&cfg);
    config_file_release(&cfg);
    return rc;
}

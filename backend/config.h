/* Daemon settings, from the command line (backend/options.c). */
#ifndef PVSCSID_CONFIG_H
#define PVSCSID_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define PVSCSID_DEFAULT_STATE_DIR "/run/pvscsid"
#define PVSCSID_DEFAULT_STOP_TIMEOUT_S 60

struct autoattach_rule;
struct lun_policy_rule;

enum datapath_mode {
    DATAPATH_COPY,   /* grant copy into per-slot buffers (default) */
    DATAPATH_MAP,    /* map the guest's pages for the duration of a command */
};

struct pvscsid_config {
    unsigned workers;            /* I/O threads, each with its own io_uring */
    enum datapath_mode datapath;
    unsigned max_segments;       /* advertised in feature-sg-grant */
    uint16_t backend_domid;      /* our own domain: backend/vscsi lives under it */
    const char *sysfs_root;      /* "/sys"; tests point at a fake tree */
    uint32_t block_size;         /* emulated disks (file:, null:) */
    uint32_t cmd_timeout_s;      /* passthrough default when the guest gives
                                    none; 0: 30 s disks, 3 h everything else */
    const char *state_dir;       /* ring journals, the instance lock
                                    ("/run/pvscsid"; "" = no journals) */
    uint32_t stop_timeout_s;     /* SIGTERM: how long in-flight commands
                                    may take before the handover */
    bool foreground;
    bool mgmt;                   /* management API on (default) */
    const char *mgmt_socket;     /* NULL: mgmt's default (/run/pvscsid/xapi.sock) */
    const char *mgmt_tcp;        /* "host:port" for TCP too; NULL: Unix socket only */
    const char *mgmt_password_file;
    struct autoattach_rule *autoattach;   /* [vm:<name>] sections */
    struct lun_policy_rule *lun_policies; /* [lun:<p-dev>] sections (policy_rules.h) */
};

#endif

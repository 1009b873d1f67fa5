/* The management service's shared state: what every RPC handler reads.
 * One lock serialises handlers (listener threads are few, calls short). */
#ifndef PVSCSI_MGMT_CORE_H
#define PVSCSI_MGMT_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <xenstore.h>

#include "login_limit.h"
#include "mgmt.h"
#include "pscsi.h"
#include "session.h"
#include "stats.h"
#include "uuid5.h"

/* The listener a call came in on (who may do what differs). Each has its
 * own sessions: one made on the Unix socket (no password) is no session
 * on TCP. */
enum rpc_transport { RPC_UNIX, RPC_TCP, RPC_NTRANSPORTS };

#define CORE_SESSIONS 1024          /* per listener */
#define CORE_SESSIONS_PER_PEER 32   /* one peer's at most; it loses its own oldest */
#define CORE_TCP_USER "root"        /* the user name TCP logins must give */

#define CORE_SEEN_VMS 256   /* VMs remembered after they stop */

struct core_seen_vm {
    char uuid[UUID_STRLEN];
    char name[64];
};

struct mgmt_core {
    pthread_mutex_t lock;
    char *sysfs_root, *dev_root;
    char host_uuid[UUID_STRLEN];
    char hostname[256];
    unsigned be_domid;
    struct pscsi_set pscsi;
    atomic_bool pscsi_stale;        /* devices changed: rescan before the next call */
    struct xs_handle *xs;
    struct session_table *sessions[RPC_NTRANSPORTS];
    struct login_limit login_limit; /* failed TCP logins, per address */
    struct mgmt_hooks hooks;
    char *tcp_password;             /* NULL: no TCP listener */
    struct stats_sample *samples;   /* per ring, for "recent" rates (stats.c) */
    size_t nsamples;
    struct core_seen_vm seen[CORE_SEEN_VMS];
    size_t nseen, seen_next;        /* ring of remembered VMs */
};

/* Fills c from cfg (scans PSCSIs, opens xenstore). 0 or -errno with err. */
int core_init(struct mgmt_core *c, const struct mgmt_config *cfg,
              const struct mgmt_hooks *hooks, char *err, size_t errlen);
void core_fini(struct mgmt_core *c);
/* Rescans sysfs; on failure keeps the old set. 0 or -errno. */
int core_rescan(struct mgmt_core *c);
/* Remembers a running VM so its ref still resolves (Halted) once gone. */
void core_remember_vm(struct mgmt_core *c, const char *uuid, const char *name);
const struct core_seen_vm *core_seen_vm(const struct mgmt_core *c, const char *uuid);

#endif

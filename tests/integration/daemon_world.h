/*
 * A world for daemon tests: the hypervisor simulator, a private real
 * xenstored, and the real pvscsid (built as pvscsid-sim: the daemon's own
 * sources linked to the simulator) running as a child process.
 *
 *   struct daemon_world w;
 *   REQUIRE(world_start(&w, NULL) == 0);         // extra daemon args or NULL
 *   struct simguest *g = simguest_create(5, 1024, 0);
 *   world_add_device(&w, 5, 0, luns, n);         // as a toolstack would
 *   ...
 *   CHECK_INT_EQ(world_stop(&w), 0);             // SIGTERM: clean exit
 */
#ifndef PVSCSI_DAEMON_WORLD_H
#define PVSCSI_DAEMON_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "simfront.h"
#include "toolstack.h"

struct xs_handle;
struct xs_harness;

#define WORLD_MAX_ARGS 32

struct daemon_world {
    struct xs_harness *xsh;
    struct xs_handle *xs;
    pid_t pid;
    char tmpdir[64];          /* scratch files (backing files of LUNs) */
    char sock[96];            /* its management socket */
    char state_dir[96];       /* its --state-dir (ring journals) */
    char log_path[96];        /* its stderr when world_capture_log */
    const char *argv[WORLD_MAX_ARGS];
    int notify_fd;            /* the daemon's sd_notify socket (we play systemd) */
};

/* Set before world_start: the daemon runs under a 1 s systemd watchdog. */
extern bool world_watchdog;
/* Set before world_start: the daemon's stderr goes to w->log_path (and
 * into the test's output at world_stop), so a test can read it. */
extern bool world_capture_log;

/* Lines of the captured log (world_capture_log) containing needle; 0
 * when there is no log. */
int world_log_count(const struct daemon_world *w, const char *needle);

/* Starts simulator, xenstored and the daemon (with "-f -w 2" and extra,
 * a NULL-terminated list) under a NOTIFY_SOCKET, as systemd would, and waits for its READY=1. 0 or -1 (reason on stderr). */
int world_start(struct daemon_world *w, const char *const *extra);
/* SIGTERM to the daemon; returns its exit status (0 clean; sanitizer
 * reports make it non-zero), or -1 if it had to be killed. Then stops
 * xenstored and removes the simulator. */
int world_stop(struct daemon_world *w);
/* SIGTERM to the daemon only (the world stays): its exit status, or -1. */
int world_stop_daemon_only(struct daemon_world *w);
/* Stops the daemon (SIGTERM, or SIGKILL when crash) and starts it again
 * with the same arguments, in the same world; waits for READY=1. The old
 * daemon's exit status (0 for a crash), or -1 when the new one did not
 * start. */
int world_restart_daemon(struct daemon_world *w, bool crash);
/* Starts the daemon again after world_stop_daemon_only (or a kill), with
 * the same arguments; waits for READY=1. 0 or -1. */
int world_spawn_daemon(struct daemon_world *w);
/* SIGKILL to the daemon (a crash); the world stays. */
void world_kill_daemon(struct daemon_world *w);
/* Waits for a notification message containing `what` (e.g. "WATCHDOG=1").
 * 0 or -1 on timeout. */
int world_wait_notify(struct daemon_world *w, const char *what, int timeout_ms);
/* Runs `$PVSCSICTL --socket sock args` (the CLI against the daemon's
 * management socket); its output (stdout and stderr) in out. Its exit
 * status, or -1. */
int world_ctl(const char *sock, const char *args, char *out, size_t size);
/* True while the daemon process runs. */
bool world_daemon_alive(struct daemon_world *w);

/* A file of `size` bytes in the world's scratch dir; writes its "file:" p-dev
 * into pdev. 0 or -1. */
int world_make_file(struct daemon_world *w, const char *name, uint64_t size, char *pdev,
                    size_t pdev_size);

/* Toolstack + guest probe + wait for Connected. NULL on failure. */
struct simfront *world_attach(struct daemon_world *w, struct simguest *g, uint32_t devid,
                              const struct toolstack_lun *luns, int n);
/* The backend's dev-N state (-1 when missing). */
int world_lun_state(struct daemon_world *w, uint16_t domid, uint32_t devid, unsigned index);
/* Waits until dev-N reaches `state` (or is gone when state < 0). 0 or -1. */
int world_wait_lun_state(struct daemon_world *w, uint16_t domid, uint32_t devid,
                         unsigned index, int state, int timeout_ms);

#endif

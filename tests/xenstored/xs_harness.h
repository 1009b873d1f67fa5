/*
 * A private, real xenstored per test: the Debian C daemon run unmodified
 * under the LD_PRELOAD shim xsshim.so (no hypervisor needed), listening on
 * a Unix socket in its own fresh directory /tmp/xs.XXXXXX.
 *
 *   struct xs_harness *h = xs_harness_start();   // XENSTORED_PATH now set
 *   struct xs_handle *xs = xs_open(0);            // reaches h
 *   ...
 *   xs_close(xs);
 *   xs_harness_stop(h);
 *
 * Environment read at start:
 *   XENSTORED_BIN  daemon to run (default /usr/lib/xen-4.17/bin/xenstored)
 *   XSSHIM         shim to preload (default: the one built with the tree)
 *   XS_HARNESS_TRACE=1  xenstored -T DIR/trace: logs all its traffic
 *   XS_HARNESS_KEEP=1   stop leaves DIR (log, trace) for a post-mortem
 *
 * The daemon gets PR_SET_PDEATHSIG(SIGKILL): it dies when the thread that
 * called xs_harness_start() exits, so start it from a long-lived thread
 * (normally the test's main thread). Not async-signal-safe; uses setenv().
 */
#ifndef PVSCSI_XS_HARNESS_H
#define PVSCSI_XS_HARNESS_H

#include <sys/types.h>

struct xs_handle;
struct xs_harness;

/*
 * Starts a private xenstored in a fresh temp dir and waits (bounded) until it
 * answers; sets XENSTORED_PATH (overwriting) to its socket so xs_open() in
 * this process and its children reach it; then writes what a real dom0 has
 * besides what xenstored creates itself: /local/domain/0/domid = "0" and
 * /local/domain/0/name = "Domain-0". Returns NULL with a message (and the
 * daemon's output) on stderr on failure; never leaves a daemon behind.
 */
struct xs_harness *xs_harness_start(void);

/* The daemon's socket path (what XENSTORED_PATH was set to). */
const char *xs_harness_socket(const struct xs_harness *h);

/* Its private directory (holds socket, pid file and the daemon's output). */
const char *xs_harness_dir(const struct xs_harness *h);

/* The daemon's pid. */
pid_t xs_harness_pid(const struct xs_harness *h);

/*
 * Points XENSTORED_PATH at h and opens a libxenstore handle on it: for tests
 * running several instances side by side. NULL with errno on failure.
 */
struct xs_handle *xs_harness_open(const struct xs_harness *h);

/*
 * Kills the daemon (SIGTERM, SIGKILL after a bounded wait), reaps it and
 * removes its directory. Says so on stderr, with the daemon's output, if it
 * had died by itself. Unsets XENSTORED_PATH if it still names this
 * instance. Accepts NULL.
 */
void xs_harness_stop(struct xs_harness *h);

#endif

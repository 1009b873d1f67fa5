/*
 * I/O worker threads. Each owns one io_uring and the rings attached to it:
 * their event channel fds are polled through that io_uring, handler I/O is
 * submitted to it, and nothing else touches those rings while attached.
 * The control thread talks to a worker with synchronous calls (a message
 * queue plus an eventfd the worker polls), so LUN tables and ring state
 * need no locks.
 */
#ifndef PVSCSID_WORKER_H
#define PVSCSID_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "ring_state.h"

struct worker;

/*
 * Where workers report rings they have finished detaching asynchronously:
 * the control thread polls `efd` and takes the list, so a ring draining a
 * long command (a tape rewind, a dead guest's I/O) never blocks xenstore
 * handling for everyone else.
 */
struct detach_sink {
    pthread_mutex_t lock;
    int efd;                       /* eventfd, readable when rings are done */
    struct ring_state *done;       /* linked through ring_state.next */
};
int detach_sink_init(struct detach_sink *sink);
void detach_sink_destroy(struct detach_sink *sink);
/* Takes the finished rings (clears the eventfd). */
struct ring_state *detach_sink_take(struct detach_sink *sink);

/* Starts a worker thread. NULL (errno set) on failure. */
struct worker *worker_start(unsigned id, const struct pvscsid_config *cfg);
/* Stops the thread; every ring must have been detached. */
void worker_stop(struct worker *w);

/* Hands a connected ring to the worker, which starts serving it. */
void worker_attach(struct worker *w, struct ring_state *rs);
/* Takes the ring back once every request on it has finished. answer:
 * write their responses (frontend closing) or drop them (guest gone). */
void worker_detach(struct worker *w, struct ring_state *rs, bool answer);
/* Starts taking the ring back and returns at once; the ring appears in
 * `sink` once every request on it has finished. */
void worker_detach_async(struct worker *w, struct ring_state *rs, bool answer,
                         struct detach_sink *sink);
/* Adds a LUN to an attached ring. 0, -EEXIST, -ENOSPC, -ENOMEM. */
int worker_add_lun(struct worker *w, struct ring_state *rs, unsigned index,
                   const struct vscsi_hctl *vdev, struct lun *lun);
/* Removes dev-N: new commands for it get NO_CONNECT at once, the call
 * returns when its running commands have finished, with the handler for
 * the caller to close (NULL if there was no such LUN). */
struct lun *worker_remove_lun(struct worker *w, struct ring_state *rs, unsigned index);
/* True when dev-N is in the ring's LUN table (and not being removed). */
bool worker_has_lun(struct worker *w, struct ring_state *rs, unsigned index);
/* Sets the ring's limits (0: none), live. */
void worker_set_qos(struct worker *w, struct ring_state *rs, uint64_t iops, uint64_t bps);
/* Returns once the worker has handled a message (liveness, watchdog). */
void worker_ping(struct worker *w);

#endif

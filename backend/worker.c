#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dispatch.h"
#include "log.h"
#include "worker.h"

#define URING_ENTRIES 256

enum msg_type {
    MSG_ATTACH,
    MSG_DETACH,
    MSG_ADD_LUN,
    MSG_REMOVE_LUN,
    MSG_HAS_LUN,
    MSG_PING,
    MSG_SET_QOS,
    MSG_STOP,
};

struct worker_msg {
    enum msg_type type;
    struct ring_state *rs;
    bool answer;
    unsigned index;
    struct vscsi_hctl vdev;
    struct lun *lun;               /* in: ADD; out: REMOVE */
    struct lun_entry *entry;       /* REMOVE: the entry being drained */
    uint64_t iops, bps;            /* SET_QOS */
    int result;
    bool done;
    struct detach_sink *sink;      /* async DETACH: report here, free msg */
    struct worker_msg *next;
};

struct worker {
    unsigned id;
    const struct pvscsid_config *cfg;
    pthread_t thread;
    int start_result;              /* the thread's io_uring setup: 0 or -errno */
    bool start_done;
    struct io_uring uring;
    int wake_fd;
    struct uring_tag wake_tag;
    uint64_t wake_buf;
    bool wake_armed;
    bool stopping;
    struct ring_state *rings;      /* attached rings */
    pthread_mutex_t lock;          /* queue and done flags */
    pthread_cond_t cond;
    struct worker_msg *queue;
};

/* ---- detach sink ----------------------------------------------------------- */

int detach_sink_init(struct detach_sink *sink)
{
    sink->done = NULL;
    sink->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sink->efd < 0)
        return -errno;
    pthread_mutex_init(&sink->lock, NULL);
    return 0;
}

void detach_sink_destroy(struct detach_sink *sink)
{
    close(sink->efd);
    pthread_mutex_destroy(&sink->lock);
}

static void detach_sink_push(struct detach_sink *sink, struct ring_state *rs)
{
    pthread_mutex_lock(&sink->lock);
    rs->next = sink->done;
    sink->done = rs;
    pthread_mutex_unlock(&sink->lock);
    uint64_t one = 1;
    if (write(sink->efd, &one, sizeof(one)) != sizeof(one))
        log_err("detach sink: %s", strerror(errno));
}

struct ring_state *detach_sink_take(struct detach_sink *sink)
{
    uint64_t n;
    if (read(sink->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        log_err("detach sink: %s", strerror(errno));
    pthread_mutex_lock(&sink->lock);
    struct ring_state *list = sink->done;
    sink->done = NULL;
    pthread_mutex_unlock(&sink->lock);
    return list;
}

/* ---- control thread side --------------------------------------------------- */

static void post(struct worker *w, struct worker_msg *m)
{
    m->done = false;
    pthread_mutex_lock(&w->lock);
    m->next = w->queue;
    w->queue = m;
    pthread_mutex_unlock(&w->lock);
    uint64_t one = 1;
    if (write(w->wake_fd, &one, sizeof(one)) != sizeof(one))
        log_err("worker %u: wake: %s", w->id, strerror(errno));
}

static void call(struct worker *w, struct worker_msg *m)
{
    post(w, m);
    pthread_mutex_lock(&w->lock);
    while (!m->done)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void worker_attach(struct worker *w, struct ring_state *rs)
{
    struct worker_msg m = {.type = MSG_ATTACH, .rs = rs};
    call(w, &m);
}

void worker_detach(struct worker *w, struct ring_state *rs, bool answer)
{
    struct worker_msg m = {.type = MSG_DETACH, .rs = rs, .answer = answer};
    call(w, &m);
}

void worker_detach_async(struct worker *w, struct ring_state *rs, bool answer,
                         struct detach_sink *sink)
{
    struct worker_msg *m = calloc(1, sizeof(*m));
    if (!m) {
        /* No memory for a message: fall back to waiting. */
        worker_detach(w, rs, answer);
        detach_sink_push(sink, rs);
        return;
    }
    *m = (struct worker_msg){.type = MSG_DETACH, .rs = rs, .answer = answer, .sink = sink};
    post(w, m);
}

int worker_add_lun(struct worker *w, struct ring_state *rs, unsigned index,
                   const struct vscsi_hctl *vdev, struct lun *lun)
{
    struct worker_msg m = {.type = MSG_ADD_LUN, .rs = rs, .index = index, .vdev = *vdev,
                           .lun = lun};
    call(w, &m);
    return m.result;
}

struct lun *worker_remove_lun(struct worker *w, struct ring_state *rs, unsigned index)
{
    struct worker_msg m = {.type = MSG_REMOVE_LUN, .rs = rs, .index = index};
    call(w, &m);
    return m.lun;
}

void worker_set_qos(struct worker *w, struct ring_state *rs, uint64_t iops, uint64_t bps)
{
    struct worker_msg m = {.type = MSG_SET_QOS, .rs = rs, .iops = iops, .bps = bps};
    call(w, &m);
}

void worker_ping(struct worker *w)
{
    struct worker_msg m = {.type = MSG_PING};
    call(w, &m);
}

bool worker_has_lun(struct worker *w, struct ring_state *rs, unsigned index)
{
    struct worker_msg m = {.type = MSG_HAS_LUN, .rs = rs, .index = index};
    call(w, &m);
    return m.result != 0;
}

/* ---- worker thread side ------------------------------------------------------ */

static void msg_done(struct worker *w, struct worker_msg *m)
{
    pthread_mutex_lock(&w->lock);
    m->done = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Arms the ring's event channel poll; on failure after_batch retries. */
static void arm_poll(struct worker *w, struct ring_state *rs)
{
    if (rs->poll_armed || rs->detaching)
        return;
    struct io_uring_sqe *sqe = lun_get_sqe(&w->uring);
    if (!sqe) {
        log_warn("%s: no SQE for the event channel poll; retrying", rs->name);
        return;
    }
    io_uring_prep_poll_add(sqe, xenevtchn_fd(rs->evtchn), POLLIN);
    io_uring_sqe_set_data(sqe, &rs->evtchn_tag);
    rs->poll_armed = true;
}

/* Asks for the armed poll to end (its CQE then says -ECANCELED). */
static void cancel_poll(struct worker *w, struct ring_state *rs)
{
    if (!rs->poll_armed || rs->poll_cancelling)
        return;
    struct io_uring_sqe *sqe = lun_get_sqe(&w->uring);
    if (!sqe)
        return;   /* after_batch tries again */
    io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&rs->evtchn_tag);
    io_uring_sqe_set_data(sqe, NULL);
    rs->poll_cancelling = true;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A throttled ring (qos.h) is looked at again when its tokens are back. */
static void arm_qos_timer(struct worker *w, struct ring_state *rs)
{
    if (rs->qos_timer_armed || !rs->qos.wake_ns || rs->detaching)
        return;
    struct io_uring_sqe *sqe = lun_get_sqe(&w->uring);
    if (!sqe)
        return;   /* after_batch tries again */
    uint64_t now = now_ns(), wait = rs->qos.wake_ns > now ? rs->qos.wake_ns - now : 0;
    rs->qos_ts = (struct __kernel_timespec){.tv_sec = (long long)(wait / 1000000000u),
                                            .tv_nsec = (long long)(wait % 1000000000u)};
    io_uring_prep_timeout(sqe, &rs->qos_ts, 0, 0);
    io_uring_sqe_set_data(sqe, &rs->qos_tag);
    rs->qos_timer_armed = true;
}

static void cancel_qos_timer(struct worker *w, struct ring_state *rs)
{
    if (!rs->qos_timer_armed || rs->qos_timer_cancelling)
        return;
    struct io_uring_sqe *sqe = lun_get_sqe(&w->uring);
    if (!sqe)
        return;   /* after_batch tries again */
    io_uring_prep_timeout_remove(sqe, (uint64_t)(uintptr_t)&rs->qos_tag, 0);
    io_uring_sqe_set_data(sqe, NULL);
    rs->qos_timer_cancelling = true;
}

static void arm_wake(struct worker *w)
{
    struct io_uring_sqe *sqe = lun_get_sqe(&w->uring);
    if (!sqe) {
        log_warn("worker %u: no SQE for the wake read; retrying", w->id);
        return;
    }
    io_uring_prep_read(sqe, w->wake_fd, &w->wake_buf, sizeof(w->wake_buf), 0);
    io_uring_sqe_set_data(sqe, &w->wake_tag);
    w->wake_armed = true;
}

static void ring_list_remove(struct worker *w, struct ring_state *rs)
{
    for (struct ring_state **p = &w->rings; *p; p = &(*p)->next) {
        if (*p == rs) {
            *p = rs->next;
            rs->next = NULL;
            return;
        }
    }
}

/* Event channel: take the pending port, unmask, serve the ring. The
 * ring's handle has one port, which stays masked from its event until the
 * unmask: one read finds it, a second would only say "nothing". */
static void on_evtchn(struct worker *w, struct ring_state *rs)
{
    rs->poll_armed = false;
    xenevtchn_port_or_error_t port = xenevtchn_pending(rs->evtchn);
    if (port >= 0 && xenevtchn_unmask(rs->evtchn, (evtchn_port_t)port) < 0)
        log_warn("%s: unmask: %s", rs->name, strerror(errno));
    if (rs->detaching) {
        /* Drained? Then the detach can finish (see check_waiters). */
        return;
    }
    dispatch_ring(rs, &w->uring);
    arm_poll(w, rs);
}

static void handle_msg(struct worker *w, struct worker_msg *m)
{
    struct ring_state *rs = m->rs;
    switch (m->type) {
    case MSG_ATTACH:
        rs->worker = w;
        rs->next = w->rings;
        w->rings = rs;
        rs->detaching = false;
        rs->detach_waiter = NULL;
        rs->poll_armed = false;
        rs->poll_cancelling = false;
        /* Requests taken over from the previous pvscsid first, then those
         * queued already; then wait. */
        dispatch_restarted(rs, &w->uring);
        dispatch_ring(rs, &w->uring);
        arm_poll(w, rs);
        msg_done(w, m);
        return;
    case MSG_DETACH:
        rs->detaching = true;
        rs->answer_on_detach = m->answer;
        rs->detach_waiter = m;
        /* The poll's CQE (-ECANCELED or a last event) ends it. */
        cancel_poll(w, rs);
        return;   /* finished by after_batch */
    case MSG_ADD_LUN:
        m->result = ring_state_add_lun(rs, m->index, &m->vdev, m->lun);
        msg_done(w, m);
        return;
    case MSG_REMOVE_LUN: {
        struct lun_entry *e = ring_state_find_index(rs, m->index);
        if (!e) {
            m->lun = NULL;
            msg_done(w, m);
            return;
        }
        e->remove_waiter = m;
        m->entry = e;
        return;   /* finished by after_batch */
    }
    case MSG_PING:
        msg_done(w, m);
        return;
    case MSG_SET_QOS:
        qos_set(&rs->qos, m->iops, m->bps, now_ns());
        /* Requests held back by the old limits go now, or by the new. */
        dispatch_ring(rs, &w->uring);
        msg_done(w, m);
        return;
    case MSG_HAS_LUN:
        m->result = ring_state_find_index(rs, m->index) != NULL;
        msg_done(w, m);
        return;
    case MSG_STOP:
        w->stopping = true;
        msg_done(w, m);
        return;
    }
}

static void take_messages(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    struct worker_msg *list = w->queue;
    w->queue = NULL;
    pthread_mutex_unlock(&w->lock);
    /* The queue is LIFO; handle in arrival order. */
    struct worker_msg *rev = NULL;
    while (list) {
        struct worker_msg *n = list->next;
        list->next = rev;
        rev = list;
        list = n;
    }
    while (rev) {
        struct worker_msg *n = rev->next;
        handle_msg(w, rev);
        rev = n;
    }
}

/* After a batch: publish responses, finish detaches and LUN removals whose
 * commands have drained. */
static void after_batch(struct worker *w)
{
    struct ring_state *rs = w->rings;
    if (!w->wake_armed && !w->stopping)
        arm_wake(w);
    while (rs) {
        struct ring_state *next = rs->next;
        dispatch_flush(rs);
        /* Retries of SQEs that could not be had earlier. */
        if (rs->detaching) {
            cancel_poll(w, rs);
            cancel_qos_timer(w, rs);
        } else {
            arm_poll(w, rs);
            arm_qos_timer(w, rs);
        }
        for (unsigned i = 0; i < rs->nr_luns;) {
            struct lun_entry *e = rs->luns[i];
            if (e->remove_waiter && e->inflight == 0) {
                struct worker_msg *m = e->remove_waiter;
                m->lun = e->lun;
                ring_state_drop_lun(rs, e);   /* moves the last entry here */
                msg_done(w, m);
                continue;
            }
            i++;
        }
        if (rs->detaching && rs->detach_waiter && RING_COUNTER_GET(rs->inflight) == 0 &&
            !rs->poll_armed && !rs->qos_timer_armed) {
            struct worker_msg *m = rs->detach_waiter;
            rs->detach_waiter = NULL;
            ring_list_remove(w, rs);
            rs->worker = NULL;
            if (m->sink) {
                struct detach_sink *sink = m->sink;
                free(m);
                detach_sink_push(sink, rs);
            } else {
                msg_done(w, m);
            }
        }
        rs = next;
    }
}

static void handle_cqe(struct worker *w, struct io_uring_cqe *cqe)
{
    struct uring_tag *tag = io_uring_cqe_get_data(cqe);
    if (!tag)
        return;   /* poll removals */
    switch (tag->kind) {
    case URING_TAG_LUN_CMD:
        dispatch_cmd_cqe((struct lun_cmd *)((char *)tag - offsetof(struct lun_cmd, tag)), cqe,
                         &w->uring);
        return;
    case URING_TAG_LUN: {
        struct lun *lun = (struct lun *)((char *)tag - offsetof(struct lun, tag));
        lun->ops->event(lun, cqe, &w->uring);
        return;
    }
    case URING_TAG_EVTCHN: {
        struct ring_state *rs =
            (struct ring_state *)((char *)tag - offsetof(struct ring_state, evtchn_tag));
        if (cqe->res < 0 && cqe->res != -ECANCELED)
            log_warn("%s: event channel poll: %s", rs->name, strerror(-cqe->res));
        if (cqe->res == -ECANCELED || rs->detaching) {
            rs->poll_armed = false;
            rs->poll_cancelling = false;
            return;
        }
        on_evtchn(w, rs);
        return;
    }
    case URING_TAG_QOS: {
        struct ring_state *rs =
            (struct ring_state *)((char *)tag - offsetof(struct ring_state, qos_tag));
        rs->qos_timer_armed = false;
        rs->qos_timer_cancelling = false;
        rs->qos.wake_ns = 0;
        if (cqe->res == -ETIME)   /* expired, not removed */
            dispatch_ring(rs, &w->uring);
        return;
    }
    case URING_TAG_WAKE:
        w->wake_armed = false;
        if (cqe->res < 0)
            log_err("worker %u: wake read: %s", w->id, strerror(-cqe->res));
        take_messages(w);
        if (!w->stopping)
            arm_wake(w);
        return;
    }
}

/* The worker's io_uring, made by the thread that alone submits to it: the
 * kernel then needs no locking for it (SINGLE_ISSUER) and runs completion
 * work only when the thread asks for events (DEFER_TASKRUN), not by
 * interrupting it. Kernels before 6.1 lack these: a plain ring then. */
static int setup_uring(struct worker *w)
{
    struct io_uring_params p = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
    int r = io_uring_queue_init_params(URING_ENTRIES, &w->uring, &p);
    if (r == -EINVAL)
        r = io_uring_queue_init(URING_ENTRIES, &w->uring, 0);
    return r;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char name[16];
    snprintf(name, sizeof(name), "pvscsid-io%u", w->id);
    pthread_setname_np(pthread_self(), name);
    int r = setup_uring(w);
    pthread_mutex_lock(&w->lock);
    w->start_result = r;
    w->start_done = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (r < 0)
        return NULL;
    arm_wake(w);
    while (!w->stopping) {
        int r = io_uring_submit_and_wait(&w->uring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
            /* Its rings can no longer be served and the control thread
             * would wait on it forever: better to exit and be restarted. */
            log_err("worker %u: io_uring_submit_and_wait: %s; exiting", w->id, strerror(-r));
            _exit(EXIT_FAILURE);
        }
        struct io_uring_cqe *cqes[64];
        unsigned n;
        while ((n = io_uring_peek_batch_cqe(&w->uring, cqes, 64)) > 0) {
            for (unsigned i = 0; i < n; i++) {
                handle_cqe(w, cqes[i]);
                io_uring_cqe_seen(&w->uring, cqes[i]);
            }
        }
        after_batch(w);
    }
    return NULL;
}

struct worker *worker_start(unsigned id, const struct pvscsid_config *cfg)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->id = id;
    w->cfg = cfg;
    w->wake_tag.kind = URING_TAG_WAKE;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->wake_fd = eventfd(0, EFD_CLOEXEC);
    if (w->wake_fd < 0)
        goto fail;
    int r = pthread_create(&w->thread, NULL, worker_main, w);
    if (r != 0) {
        errno = r;
        goto fail_fd;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->start_done)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    if (w->start_result < 0) {
        pthread_join(w->thread, NULL);
        errno = -w->start_result;
        goto fail_fd;
    }
    return w;
fail_fd:
    close(w->wake_fd);
fail:;
    int e = errno;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
    errno = e;
    return NULL;
}

void worker_stop(struct worker *w)
{
    if (!w)
        return;
    struct worker_msg m = {.type = MSG_STOP};
    call(w, &m);
    pthread_join(w->thread, NULL);
    io_uring_queue_exit(&w->uring);
    close(w->wake_fd);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}

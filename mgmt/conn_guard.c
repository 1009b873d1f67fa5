#include "conn_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct guarded {
    int fd;
    uint64_t since_ns;      /* opened, or the last answer left */
    bool busy;              /* our handler runs: no deadline */
    bool shut;
    struct guarded *prev, *next;
};

struct conn_guard {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stop;
    uint64_t timeout_ns;
    struct guarded *head;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned conn_guard_reap(struct conn_guard *g, uint64_t now)
{
    unsigned n = 0;
    pthread_mutex_lock(&g->lock);
    /* Under the lock: closed() takes it before the server closes the fd,
     * so the fd shut down here is still this connection's. */
    for (struct guarded *e = g->head; e; e = e->next) {
        if (e->busy || e->shut || now - e->since_ns <= g->timeout_ns)
            continue;
        if (shutdown(e->fd, SHUT_RDWR) == 0 || errno == ENOTCONN)
            n++;
        e->shut = true;
    }
    pthread_mutex_unlock(&g->lock);
    return n;
}

static void *run(void *arg)
{
    struct conn_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        if (!g->head) {
            /* No connection, no deadline: sleep until one opens (started()
             * wakes us), so an idle daemon does not wake at all. */
            pthread_cond_wait(&g->wake, &g->lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 200 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
        if (g->stop)
            break;
        pthread_mutex_unlock(&g->lock);
        conn_guard_reap(g, now_ns());
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct conn_guard *conn_guard_new(unsigned timeout_s)
{
    struct conn_guard *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->timeout_ns = (uint64_t)timeout_s * 1000000000u;
    pthread_condattr_t ca;
    int r = pthread_condattr_init(&ca);
    if (r == 0)
        r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (r == 0)
        r = pthread_cond_init(&g->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (r == 0 && (r = pthread_mutex_init(&g->lock, NULL)) != 0)
        pthread_cond_destroy(&g->wake);
    if (r == 0 && (r = pthread_create(&g->thread, NULL, run, g)) != 0) {
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->wake);
    }
    if (r != 0) {
        free(g);
        errno = r;
        return NULL;
    }
    return g;
}

void conn_guard_free(struct conn_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    while (g->head) {               /* the server is stopped: none left */
        struct guarded *e = g->head;
        g->head = e->next;
        free(e);
    }
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    free(g);
}

void conn_guard_started(struct conn_guard *g, int fd, void **ctx)
{
    struct guarded *e = calloc(1, sizeof(*e));
    *ctx = e;
    if (!e)
        return;     /* unguarded: the inactivity timeout still applies */
    e->fd = fd;
    e->since_ns = now_ns();
    pthread_mutex_lock(&g->lock);
    e->next = g->head;
    if (g->head)
        g->head->prev = e;
    else
        pthread_cond_signal(&g->wake);   /* the first: its deadline needs watching */
    g->head = e;
    pthread_mutex_unlock(&g->lock);
}

void conn_guard_closed(struct conn_guard *g, void **ctx)
{
    struct guarded *e = *ctx;
    if (!e)
        return;
    pthread_mutex_lock(&g->lock);
    if (e->prev)
        e->prev->next = e->next;
    else
        g->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    pthread_mutex_unlock(&g->lock);
    free(e);
    *ctx = NULL;
}

void conn_guard_busy(struct conn_guard *g, void *ctx, bool busy)
{
    struct guarded *e = ctx;
    if (!e)
        return;
    pthread_mutex_lock(&g->lock);
    e->busy = busy;
    if (!busy)
        e->since_ns = now_ns();
    pthread_mutex_unlock(&g->lock);
}

void conn_guard_idle(struct conn_guard *g, void *ctx)
{
    conn_guard_busy(g, ctx, false);
}

/* The simulated guest domain: its RAM, xenstore connection and the thread
 * that plays the guest kernel's interrupt and xenbus watch handlers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simfront_priv.h"

int simfront_xs_write(struct xs_handle *xs, const char *path, const char *fmt, ...)
{
    char val[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(val))
        return -ENOSPC;
    return xs_write(xs, XBT_NULL, path, val, (unsigned)n) ? 0 : -errno;
}

long simfront_xs_read_uint(struct xs_handle *xs, const char *path)
{
    unsigned len = 0;
    char *v = xs_read(xs, XBT_NULL, path, &len);
    if (!v)
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    long r = (len == 0 || errno || *end != '\0' || v[0] == '-' || x > 0x7fffffffUL)
                 ? -1 : (long)x;
    free(v);
    return r;
}

static struct simfront *dev_by_token(struct simguest *g, const char *token)
{
    for (int i = 0; i < SIMFRONT_MAX_DEVS; i++)
        if (g->devs[i] && strcmp(g->devs[i]->token, token) == 0)
            return g->devs[i];
    return NULL;
}

static struct simfront *dev_by_port(struct simguest *g, int port)
{
    for (int i = 0; i < SIMFRONT_MAX_DEVS; i++)
        if (g->devs[i] && g->devs[i]->port == port)
            return g->devs[i];
    return NULL;
}

static void handle_watches(struct simguest *g)
{
    char **w;
    while ((w = xs_check_watch(g->xs)) != NULL) {
        pthread_mutex_lock(&g->lock);
        struct simfront *f = dev_by_token(g, w[XS_WATCH_TOKEN]);
        if (f)
            simfront_backend_changed(f);
        pthread_cond_broadcast(&g->cond);
        pthread_mutex_unlock(&g->lock);
        free(w);
    }
}

static void handle_events(struct simguest *g)
{
    int port;
    while ((port = xensim_evtchn_pending(g->dom)) > 0) {
        pthread_mutex_lock(&g->lock);
        struct simfront *f = dev_by_port(g, port);
        xensim_evtchn_unmask(g->dom, (uint32_t)port);
        if (f) {
            f->notifications++;
            simfront_handle_event(f);
        }
        pthread_cond_broadcast(&g->cond);
        pthread_mutex_unlock(&g->lock);
    }
}

static void *guest_thread(void *arg)
{
    struct simguest *g = arg;
    struct pollfd p[3] = {
        {.fd = g->stop_pipe[0], .events = POLLIN},
        {.fd = xs_fileno(g->xs), .events = POLLIN},
        {.fd = xensim_evtchn_fd(g->dom), .events = POLLIN},
    };
    for (;;) {
        /* Watches may already be queued inside libxenstore: check first. */
        handle_watches(g);
        handle_events(g);
        if (poll(p, 3, 100) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
    }
    return NULL;
}

struct simguest *simguest_create(uint16_t domid, uint32_t ram_pages, uint16_t backend_domid)
{
    struct simguest *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->domid = domid;
    g->backend_domid = backend_domid;
    g->stop_pipe[0] = g->stop_pipe[1] = -1;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->dom = xensim_domain_create(domid, ram_pages);
    if (!g->dom)
        goto fail;
    g->xs = xs_open(0);
    if (!g->xs || pipe2(g->stop_pipe, O_CLOEXEC) < 0)
        goto fail;
    if (pthread_create(&g->thread, NULL, guest_thread, g) != 0)
        goto fail;
    g->thread_running = true;
    return g;
fail:
    fprintf(stderr, "simguest_create(%u): %s\n", domid, strerror(errno));
    simguest_destroy(g);
    return NULL;
}

static void stop_thread(struct simguest *g)
{
    if (!g->thread_running)
        return;
    char c = 0;
    if (write(g->stop_pipe[1], &c, 1) != 1)
        perror("simguest stop");
    pthread_join(g->thread, NULL);
    g->thread_running = false;
}

void simguest_crash(struct simguest *g)
{
    stop_thread(g);
}

void simguest_destroy(struct simguest *g)
{
    if (!g)
        return;
    for (int i = 0; i < SIMFRONT_MAX_DEVS; i++) {
        struct simfront *f = g->devs[i];
        if (f && g->thread_running && f->connected_ring)
            (void)simfront_close(f, 2000);
        if (f)
            simfront_free(f);
    }
    stop_thread(g);
    if (g->xs)
        xs_close(g->xs);
    if (g->dom)
        xensim_domain_destroy(g->dom);
    for (int i = 0; i < 2; i++)
        if (g->stop_pipe[i] >= 0)
            close(g->stop_pipe[i]);
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

uint16_t simguest_domid(const struct simguest *g)
{
    return g->domid;
}

struct xensim_domain *simguest_domain(struct simguest *g)
{
    return g->dom;
}

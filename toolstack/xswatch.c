#include "xswatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct xswatch {
    struct xswatch *next;
    xswatch_fn fn;
    void *ctx;
    char token[24];        /* "w<id>" */
    char path[];
};

void xswatch_set_init(struct xswatch_set *set, struct xs_handle *xs)
{
    *set = (struct xswatch_set){.xs = xs};
}

struct xswatch *xswatch_add(struct xswatch_set *set, const char *path, xswatch_fn fn, void *ctx)
{
    size_t len = strlen(path);
    struct xswatch *w = malloc(sizeof(*w) + len + 1);
    if (!w)
        return NULL;
    memcpy(w->path, path, len + 1);
    w->fn = fn;
    w->ctx = ctx;
    snprintf(w->token, sizeof(w->token), "w%lu", set->next_id++);
    if (!xs_watch(set->xs, w->path, w->token)) {
        int e = errno;
        free(w);
        errno = e;
        return NULL;
    }
    w->next = set->list;
    set->list = w;
    return w;
}

void xswatch_remove(struct xswatch_set *set, struct xswatch *w)
{
    for (struct xswatch **p = &set->list; w && *p; p = &(*p)->next) {
        if (*p != w)
            continue;
        *p = w->next;
        if (!xs_unwatch(set->xs, w->path, w->token))
            log_warn("unwatch %s: %s", w->path, strerror(errno));
        free(w);
        return;
    }
}

void xswatch_dispatch(struct xswatch_set *set)
{
    char **ev;
    while ((ev = xs_check_watch(set->xs)) != NULL) {
        struct xswatch *w = set->list;
        while (w && strcmp(w->token, ev[XS_WATCH_TOKEN]) != 0)
            w = w->next;
        if (w)
            w->fn(w->ctx, ev[XS_WATCH_PATH]);
        free(ev);
    }
}

void xswatch_set_destroy(struct xswatch_set *set)
{
    while (set->list)
        xswatch_remove(set, set->list);
}

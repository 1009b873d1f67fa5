/*
 * xenstore watches that carry their meaning: each is a path, a function
 * and its context (as QEMU's xs_node_watch(path, fn, opaque)), so an event
 * goes to its callback without a token to build and parse back. Tokens are
 * unique and never reused, so an event still queued for a watch that was
 * removed finds nothing and is dropped.
 */
#ifndef PVSCSID_XSWATCH_H
#define PVSCSID_XSWATCH_H

#include <xenstore.h>

/* path: the node that fired (the watched one or below it). */
typedef void (*xswatch_fn)(void *ctx, const char *path);

struct xswatch;

struct xswatch_set {
    struct xs_handle *xs;
    struct xswatch *list;
    unsigned long next_id;
};

void xswatch_set_init(struct xswatch_set *set, struct xs_handle *xs);
/* Watches path. The watch, or NULL with errno set. */
struct xswatch *xswatch_add(struct xswatch_set *set, const char *path, xswatch_fn fn, void *ctx);
/* Stops a watch (NULL is ignored); its queued events are dropped. */
void xswatch_remove(struct xswatch_set *set, struct xswatch *w);
/* Calls the callback of every event xenstore has queued. */
void xswatch_dispatch(struct xswatch_set *set);
/* Removes every watch. */
void xswatch_set_destroy(struct xswatch_set *set);

#endif

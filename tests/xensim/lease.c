/*
 * xensim: leases, i.e. what dies with a process, and reaping.
 *
 * On Linux + Xen, when a process dies (any way: exit, SIGKILL), the kernel
 * closes its files: the evtchn driver's release closes every port bound
 * through that fd (EVTCHNOP_close: the remote end of an interdomain channel
 * goes back to unbound, offered to the closer's domain, which may bind it
 * again), and the process's gntdev mappings go with its address space
 * (the grants' active counts drop; the last unmap clears GTF_reading and
 * GTF_writing, so the guest can end foreign access).
 *
 * Here each xenevtchn handle, and each process for its grant mappings,
 * holds a lease: a unique id (never a pid: pids are reused) whose file
 * "l<id>" it keeps flock()ed through an O_CLOEXEC fd, which the kernel
 * releases exactly when it would release the real device fd. The shared
 * state names its lease (xs_port.owner, xs_gnt_holder.lease). Reaping is
 * lazy but unobservable: every call whose answer depends on such state
 * (binding or allocating a port, counting ports or mappings, ending foreign
 * access, a grant's flags) first asks xs_lease_alive() about the leases it
 * sees; a free lease gets its ports closed and its mappings dropped, as the
 * kernel would have done at the holder's death, before the call answers.
 * Calls whose answer cannot depend on it (notify, pending, unmask, copy,
 * map) do not ask, so they cost no syscall.
 *
 * Fork: a child shares its parent's event channel fds, so it shares the
 * handles' leases too; gntdev mappings are not copied into a child
 * (VM_DONTCOPY), so the child drops the process's map lease and makes its
 * own when it maps (the mapped ranges are MADV_DONTFORK).
 */
#include "shared.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct xs_lease {
    struct xs_lease *next;
    uint32_t id;
    int fd;              /* -1 once forgotten or dropped */
    bool map;            /* the process's lease for its grant mappings */
    char dir[PATH_MAX];  /* "" once forgotten */
};

/* The leases this process holds, in any directory. */
static pthread_mutex_t lease_mu = PTHREAD_MUTEX_INITIALIZER;
static struct xs_lease *leases;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static unsigned fork_gen;

static void fork_prepare(void)
{
    pthread_mutex_lock(&lease_mu);
}
static void fork_parent(void)
{
    pthread_mutex_unlock(&lease_mu);
}
/* The child has none of its parent's mappings: their lease is not its own.
 * Closing its copy of the fd leaves the parent's flock in place. */
static void fork_child(void)
{
    for (struct xs_lease *l = leases; l; l = l->next) {
        if (l->map && l->fd >= 0) {
            close(l->fd);
            l->fd = -1;
            l->dir[0] = '\0';
        }
    }
    __atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&lease_mu);
}
static void atfork_init(void)
{
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        abort();
}

unsigned xs_fork_gen(void)
{
    return __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

static int lease_path(char *buf, size_t len, uint32_t id)
{
    char name[XS_NAME_LEN];
    snprintf(name, sizeof(name), "l%u", (unsigned)id);
    return xs_path(buf, len, name);
}

/* Lock held. */
static struct xs_lease *take(bool map)
{
    pthread_once(&atfork_once, atfork_init);
    const char *dir = xensim_dir();
    struct xs_lease *l = calloc(1, sizeof(*l));
    char path[PATH_MAX];
    if (!l || !dir)
        goto fail_errno;
    l->id = xs_new_id();
    l->map = map;
    snprintf(l->dir, sizeof(l->dir), "%s", dir);
    int r = lease_path(path, sizeof(path), l->id);
    if (r < 0) {
        errno = -r;
        goto fail_errno;
    }
    l->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (l->fd < 0)
        goto fail_errno;
    if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(l->fd);
        unlink(path);
        errno = e;
        goto fail_errno;
    }
    pthread_mutex_lock(&lease_mu);
    l->next = leases;
    leases = l;
    pthread_mutex_unlock(&lease_mu);
    return l;
fail_errno:;
    int e = errno ? errno : ENOMEM;
    free(l);
    errno = e;
    return NULL;
}

struct xs_lease *xs_lease_new(void)
{
    return take(false);
}

uint32_t xs_lease_id(const struct xs_lease *l)
{
    return l->id;
}

/* Is `id` of the current directory one this process holds? */
static bool held_here(uint32_t id)
{
    const char *dir = xensim_dir();
    bool found = false;
    pthread_mutex_lock(&lease_mu);
    for (struct xs_lease *l = leases; l && !found; l = l->next)
        found = l->id == id && l->fd >= 0 && dir && strcmp(l->dir, dir) == 0;
    pthread_mutex_unlock(&lease_mu);
    return found;
}

static void reap_evt(uint16_t domid, void *arg)
{
    struct xs_evt_file *e = xs_evt_get(domid, false);
    if (e)
        xs_evt_reap_lease(e, domid, *(const uint32_t *)arg);
    xs_evt_put(e);
}

static void reap_gnt(uint16_t domid, void *arg)
{
    struct xs_gdom *g = xs_gdom_get(domid);
    if (g)
        xs_gnt_reap_lease(g->gnt, *(const uint32_t *)arg);
    xs_gdom_put(g);
}

/* What the kernel does when the lease's last fd goes: ports closed,
 * mappings dropped. Then the lease's files go (its state first: a reaper
 * killed half-way leaves the lease file for the next one). Lock held. */
static void reap(uint32_t id, const char *path)
{
    xs_for_each_domain("evt", reap_evt, &id);
    xs_for_each_domain("gnt", reap_gnt, &id);
    xs_sock_unlink(id);
    unlink(path);
}

/* Reaps lease `id` if nobody holds its file any more; true if it is gone
 * (now or before). Lock held. */
static bool reap_if_free(uint32_t id)
{
    char path[PATH_MAX];
    if (lease_path(path, sizeof(path), id) < 0)
        return false;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT;   /* reaped already; other errors: assume held */
    bool free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (free_now)
        reap(id, path);
    close(fd);
    return free_now;
}

bool xs_lease_alive(uint32_t id)
{
    if (held_here(id))
        return true;
    return !reap_if_free(id);
}

bool xs_lease_drop(struct xs_lease *l, bool reap)
{
    pthread_mutex_lock(&lease_mu);
    for (struct xs_lease **pp = &leases; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    pthread_mutex_unlock(&lease_mu);
    bool here = l->fd >= 0;
    if (here)
        close(l->fd);   /* the flock stays while a forked child has it */
    bool gone = here && reap && reap_if_free(l->id);
    free(l);
    return gone;
}

uint32_t xs_map_lease(int *err)
{
    const char *dir = xensim_dir();
    uint32_t id = 0;
    pthread_mutex_lock(&lease_mu);
    for (struct xs_lease *l = leases; l && !id; l = l->next)
        if (l->map && l->fd >= 0 && dir && strcmp(l->dir, dir) == 0)
            id = l->id;
    pthread_mutex_unlock(&lease_mu);
    if (id)
        return id;
    struct xs_lease *l = take(true);
    if (!l) {
        *err = errno;
        return 0;
    }
    return l->id;
}

void xs_lease_forget_dir(void)
{
    const char *dir = xensim_dir();
    if (!dir)
        return;
    pthread_mutex_lock(&lease_mu);
    for (struct xs_lease *l = leases; l; l = l->next) {
        if (l->fd >= 0 && strcmp(l->dir, dir) == 0) {
            close(l->fd);
            l->fd = -1;
            l->dir[0] = '\0';
        }
    }
    pthread_mutex_unlock(&lease_mu);
}

/*
 * xensim: the simulator-wide lock. Xen serialises its own state inside the
 * hypervisor; here every process that acts on the shared files takes one
 * robust, process-shared mutex in the directory's "lock" file:
 *  - no syscall when uncontended (a futex only under contention), so the
 *    simulator does not add syscalls to the daemon's count;
 *  - a holder killed inside (SIGKILL at any instruction) does not wedge the
 *    others: the next locker gets EOWNERDEAD. Every critical section orders
 *    its stores so that each intermediate state is one the reaper handles
 *    (see evtchn.c and gnttab.c); only derived counters are recomputed here.
 * Threads and forked children need nothing special: the mutex is shared
 * memory, and glibc empties a forked child's robust list.
 */
#include "shared.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The lock this thread holds (xs_lock does not nest). */
static __thread struct xs_lock_file *held;
static __thread void *held_token;

/* Makes an initialised lock file under a temporary name and links it in
 * as "lock": nobody ever sees a half-initialised mutex. */
static int publish(void)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int r = xs_path(tmp, sizeof(tmp), "lock.XXXXXX");
    if (r == 0)
        r = xs_path(path, sizeof(path), "lock");
    if (r < 0)
        return r;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct xs_lock_file *lf = MAP_FAILED;
    pthread_mutexattr_t a;
    bool attr = false;
    r = 0;
    if (ftruncate(fd, sizeof(*lf)) < 0)
        r = -errno;
    if (r == 0) {
        lf = mmap(NULL, sizeof(*lf), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (lf == MAP_FAILED)
            r = -errno;
    }
    if (r == 0)
        r = -pthread_mutexattr_init(&a);
    attr = r == 0;
    if (r == 0)
        r = -pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (r == 0)
        r = -pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (r == 0)
        r = -pthread_mutex_init(&lf->mu, &a);
    if (r == 0) {
        lf->next_id = 0;
        __atomic_store_n(&lf->magic, XS_MAGIC_LOCK, __ATOMIC_RELEASE);
        if (link(tmp, path) < 0 && errno != EEXIST)  /* EEXIST: another won */
            r = -errno;
    }
    if (attr)
        pthread_mutexattr_destroy(&a);
    if (lf != MAP_FAILED)
        munmap(lf, sizeof(*lf));
    unlink(tmp);
    close(fd);
    return r;
}

struct xs_lock_file *xs_lock_file_open(size_t *size)
{
    *size = sizeof(struct xs_lock_file);
    for (int attempt = 0; attempt < 2; attempt++) {
        struct xs_lock_file *lf = xs_map_file("lock", *size, false, false, NULL);
        if (lf) {
            if (__atomic_load_n(&lf->magic, __ATOMIC_ACQUIRE) == XS_MAGIC_LOCK)
                return lf;
            munmap(lf, *size);
            errno = EIO;  /* not a lock file of ours */
            return NULL;
        }
        if (errno != ENOENT || attempt)
            return NULL;
        int r = publish();
        if (r < 0) {
            errno = -r;
            return NULL;
        }
    }
    return NULL;
}

static void repair_domain(uint16_t domid, void *arg)
{
    (void)arg;
    struct xs_evt_file *e = xs_evt_get(domid, false);
    if (e)
        xs_evt_repair(e);
    xs_evt_put(e);
}

int xs_lock(void)
{
    void *token;
    struct xs_lock_file *lf = xs_lock_file_get(&token);
    if (!lf)
        return -errno;
    int r = pthread_mutex_lock(&lf->mu);
    if (r == EOWNERDEAD) {
        /* The previous holder died inside: its stores were ordered so that
         * the shared state is consistent; recompute what is derived. */
        held = lf;
        held_token = token;
        xs_for_each_domain("evt", repair_domain, NULL);
        r = pthread_mutex_consistent(&lf->mu);
        if (r == 0)
            return 0;
        pthread_mutex_unlock(&lf->mu);
        held = NULL;
    }
    if (r != 0) {
        xs_lock_file_put(token);
        return -r;
    }
    held = lf;
    held_token = token;
    return 0;
}

void xs_unlock(void)
{
    struct xs_lock_file *lf = held;
    void *token = held_token;
    held = NULL;
    held_token = NULL;
    if (pthread_mutex_unlock(&lf->mu) != 0)
        abort(); /* not ours: going on would corrupt the shared state */
    xs_lock_file_put(token);
}

uint32_t xs_new_id(void)
{
    uint32_t id = held->next_id + 1;
    if (id == 0)
        id = 1;    /* 0 means "no owner" */
    held->next_id = id;
    return id;
}

/* xensim: directory, paths, the per-process cache of mapped state files
 * (the lock file among them), setup and teardown. */
#include "shared.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Socket paths are "<dir>/s<id>" and must fit sockaddr_un (108 bytes). */
#define XS_MAX_DIR_LEN (107u - XS_NAME_LEN)

int xs_path(char *buf, size_t len, const char *name)
{
    const char *dir = getenv("XENSIM_DIR");
    if (!dir || !*dir)
        return -ENOENT;
    int n = snprintf(buf, len, "%s/%s", dir, name);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= len)
        return -ENAMETOOLONG;
    return 0;
}

uint16_t xs_self_domid(void)
{
    const char *s = getenv("XENSIM_DOMID");
    if (!s || !*s)
        return 0;
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v > UINT16_MAX)
        return 0;
    return (uint16_t)v;
}

/* ---- fork ----
 * A forked child must not inherit cache_mu locked by another thread. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
    pthread_mutex_lock(&cache_mu);
}
static void fork_parent(void)
{
    pthread_mutex_unlock(&cache_mu);
}
static void atfork_init(void)
{
    if (pthread_atfork(fork_prepare, fork_parent, fork_parent) != 0)
        abort();
}

/* ---- files ---- */
void *xs_map_file(const char *name, size_t size, bool create, bool excl, int *fd_out)
{
    char path[PATH_MAX];
    int r = xs_path(path, sizeof(path), name);
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0) | (excl ? O_EXCL : 0);
    int fd = open(path, flags, 0600);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0)
        goto fail;
    if ((uint64_t)st.st_size < size) {
        if (!create) {          /* half-created by someone else: not there yet */
            errno = ENOENT;
            goto fail;
        }
        if (ftruncate(fd, (off_t)size) < 0)
            goto fail;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        goto fail;
    if (fd_out)
        *fd_out = fd;
    else
        close(fd);
    return p;
fail:;
    int e = errno;
    close(fd);
    if (excl)
        unlink(path);
    errno = e;
    return NULL;
}

/* ---- cache ---- */
enum { K_GDOM, K_EVT, K_STATS, K_LOCK };

struct centry {
    struct xs_gdom g;       /* first: xs_gdom_put converts back */
    struct centry *next;
    int kind;
    uint16_t domid;
    unsigned refs;
    bool listed;            /* findable; unlisted entries die at refs 0 */
    void *map;              /* gnt, evt or stats mapping */
    size_t size;
};

static struct centry *cache;
static char cache_dir[PATH_MAX];

static void centry_free(struct centry *c)
{
    if (c->map)
        munmap(c->map, c->size);
    if (c->kind == K_GDOM) {
        if (c->g.ram)
            munmap(c->g.ram, c->g.ram_size);
        if (c->g.ram_fd >= 0)
            close(c->g.ram_fd);
    }
    free(c);
}

static void centry_remove(struct centry *c)
{
    for (struct centry **pp = &cache; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    centry_free(c);
}

/* Drops c from the lookup; frees it once nobody holds it. cache_mu held. */
static void centry_unlist(struct centry *c)
{
    c->listed = false;
    if (!c->refs)
        centry_remove(c);
}

static void cache_flush_locked(void)
{
    struct centry *c = cache, *next;
    for (; c; c = next) {
        next = c->next;
        if (c->listed)
            centry_unlist(c);
    }
}

void xs_cache_flush(void)
{
    pthread_once(&atfork_once, atfork_init);
    pthread_mutex_lock(&cache_mu);
    cache_flush_locked();
    cache_dir[0] = '\0';
    pthread_mutex_unlock(&cache_mu);
}

static bool centry_dead(const struct centry *c)
{
    if (c->kind == K_GDOM)
        return __atomic_load_n(&c->g.gnt->dead, __ATOMIC_ACQUIRE) != 0;
    if (c->kind == K_EVT)
        return __atomic_load_n(&((struct xs_evt_file *)c->map)->dead, __ATOMIC_ACQUIRE) != 0;
    return false;
}

static int open_gdom(struct centry *c)
{
    char name[32];
    snprintf(name, sizeof(name), "dom%u.gnt", (unsigned)c->domid);
    c->size = sizeof(struct xs_gnt_file);
    c->map = xs_map_file(name, c->size, false, false, NULL);
    if (!c->map)
        return -ENOENT;
    c->g.gnt = c->map;
    if (__atomic_load_n(&c->g.gnt->magic, __ATOMIC_ACQUIRE) != XS_MAGIC_GNT)
        return -ENOENT;  /* being created */
    snprintf(name, sizeof(name), "dom%u.ram", (unsigned)c->domid);
    c->g.ram_size = (size_t)c->g.gnt->nr_pages * XENSIM_PAGE_SIZE;
    c->g.ram = xs_map_file(name, c->g.ram_size, false, false, &c->g.ram_fd);
    if (!c->g.ram)
        return -ENOENT;
    /* RAM file of another incarnation? destroy marks dead before unlinking. */
    if (centry_dead(c))
        return -ENOENT;
    return 0;
}

static int open_evt(struct centry *c, bool create)
{
    char name[32];
    snprintf(name, sizeof(name), "dom%u.evt", (unsigned)c->domid);
    c->size = sizeof(struct xs_evt_file);
    c->map = xs_map_file(name, c->size, create, false, NULL);
    if (!c->map)
        return -errno;
    struct xs_evt_file *e = c->map;
    uint32_t zero = 0;
    if (create)
        __atomic_compare_exchange_n(&e->magic, &zero, XS_MAGIC_EVT, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&e->magic, __ATOMIC_ACQUIRE) != XS_MAGIC_EVT || centry_dead(c))
        return -ENOENT;
    return 0;
}

static int open_lock(struct centry *c)
{
    c->map = xs_lock_file_open(&c->size);
    return c->map ? 0 : -errno;
}

static int open_stats(struct centry *c)
{
    c->size = sizeof(struct xs_stats_file);
    c->map = xs_map_file("stats", c->size, true, false, NULL);
    return c->map ? 0 : -errno;
}

static struct centry *cache_get(int kind, uint16_t domid, bool create)
{
    pthread_once(&atfork_once, atfork_init);
    const char *dir = getenv("XENSIM_DIR");
    if (!dir || !*dir) {
        errno = ENOENT;
        return NULL;
    }
    pthread_mutex_lock(&cache_mu);
    if (strcmp(dir, cache_dir) != 0) {
        cache_flush_locked();
        snprintf(cache_dir, sizeof(cache_dir), "%s", dir);
    }
    for (struct centry *c = cache; c; c = c->next) {
        if (!c->listed || c->kind != kind || c->domid != domid)
            continue;
        if (centry_dead(c)) {
            centry_unlist(c);
            break;
        }
        c->refs++;
        pthread_mutex_unlock(&cache_mu);
        return c;
    }
    struct centry *c = calloc(1, sizeof(*c));
    int r = -ENOMEM;
    if (c) {
        c->kind = kind;
        c->domid = domid;
        c->g.ram_fd = -1;
        r = kind == K_GDOM  ? open_gdom(c)
            : kind == K_EVT ? open_evt(c, create)
            : kind == K_LOCK ? open_lock(c)
                             : open_stats(c);
        if (r < 0) {
            centry_free(c);
            c = NULL;
        } else {
            c->refs = 1;
            c->listed = true;
            c->next = cache;
            cache = c;
        }
    }
    pthread_mutex_unlock(&cache_mu);
    if (!c)
        errno = -r;
    return c;
}

static void cache_put(struct centry *c)
{
    pthread_mutex_lock(&cache_mu);
    if (--c->refs == 0 && !c->listed)
        centry_remove(c);
    pthread_mutex_unlock(&cache_mu);
}

struct xs_gdom *xs_gdom_get(uint16_t domid)
{
    struct centry *c = cache_get(K_GDOM, domid, false);
    return c ? &c->g : NULL;
}

void xs_gdom_put(struct xs_gdom *g)
{
    if (g)
        cache_put((struct centry *)(void *)g);
}

struct xs_evt_file *xs_evt_get(uint16_t domid, bool create)
{
    struct centry *c = cache_get(K_EVT, domid, create);
    return c ? c->map : NULL;
}

void xs_evt_put(struct xs_evt_file *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&cache_mu);
    struct centry *c = cache;
    while (c && !(c->kind == K_EVT && c->map == e))
        c = c->next;
    pthread_mutex_unlock(&cache_mu);
    if (c)
        cache_put(c);
}

struct xs_lock_file *xs_lock_file_get(void **token)
{
    struct centry *c = cache_get(K_LOCK, 0, true);
    *token = c;
    return c ? c->map : NULL;
}

void xs_lock_file_put(void *token)
{
    if (token)
        cache_put(token);
}

void xs_for_each_domain(const char *ext, void (*fn)(uint16_t domid, void *arg), void *arg)
{
    const char *dir = xensim_dir();
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        unsigned domid;
        char e[8];
        int end = 0;
        if (sscanf(de->d_name, "dom%5u.%7[a-z]%n", &domid, e, &end) == 2 &&
            de->d_name[end] == '\0' && domid <= UINT16_MAX && strcmp(e, ext) == 0)
            fn((uint16_t)domid, arg);
    }
    closedir(d);
}

void xs_stats_add_copy(uint64_t n)
{
    struct centry *c = cache_get(K_STATS, 0, true);
    if (!c)
        return;
    __atomic_fetch_add(&((struct xs_stats_file *)c->map)->copy_segments, n, __ATOMIC_RELAXED);
    cache_put(c);
}

/* ---- public: setup / teardown ---- */
int xensim_setup(const char *dir)
{
    char tmpl[] = "/dev/shm/xensim.XXXXXX";
    if (!dir) {
        if (!mkdtemp(tmpl))
            return -errno;
        dir = tmpl;
    } else if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        return -errno;
    }
    if (strlen(dir) > XS_MAX_DIR_LEN)
        return -ENAMETOOLONG;
    if (setenv("XENSIM_DIR", dir, 1) < 0)
        return -errno;
    xs_cache_flush();
    void *st = xs_map_file("stats", sizeof(struct xs_stats_file), true, false, NULL);
    if (!st)
        return -errno;
    munmap(st, sizeof(struct xs_stats_file));
    return 0;
}

const char *xensim_dir(void)
{
    const char *d = getenv("XENSIM_DIR");
    return d && *d ? d : NULL;
}

int xensim_teardown(void)
{
    const char *dir = xensim_dir();
    if (!dir)
        return -ENOENT;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", dir);
    xs_lease_forget_dir();
    xs_cache_flush();
    int r = 0;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && !r)
            r = -errno;
    }
    closedir(d);
    if (rmdir(path) < 0 && !r)
        r = -errno;
    unsetenv("XENSIM_DIR");
    return r;
}

uint64_t xensim_count_copy_segments(void)
{
    struct centry *c = cache_get(K_STATS, 0, true);
    if (!c)
        return 0;
    uint64_t n = __atomic_load_n(&((struct xs_stats_file *)c->map)->copy_segments, __ATOMIC_RELAXED);
    cache_put(c);
    return n;
}

/* The xenstored harness, driven through the real libxenstore. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "tap.h"
#include "xs_harness.h"

#define WATCH_TIMEOUT_MS 2000

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xs_read as a C string compare; frees the value. */
static bool read_is(struct xs_handle *xs, const char *path, const char *want)
{
    unsigned int len;
    char *v = xs_read(xs, XBT_NULL, path, &len);
    bool ok = v && strlen(v) == len && strcmp(v, want) == 0;

    if (!ok)
        TAP_DIAG("read %s: got \"%s\" (errno %d), want \"%s\"", path,
                 v ? v : "(null)", v ? 0 : errno, want);
    free(v);
    return ok;
}

static bool put(struct xs_handle *xs, const char *path, const char *val)
{
    return xs_write(xs, XBT_NULL, path, val, (unsigned int)strlen(val));
}

/*
 * Waits (bounded) for a watch event on exactly `path` with `token`, dropping
 * others (a watch also fires once when set). True if it came.
 */
static bool wait_event(struct xs_handle *xs, const char *path,
                       const char *token)
{
    int64_t deadline = now_us() + WATCH_TIMEOUT_MS * 1000;
    struct pollfd p = {.fd = xs_fileno(xs), .events = POLLIN};

    if (p.fd < 0)
        return false;
    for (;;) {
        int64_t left = (deadline - now_us()) / 1000;
        unsigned int n;
        char **ev;
        bool hit;

        if (left <= 0)
            return false;
        if (poll(&p, 1, (int)left) <= 0 || !(p.revents & POLLIN))
            continue;
        ev = xs_read_watch(xs, &n);
        if (!ev)
            return false;
        hit = strcmp(ev[XS_WATCH_PATH], path) == 0 &&
              strcmp(ev[XS_WATCH_TOKEN], token) == 0;
        free(ev);
        if (hit)
            return true;
    }
}

/* Gone, or a zombie nobody reaps (PID 1 in a container may not). */
static bool process_gone(pid_t pid)
{
    char path[64], buf[256];
    ssize_t n;
    int fd;
    char *rp;

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return true;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

static bool dir_exists(const char *dir)
{
    struct stat st;

    return stat(dir, &st) == 0;
}

/* A private xenstored and one or two clients of it (xs_open: they reach it
 * through XENSTORED_PATH, as any program would). */
struct store {
    struct xs_harness *h;
    struct xs_handle *xs, *other;
};

static void store_stop(struct store *s)
{
    if (s->other)
        xs_close(s->other);
    if (s->xs)
        xs_close(s->xs);
    xs_harness_stop(s->h);
}

/* Starts the daemon, opens s->xs and, with two_clients, s->other. False
 * (nothing left running) when any of it fails. */
static bool store_start(struct store *s, bool two_clients)
{
    *s = (struct store){.h = xs_harness_start()};
    if (!s->h)
        return false;
    s->xs = xs_open(0);
    if (two_clients)
        s->other = xs_open(0);
    if (s->xs && (!two_clients || s->other))
        return true;
    store_stop(s);
    return false;
}

/* STORE_TEST(name, two_clients) { ... }: the body runs with a private
 * xenstored and its clients `xs` and (with two_clients) `other`, stopped
 * after it. */
#define STORE_TEST(name, two_clients)                                       \
    static void name##_body(struct xs_handle *xs,                           \
                            struct xs_handle *other __attribute__((unused))); \
    TEST(name)                                                              \
    {                                                                       \
        struct store st;                                                    \
        REQUIRE(store_start(&st, (two_clients)));                           \
        name##_body(st.xs, st.other);                                       \
        store_stop(&st);                                                    \
    }                                                                       \
    static void name##_body(struct xs_handle *xs,                           \
                            struct xs_handle *other __attribute__((unused)))

TEST(starts_fast_with_dom0_nodes)
{
    enum { N = 5 };
    int64_t total = 0, best = INT64_MAX;

    for (int i = 0; i < N; i++) {
        int64_t t0 = now_us();
        struct xs_harness *h = xs_harness_start();
        int64_t dt = now_us() - t0;

        REQUIRE(h);
        total += dt;
        if (dt < best)
            best = dt;
        CHECK_STR_EQ(getenv("XENSTORED_PATH"), xs_harness_socket(h));
        CHECK(strlen(xs_harness_socket(h)) < 108);

        struct xs_handle *xs = xs_open(0);

        CHECK(xs);
        if (xs) {
            unsigned int len;
            char *v;

            CHECK(read_is(xs, "/local/domain/0/domid", "0"));
            CHECK(read_is(xs, "/local/domain/0/name", "Domain-0"));
            /* What xenstored itself made. */
            v = xs_read(xs, XBT_NULL, "/tool/xenstored", &len);
            CHECK(v);
            free(v);
            xs_close(xs);
        }
        xs_harness_stop(h);
    }
    TAP_DIAG("start: best %lld us, mean %lld us over %d", (long long)best,
             (long long)(total / N), N);
    CHECK(total / N < 1000 * 1000);    /* notes: ~20 ms; room for loaded CI */
}

STORE_TEST(read_write_directory_rm, false)
{
    unsigned int n = 0;
    char **dir;
    bool seen_a = false, seen_b = false;

    CHECK(put(xs, "/test/a", "alpha"));
    CHECK(put(xs, "/test/b", ""));
    CHECK(read_is(xs, "/test/a", "alpha"));
    CHECK(read_is(xs, "/test/b", ""));

    dir = xs_directory(xs, XBT_NULL, "/test", &n);
    CHECK(dir);
    CHECK_INT_EQ(n, 2);
    for (unsigned int i = 0; dir && i < n; i++) {
        /* Listing order is implementation-defined. */
        seen_a |= strcmp(dir[i], "a") == 0;
        seen_b |= strcmp(dir[i], "b") == 0;
    }
    CHECK(seen_a && seen_b);
    free(dir);

    CHECK(xs_rm(xs, XBT_NULL, "/test"));
    errno = 0;
    CHECK(xs_read(xs, XBT_NULL, "/test/a", &n) == NULL);
    CHECK_INT_EQ(errno, ENOENT);
}

STORE_TEST(watch_fires, true)
{
    CHECK(xs_watch(xs, "/w", "tok"));
    CHECK(wait_event(xs, "/w", "tok"));          /* fires when set */
    CHECK(put(other, "/w/leaf", "1"));
    CHECK(wait_event(xs, "/w/leaf", "tok"));     /* children fire too */
    CHECK(xs_unwatch(xs, "/w", "tok"));
}

STORE_TEST(transaction_conflict_then_success, true)
{
    xs_transaction_t t;
    unsigned int len;
    char *v;

    CHECK(put(xs, "/tx", "0"));

    t = xs_transaction_start(xs);
    CHECK(t != XBT_NULL);
    v = xs_read(xs, t, "/tx", &len);
    CHECK(v);
    free(v);
    CHECK(put(other, "/tx", "other"));          /* conflicting commit */
    CHECK(xs_write(xs, t, "/tx", "mine", 4));
    errno = 0;
    CHECK(!xs_transaction_end(xs, t, false));
    CHECK_INT_EQ(errno, EAGAIN);
    CHECK(read_is(xs, "/tx", "other"));

    t = xs_transaction_start(xs);               /* the retry */
    CHECK(t != XBT_NULL);
    v = xs_read(xs, t, "/tx", &len);
    CHECK(v);
    free(v);
    CHECK(xs_write(xs, t, "/tx", "mine", 4));
    CHECK(xs_transaction_end(xs, t, false));
    CHECK(read_is(xs, "/tx", "mine"));
}

STORE_TEST(permissions_set_get, false)
{
    struct xs_permissions set[2] = {
        {.id = 0, .perms = XS_PERM_NONE},
        {.id = 5, .perms = XS_PERM_READ},
    };
    struct xs_permissions *got;
    unsigned int n = 0;

    CHECK(put(xs, "/perm", "x"));
    CHECK(xs_set_permissions(xs, XBT_NULL, "/perm", set, 2));
    got = xs_get_permissions(xs, XBT_NULL, "/perm", &n);
    CHECK(got);
    CHECK_INT_EQ(n, 2);
    if (got && n == 2) {
        CHECK_INT_EQ(got[0].id, 0);
        CHECK_INT_EQ(got[0].perms, XS_PERM_NONE);
        CHECK_INT_EQ(got[1].id, 5);
        CHECK_INT_EQ(got[1].perms, XS_PERM_READ);
    }
    free(got);
}

STORE_TEST(domain_path, false)
{
    char *p;

    p = xs_get_domain_path(xs, 5);
    CHECK_STR_EQ(p, "/local/domain/5");
    free(p);
}

STORE_TEST(introduce_release_fire_watches, true)
{
    /* `other` plays the toolstack. */
    /* One watch at a time so each initial event is drained for sure. */
    CHECK(xs_watch(xs, "@introduceDomain", "intro"));
    CHECK(wait_event(xs, "@introduceDomain", "intro"));
    CHECK(xs_watch(xs, "@releaseDomain", "rel"));
    CHECK(wait_event(xs, "@releaseDomain", "rel"));

    CHECK(!xs_is_domain_introduced(other, 5));
    CHECK(xs_introduce_domain(other, 5, 0x1234, 7));
    CHECK(wait_event(xs, "@introduceDomain", "intro"));
    CHECK(xs_is_domain_introduced(other, 5));

    CHECK(xs_release_domain(other, 5));
    CHECK(wait_event(xs, "@releaseDomain", "rel"));
    CHECK(!xs_is_domain_introduced(other, 5));
}

TEST(two_instances_isolated)
{
    struct xs_harness *h1 = xs_harness_start();
    struct xs_harness *h2 = xs_harness_start();
    struct xs_handle *x1 = NULL, *x2 = NULL;
    unsigned int len;

    if (!h1 || !h2) {
        xs_harness_stop(h1);
        xs_harness_stop(h2);
        REQUIRE(false);
    }
    CHECK(strcmp(xs_harness_socket(h1), xs_harness_socket(h2)) != 0);
    CHECK(xs_harness_pid(h1) != xs_harness_pid(h2));
    CHECK_STR_EQ(getenv("XENSTORED_PATH"), xs_harness_socket(h2));

    x1 = xs_harness_open(h1);
    x2 = xs_harness_open(h2);
    CHECK(x1 && x2);
    if (x1 && x2) {
        CHECK(put(x1, "/iso", "one"));
        CHECK(put(x2, "/iso", "two"));
        CHECK(put(x1, "/only1", "x"));
        CHECK(read_is(x1, "/iso", "one"));
        CHECK(read_is(x2, "/iso", "two"));
        errno = 0;
        CHECK(xs_read(x2, XBT_NULL, "/only1", &len) == NULL);
        CHECK_INT_EQ(errno, ENOENT);
    }
    if (x1)
        xs_close(x1);
    if (x2)
        xs_close(x2);

    /* Stopping one leaves the other serving. */
    xs_harness_stop(h1);
    x2 = xs_harness_open(h2);
    CHECK(x2);
    if (x2) {
        CHECK(read_is(x2, "/iso", "two"));
        xs_close(x2);
    }
    xs_harness_stop(h2);
}

TEST(children_inherit_socket)
{
    struct xs_harness *h = xs_harness_start();
    char line[64] = "";
    FILE *f;

    REQUIRE(h);
    if (access("/usr/bin/xenstore-read", X_OK) < 0) {
        xs_harness_stop(h);
        TAP_SKIP("xenstore-read not installed (xenstore-utils)");
    }
    /* A separate program, reaching the daemon only through the env. */
    f = popen("/usr/bin/xenstore-read /local/domain/0/name", "r");
    CHECK(f);
    if (f) {
        if (!fgets(line, sizeof(line), f))
            line[0] = '\0';
        CHECK_INT_EQ(pclose(f), 0);
    }
    line[strcspn(line, "\n")] = '\0';
    CHECK_STR_EQ(line, "Domain-0");
    xs_harness_stop(h);
}

/* A daemon started, its pid and directory noted (they outlive h). */
static struct xs_harness *start_noted(pid_t *pid, char dir[64])
{
    struct xs_harness *h = xs_harness_start();

    if (h) {
        *pid = xs_harness_pid(h);
        snprintf(dir, 64, "%s", xs_harness_dir(h));
    }
    return h;
}

TEST(stop_leaves_nothing)
{
    char dir[64];
    pid_t pid;
    struct xs_harness *h = start_noted(&pid, dir);

    REQUIRE(h);
    CHECK(pid > 0);
    CHECK(dir_exists(dir));
    xs_harness_stop(h);
    CHECK(process_gone(pid));
    CHECK(!dir_exists(dir));
    CHECK(getenv("XENSTORED_PATH") == NULL);
}

/* A daemon that died under a test: stop still reaps and cleans up. */
TEST(stop_after_daemon_died)
{
    char dir[64];
    pid_t pid;
    struct xs_harness *h = start_noted(&pid, dir);

    REQUIRE(h);
    CHECK(kill(pid, SIGKILL) == 0);
    usleep(20 * 1000);
    xs_harness_stop(h);                 /* reports the death on stderr */
    CHECK(process_gone(pid));
    CHECK(!dir_exists(dir));
}

/*
 * PR_SET_PDEATHSIG: a test killed mid-way takes its daemon along. We become
 * a subreaper so the orphaned daemon is ours to reap (PID 1 here may leave
 * zombies) and its cause of death can be checked.
 */
TEST(daemon_dies_with_its_parent)
{
    int p[2], status = 0;
    pid_t child, daemon_pid = 0;
    char dir[64] = "";
    struct {
        pid_t pid;
        char dir[60];
    } msg;

    REQUIRE(pipe(p) == 0);
    REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    child = fork();
    if (child < 0)
        prctl(PR_SET_CHILD_SUBREAPER, 0);
    REQUIRE(child >= 0);
    if (child == 0) {
        struct xs_harness *h = xs_harness_start();

        memset(&msg, 0, sizeof(msg));
        if (h) {
            msg.pid = xs_harness_pid(h);
            snprintf(msg.dir, sizeof(msg.dir), "%s", xs_harness_dir(h));
        }
        if (write(p[1], &msg, sizeof(msg)) != (ssize_t)sizeof(msg))
            _exit(2);
        raise(SIGKILL);         /* dies without cleaning up */
        _exit(3);
    }
    close(p[1]);
    if (read(p[0], &msg, sizeof(msg)) == (ssize_t)sizeof(msg)) {
        daemon_pid = msg.pid;
        snprintf(dir, sizeof(dir), "%s", msg.dir);
    }
    close(p[0]);
    waitpid(child, NULL, 0);
    CHECK(daemon_pid > 0);
    if (daemon_pid > 0) {
        int64_t deadline = now_us() + 2000 * 1000;
        pid_t r;

        while ((r = waitpid(daemon_pid, &status, WNOHANG)) == 0 &&
               now_us() < deadline)
            usleep(1000);
        if (r != daemon_pid) {
            kill(daemon_pid, SIGKILL);
            waitpid(daemon_pid, &status, 0);
        }
        CHECK_INT_EQ(r, daemon_pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    /* Nobody was left to remove the directory: do it here. */
    if (dir[0]) {
        char path[128];

        snprintf(path, sizeof(path), "%s/socket", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/pid", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/log", dir);
        unlink(path);
        CHECK(rmdir(dir) == 0);
    }
}

TEST(failed_start_reports_and_cleans_up)
{
    char *saved = getenv("XENSTORED_BIN") ? strdup(getenv("XENSTORED_BIN"))
                                          : NULL;
    struct xs_harness *h;

    setenv("XENSTORED_BIN", "/bin/false", 1);  /* exits at once */
    h = xs_harness_start();
    CHECK(h == NULL);
    xs_harness_stop(h);
    setenv("XENSTORED_BIN", "/nonexistent/xenstored", 1);
    h = xs_harness_start();
    CHECK(h == NULL);
    xs_harness_stop(h);
    if (saved)
        setenv("XENSTORED_BIN", saved, 1);
    else
        unsetenv("XENSTORED_BIN");
    free(saved);
}

TAP_MAIN(starts_fast_with_dom0_nodes, read_write_directory_rm, watch_fires,
         transaction_conflict_then_success, permissions_set_get, domain_path,
         introduce_release_fire_watches, two_instances_isolated,
         children_inherit_socket, stop_leaves_nothing, stop_after_daemon_died,
         daemon_dies_with_its_parent, failed_start_reports_and_cleans_up)

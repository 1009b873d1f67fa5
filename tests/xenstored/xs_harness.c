#include "xs_harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#ifndef XSSHIM_PATH
#error "XSSHIM_PATH must name the built xsshim.so"
#endif
#define XENSTORED_BIN_DEFAULT "/usr/lib/xen-4.17/bin/xenstored"

#define START_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 2000

extern char **environ;

struct xs_harness {
    pid_t pid;
    char dir[32];                       /* /tmp/xs.XXXXXX */
    char socket[48];                    /* dir + /socket, far below 108 */
    char log[48];
    char pidfile[48];
    char trace[48];
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
    va_list ap;

    fputs("xs_harness: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = us * 1000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Copies the daemon's output to stderr so a failed start says why. */
static void dump_log(const struct xs_harness *h)
{
    char buf[4096];
    ssize_t n;
    int fd = open(h->log, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    fprintf(stderr, "xs_harness: --- xenstored output (%s) ---\n", h->log);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        fwrite(buf, 1, (size_t)n, stderr);
    fprintf(stderr, "xs_harness: --- end of xenstored output ---\n");
    close(fd);
}

/* The dir is flat: socket, pid, log, trace (and a tdb with -I off). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    if (rmdir(dir) < 0 && errno != ENOENT)
        fail("rmdir %s: %s", dir, strerror(errno));
}

/* Reaps pid within timeout_ms; true once it is gone. */
static bool reap(pid_t pid, int timeout_ms, int *status)
{
    int64_t deadline = now_ms() + timeout_ms;

    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid || (r < 0 && errno == ECHILD))
            return true;        /* ECHILD: SIGCHLD ignored, auto-reaped */
        if (r < 0 && errno != EINTR)
            return true;
        if (now_ms() >= deadline)
            return false;
        sleep_us(500);
    }
}

static bool env_flag(const char *name)
{
    const char *v = getenv(name);

    return v && *v && strcmp(v, "0") != 0;
}

/* Don't leave XENSTORED_PATH naming a dead instance. */
static void unset_env(const struct xs_harness *h)
{
    const char *cur = getenv("XENSTORED_PATH");

    if (cur && strcmp(cur, h->socket) == 0)
        unsetenv("XENSTORED_PATH");
}

static void kill_and_reap(pid_t pid)
{
    int status;

    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    if (!reap(pid, STOP_TIMEOUT_MS, &status)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
}

/* The daemon's environment: ours, with its socket, rundir and the shim. */
struct child_env {
    char **envp;
    char *ours[3];
};

static void free_child_env(struct child_env *ce)
{
    for (size_t i = 0; i < 3; i++)
        free(ce->ours[i]);
    free(ce->envp);
    memset(ce, 0, sizeof(*ce));
}

static char *dup_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? NULL : s;    /* s is undefined on failure */
}

static bool make_child_env(struct child_env *ce, const struct xs_harness *h,
                           const char *shim)
{
    static const char *const drop[] = {"LD_PRELOAD=", "XENSTORED_PATH=",
                                       "XENSTORED_RUNDIR="};
    size_t n = 0, k = 0;

    ce->ours[0] = dup_printf("LD_PRELOAD=%s", shim);
    ce->ours[1] = dup_printf("XENSTORED_PATH=%s", h->socket);
    ce->ours[2] = dup_printf("XENSTORED_RUNDIR=%s", h->dir);
    if (!ce->ours[0] || !ce->ours[1] || !ce->ours[2]) {
        free_child_env(ce);
        return false;
    }
    while (environ && environ[n])
        n++;
    ce->envp = calloc(n + 4, sizeof(*ce->envp));
    if (!ce->envp) {
        free_child_env(ce);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        bool keep = true;

        for (size_t j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
            if (strncmp(environ[i], drop[j], strlen(drop[j])) == 0)
                keep = false;
        if (keep)
            ce->envp[k++] = environ[i];
    }
    for (size_t i = 0; i < 3; i++)
        ce->envp[k++] = ce->ours[i];
    ce->envp[k] = NULL;
    return true;
}

/* Moves fd above 2 so the child's dup2() onto 0..2 cannot clobber it. */
static int above_stdio(int fd)
{
    int nfd;

    if (fd < 0 || fd > 2)
        return fd;
    nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return nfd;
}

/* Only async-signal-safe calls: the parent may have threads. */
static void __attribute__((noreturn))
exec_daemon(const char *bin, char *const argv[], char *const envp[],
            int null_fd, int log_fd, pid_t parent)
{
    sigset_t none;
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    static const char msg[] = "xs_harness: execve of xenstored failed\n";

    /* Never outlive the test, even if it is SIGKILLed. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    /* A blocked or ignored SIGTERM would survive exec and break stop. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGHUP, &dfl, NULL);
    if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
        _exit(127);
    /* Don't hold other instances' or clients' sockets open. */
    if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    }
    execve(bin, argv, envp);
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* nothing left to report to */
    }
    _exit(127);
}

/*
 * Connects to the socket and does one XS_DIRECTORY "/" round trip, bounded by
 * deadline: true once xenstored has answered, i.e. dom0 init is done.
 * *refused tells the caller to retry (socket not there or not listening yet).
 */
static bool ping(const char *path, int64_t deadline, bool *refused)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct {
        struct xsd_sockmsg hdr;
        char body[2];
    } req = {.hdr = {.type = XS_DIRECTORY, .req_id = 1, .len = 2},
             .body = "/"};
    struct xsd_sockmsg rep;
    size_t got = 0;
    bool ok = false;
    int fd;

    *refused = false;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        *refused = errno == ENOENT || errno == ECONNREFUSED;
        goto out;
    }
    if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
        goto out;
    while (got < sizeof(rep)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - now_ms();
        ssize_t n;

        if (left <= 0)
            goto out;
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            goto out;
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = read(fd, (char *)&rep + got, sizeof(rep) - got);
        if (n <= 0)
            goto out;           /* EOF: the daemon died during init */
        got += (size_t)n;
    }
    ok = rep.req_id == req.hdr.req_id;
out:
    close(fd);
    return ok;
}

/* What xen-init-dom0 adds on a real dom0 (xenstored makes /local/domain/0). */
static bool init_dom0(void)
{
    struct xs_handle *xs = xs_open(0);
    bool ok;

    if (!xs) {
        fail("xs_open: %s", strerror(errno));
        return false;
    }
    ok = xs_write(xs, XBT_NULL, "/local/domain/0/domid", "0", 1) &&
         xs_write(xs, XBT_NULL, "/local/domain/0/name", "Domain-0", 8);
    if (!ok)
        fail("writing dom0 nodes: %s", strerror(errno));
    xs_close(xs);
    return ok;
}

/* Says how the daemon ended if it did within wait_ms; false if it runs. */
static bool report_exit(pid_t pid, int wait_ms)
{
    int status = 0;
    int64_t deadline = now_ms() + wait_ms;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return false;
        if (now_ms() >= deadline)
            return false;
        sleep_us(500);
    }
    if (WIFEXITED(status))
        fail("xenstored exited with status %d during start",
             WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        fail("xenstored killed by signal %d during start", WTERMSIG(status));
    return true;
}

/* Waits until the daemon answers; false (reported) if it died or hung. */
static bool wait_ready(struct xs_harness *h)
{
    int64_t deadline = now_ms() + START_TIMEOUT_MS;

    for (;;) {
        bool refused;

        if (ping(h->socket, deadline, &refused))
            return true;
        if (!refused || now_ms() >= deadline) {
            /* EOF can come before the exit status is visible: wait a bit. */
            if (report_exit(h->pid, 200))
                h->pid = 0;
            else
                fail("xenstored did not answer on %s within %d ms",
                     h->socket, START_TIMEOUT_MS);
            return false;
        }
        if (report_exit(h->pid, 0)) {
            h->pid = 0;
            return false;
        }
        sleep_us(200);
    }
}

struct xs_harness *xs_harness_start(void)
{
    const char *bin = getenv("XENSTORED_BIN");
    const char *shim = getenv("XSSHIM");
    struct xs_harness *h;
    struct child_env ce = {0};
    char *argv[7];
    int argc = 0;
    int null_fd = -1, log_fd = -1;
    pid_t parent = getpid();

    if (!bin || !*bin)
        bin = XENSTORED_BIN_DEFAULT;
    if (!shim || !*shim)
        shim = XSSHIM_PATH;
    if (access(bin, X_OK) < 0) {
        fail("xenstored %s: %s (set XENSTORED_BIN)", bin, strerror(errno));
        return NULL;
    }
    if (access(shim, R_OK) < 0) {
        fail("shim %s: %s (set XSSHIM)", shim, strerror(errno));
        return NULL;
    }

    h = calloc(1, sizeof(*h));
    if (!h) {
        fail("out of memory");
        return NULL;
    }
    strcpy(h->dir, "/tmp/xs.XXXXXX");
    if (!mkdtemp(h->dir)) {
        fail("mkdtemp %s: %s", h->dir, strerror(errno));
        free(h);
        return NULL;
    }
    snprintf(h->socket, sizeof(h->socket), "%s/socket", h->dir);
    snprintf(h->log, sizeof(h->log), "%s/log", h->dir);
    snprintf(h->pidfile, sizeof(h->pidfile), "%s/pid", h->dir);
    snprintf(h->trace, sizeof(h->trace), "%s/trace", h->dir);

    /* Everything the child needs is ready before fork: it may not malloc. */
    argv[argc++] = (char *)bin;
    argv[argc++] = (char *)"-N";        /* no fork: we are its parent */
    argv[argc++] = (char *)"-F";
    argv[argc++] = h->pidfile;
    if (env_flag("XS_HARNESS_TRACE")) {
        argv[argc++] = (char *)"-T";    /* every request and reply */
        argv[argc++] = h->trace;
    }
    argv[argc] = NULL;
    null_fd = above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
    log_fd = above_stdio(
        open(h->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!make_child_env(&ce, h, shim) || null_fd < 0 || log_fd < 0) {
        fail("preparing %s: %s", h->dir, strerror(errno));
        goto fail;
    }

    h->pid = fork();
    if (h->pid < 0) {
        fail("fork: %s", strerror(errno));
        h->pid = 0;
        goto fail;
    }
    if (h->pid == 0)
        exec_daemon(bin, argv, ce.envp, null_fd, log_fd, parent);
    close(null_fd);
    close(log_fd);
    null_fd = log_fd = -1;
    free_child_env(&ce);

    if (!wait_ready(h))
        goto fail;
    if (setenv("XENSTORED_PATH", h->socket, 1) < 0) {
        fail("setenv: %s", strerror(errno));
        goto fail;
    }
    if (!init_dom0())
        goto fail;
    return h;

fail:
    if (null_fd >= 0)
        close(null_fd);
    if (log_fd >= 0)
        close(log_fd);
    free_child_env(&ce);
    kill_and_reap(h->pid);
    dump_log(h);
    unset_env(h);
    remove_dir(h->dir);
    free(h);
    return NULL;
}

const char *xs_harness_socket(const struct xs_harness *h)
{
    return h->socket;
}

const char *xs_harness_dir(const struct xs_harness *h)
{
    return h->dir;
}

pid_t xs_harness_pid(const struct xs_harness *h)
{
    return h->pid;
}

struct xs_handle *xs_harness_open(const struct xs_harness *h)
{
    if (setenv("XENSTORED_PATH", h->socket, 1) < 0)
        return NULL;
    return xs_open(0);
}

void xs_harness_stop(struct xs_harness *h)
{
    int status;

    if (!h)
        return;
    /* Dead before we stop it: a crash the test should hear about. */
    if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
        if (WIFSIGNALED(status))
            fail("xenstored %d had died of signal %d", (int)h->pid,
                 WTERMSIG(status));
        else
            fail("xenstored %d had exited with status %d", (int)h->pid,
                 WEXITSTATUS(status));
        dump_log(h);
        h->pid = 0;
    }
    kill_and_reap(h->pid);
    unset_env(h);
    if (env_flag("XS_HARNESS_KEEP"))
        fprintf(stderr, "xs_harness: kept %s (XS_HARNESS_KEEP)\n", h->dir);
    else
        remove_dir(h->dir);
    free(h);
}

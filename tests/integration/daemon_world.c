#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "daemon_world.h"
#include "xensim.h"
#include "xs_harness.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

bool world_watchdog;
bool world_capture_log;

int world_spawn_daemon(struct daemon_world *w)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", w->tmpdir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char wpid[16];
        snprintf(wpid, sizeof(wpid), "%d", (int)getpid());
        setenv("NOTIFY_SOCKET", sa.sun_path, 1);
        /* Only where a test listens: unread pings would fill the socket
         * (net.unix.max_dgram_qlen) and block the daemon, as they would
         * under a systemd that stopped reading. */
        if (world_watchdog) {
            setenv("WATCHDOG_USEC", "1000000", 1);
            setenv("WATCHDOG_PID", wpid, 1);
        }
        if (w->log_path[0]) {
            int fd = open(w->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (fd < 0 || dup2(fd, 2) < 0)
                _exit(126);
        }
        execv(w->argv[0], (char *const *)w->argv);
        _exit(127);
    }
    w->pid = pid;
    if (world_wait_notify(w, "READY=1", 10000) < 0) {
        fprintf(stderr, "world_start: pvscsid never said READY=1\n");
        return -1;
    }
    return 0;
}

int world_start(struct daemon_world *w, const char *const *extra)
{
    memset(w, 0, sizeof(*w));
    w->pid = -1;
    w->notify_fd = -1;
    const char *bin = getenv("PVSCSID_SIM");
    if (!bin) {
        fprintf(stderr, "world_start: PVSCSID_SIM not set\n");
        return -1;
    }
    snprintf(w->tmpdir, sizeof(w->tmpdir), "/tmp/pvscsid-test.XXXXXX");
    if (!mkdtemp(w->tmpdir)) {
        perror("mkdtemp");
        return -1;
    }
    if (xensim_setup(NULL) < 0 || !(w->xsh = xs_harness_start()) || !(w->xs = xs_open(0))) {
        fprintf(stderr, "world_start: simulator or xenstored failed\n");
        return -1;
    }
    /* A private management socket and state directory unless the test
     * names them. */
    snprintf(w->sock, sizeof(w->sock), "%s/xapi.sock", w->tmpdir);
    snprintf(w->state_dir, sizeof(w->state_dir), "%s/state", w->tmpdir);
    if (world_capture_log)
        snprintf(w->log_path, sizeof(w->log_path), "%s/pvscsid.log", w->tmpdir);
    const char *base[] = {bin, "-f", "-w", "2", "--mgmt-socket", w->sock,
                          "--state-dir", w->state_dir};
    int argc = 0;
    for (; argc < (int)(sizeof(base) / sizeof(base[0])); argc++)
        w->argv[argc] = base[argc];
    for (int i = 0; extra && extra[i] && argc < WORLD_MAX_ARGS - 1; i++)
        w->argv[argc++] = extra[i];
    w->argv[argc] = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", w->tmpdir);
    w->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (w->notify_fd < 0 || bind(w->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("notify socket");
        return -1;
    }
    return world_spawn_daemon(w);
}

void world_kill_daemon(struct daemon_world *w)
{
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        waitpid(w->pid, NULL, 0);
        w->pid = -1;
    }
}

int world_restart_daemon(struct daemon_world *w, bool crash)
{
    int status = 0;
    if (crash)
        world_kill_daemon(w);
    else
        status = world_stop_daemon_only(w);
    return world_spawn_daemon(w) < 0 ? -1 : status;
}

int world_wait_notify(struct daemon_world *w, const char *what, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0 || w->notify_fd < 0)
            return -1;
        struct pollfd p = {.fd = w->notify_fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        char msg[512];
        ssize_t n = recv(w->notify_fd, msg, sizeof(msg) - 1, 0);
        if (n <= 0)
            continue;
        msg[n] = '\0';
        if (strstr(msg, what))
            return 0;
    }
}

bool world_daemon_alive(struct daemon_world *w)
{
    if (w->pid <= 0)
        return false;
    int st;
    pid_t r = waitpid(w->pid, &st, WNOHANG);
    if (r == w->pid) {
        fprintf(stderr, "pvscsid died: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        w->pid = -1;
        return false;
    }
    return true;
}

int world_stop_daemon_only(struct daemon_world *w)
{
    int status = -1;
    if (w->pid > 0) {
        kill(w->pid, SIGTERM);
        long deadline = now_ms() + 15000;
        int st;
        for (;;) {
            pid_t r = waitpid(w->pid, &st, WNOHANG);
            if (r == w->pid) {
                status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                break;
            }
            if (now_ms() > deadline) {
                fprintf(stderr, "pvscsid did not stop on SIGTERM: killed\n");
                if (getenv("WORLD_GDB_ON_HANG")) {
                    char cmd[128];
                    snprintf(cmd, sizeof(cmd),
                             "gdb -p %d -batch -ex 'thread apply all bt' >&2 2>/dev/null",
                             (int)w->pid);
                    if (system(cmd) != 0)
                        fprintf(stderr, "gdb failed\n");
                }
                kill(w->pid, SIGKILL);
                waitpid(w->pid, &st, 0);
                break;
            }
            usleep(2000);
        }
        w->pid = -1;
    }
    return status;
}

int world_stop(struct daemon_world *w)
{
    int status = world_stop_daemon_only(w);
    if (w->notify_fd >= 0)
        close(w->notify_fd);
    w->notify_fd = -1;
    if (w->xs)
        xs_close(w->xs);
    w->xs = NULL;
    xs_harness_stop(w->xsh);
    w->xsh = NULL;
    xensim_teardown();
    if (w->log_path[0]) {
        /* The daemon's log belongs in the test's output too. */
        FILE *f = fopen(w->log_path, "r");
        char line[512];
        while (f && fgets(line, sizeof(line), f))
            fputs(line, stderr);
        if (f)
            fclose(f);
    }
    if (w->tmpdir[0]) {
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", w->tmpdir);
    }
    return status;
}

int world_make_file(struct daemon_world *w, const char *name, uint64_t size, char *pdev,
                    size_t pdev_size)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", w->tmpdir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int r = ftruncate(fd, (off_t)size);
    close(fd);
    if (r < 0)
        return -1;
    int n = snprintf(pdev, pdev_size, "file:%s", path);
    return n < 0 || (size_t)n >= pdev_size ? -1 : 0;
}

struct simfront *world_attach(struct daemon_world *w, struct simguest *g, uint32_t devid,
                              const struct toolstack_lun *luns, int n)
{
    if (toolstack_vscsi_create(w->xs, 0, simguest_domid(g), devid, luns, n, false) < 0) {
        fprintf(stderr, "toolstack_vscsi_create failed\n");
        return NULL;
    }
    struct simfront *f = simfront_probe(g, devid);
    if (!f)
        return NULL;
    if (simfront_wait_connected(f, 5000) < 0) {
        fprintf(stderr, "device %u/%u did not connect (backend state %d)\n",
                simguest_domid(g), devid, simfront_backend_state(f));
        return NULL;
    }
    return f;
}

int world_lun_state(struct daemon_world *w, uint16_t domid, uint32_t devid, unsigned index)
{
    char path[160];
    toolstack_backend_path(path, sizeof(path), 0, domid, devid);
    size_t l = strlen(path);
    snprintf(path + l, sizeof(path) - l, "/vscsi-devs/dev-%u/state", index);
    char *v = xs_read(w->xs, XBT_NULL, path, NULL);
    if (!v)
        return -1;
    int s = atoi(v);
    free(v);
    return s;
}

int world_wait_lun_state(struct daemon_world *w, uint16_t domid, uint32_t devid,
                         unsigned index, int state, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    do {
        int s = world_lun_state(w, domid, devid, index);
        if (s == state || (state < 0 && s < 0))
            return 0;
        usleep(2000);
    } while (now_ms() < deadline);
    return -1;
}

int world_ctl(const char *sock, const char *args, char *out, size_t size)
{
    const char *ctl = getenv("PVSCSICTL");
    if (!ctl || size == 0)
        return -1;
    char cmd[512];
    if (snprintf(cmd, sizeof(cmd), "%s --socket %s %s 2>&1", ctl, sock, args) >= (int)sizeof(cmd))
        return -1;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int world_log_count(const struct daemon_world *w, const char *needle)
{
    FILE *f = fopen(w->log_path, "r");
    char line[1024];
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    if (f && fclose(f) != 0)
        n = -1;
    return n;
}

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

int world_start(struct daemon_world *w, const char *const *extra)
{
    memset(w, 0, sizeof(*w));
    w->pid = -1;
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
    /* A private management socket unless the test names one. */
    char sock[96];
    snprintf(sock, sizeof(sock), "%s/xapi.sock", w->tmpdir);
    const char *argv[32] = {bin, "-f", "-w", "2", "--mgmt-socket", sock};
    int argc = 6;
    for (int i = 0; extra && extra[i] && argc < 30; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    w->pid = pid;
    /* No need to wait for readiness: the daemon rescans backend/vscsi when
     * it starts, so devices written before or after it are both found. */
    return 0;
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
    if (w->xs)
        xs_close(w->xs);
    w->xs = NULL;
    xs_harness_stop(w->xsh);
    w->xsh = NULL;
    xensim_teardown();
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

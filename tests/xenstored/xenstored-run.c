/*
 * xenstored-run: a private xenstored (see xs_harness.h) for manual use.
 *
 *   xenstored-run              foreground; prints XENSTORED_PATH=..., stops
 *                              and cleans up on SIGINT/SIGTERM/SIGHUP
 *   eval "$(xenstored-run -b)" background; prints `export` lines, also
 *                              XENSTORED_RUN_PID, the keeper process:
 *                              `kill $XENSTORED_RUN_PID` stops and cleans up
 *   xenstored-run CMD [ARG..]  runs CMD against it, stops it, exits with
 *                              CMD's status
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xs_harness.h"

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
    stop_sig = sig;
}

/* Blocks the stop signals; sigsuspend() then waits for one without races. */
static void catch_stop_signals(sigset_t *old)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, old);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* -b output is for eval: exported, so the shell's children see it too. */
static void print_env(FILE *f, const struct xs_harness *h, pid_t keeper)
{
    const char *ex = keeper > 0 ? "export " : "";

    fprintf(f, "%sXENSTORED_PATH=%s\n", ex, xs_harness_socket(h));
    fprintf(f, "%sXENSTORED_PID=%d\n", ex, (int)xs_harness_pid(h));
    if (keeper > 0)
        fprintf(f, "%sXENSTORED_RUN_PID=%d\n", ex, (int)keeper);
    fflush(f);
}

static int foreground(void)
{
    sigset_t old;
    struct xs_harness *h;

    catch_stop_signals(&old);
    h = xs_harness_start();
    if (!h)
        return 1;
    print_env(stdout, h, 0);
    while (!stop_sig)
        sigsuspend(&old);
    xs_harness_stop(h);
    return 0;
}

/*
 * The keeper (a child in its own session) owns the daemon: PDEATHSIG ties the
 * daemon to it, and it removes the directory when killed. The parent exits
 * once the keeper reports, so $(...) returns: the keeper drops our stdout.
 */
static int background(void)
{
    int p[2];
    char ok = 0;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0) {
        perror("xenstored-run: pipe");
        return 1;
    }
    pid = fork();
    if (pid < 0) {
        perror("xenstored-run: fork");
        return 1;
    }
    if (pid == 0) {
        sigset_t old;
        struct xs_harness *h;
        int null_fd;

        close(p[0]);
        setsid();
        catch_stop_signals(&old);
        h = xs_harness_start();
        if (!h)
            _exit(1);
        print_env(stdout, h, getpid());
        null_fd = open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(null_fd, 1);
            dup2(null_fd, 2);
            if (null_fd > 2)
                close(null_fd);
        }
        ok = 1;
        if (write(p[1], &ok, 1) != 1)
            ok = 0;
        close(p[1]);
        while (!stop_sig)
            sigsuspend(&old);
        xs_harness_stop(h);
        _exit(0);
    }
    close(p[1]);
    while (read(p[0], &ok, 1) < 0 && errno == EINTR)
        ;
    close(p[0]);
    if (!ok) {
        waitpid(pid, NULL, 0);
        return 1;
    }
    return 0;
}

static int run_command(char **cmd)
{
    struct xs_harness *h = xs_harness_start();
    int status = 0;
    pid_t pid;

    if (!h)
        return 1;
    pid = fork();
    if (pid < 0) {
        perror("xenstored-run: fork");
        xs_harness_stop(h);
        return 1;
    }
    if (pid == 0) {
        execvp(cmd[0], cmd);    /* XENSTORED_PATH is already in environ */
        fprintf(stderr, "xenstored-run: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    /* Ctrl-C reaches CMD (same process group); we outlive it to clean up. */
    signal(SIGINT, SIG_IGN);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    xs_harness_stop(h);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: %s            run in the foreground until a signal\n"
               "       %s -b         start in the background, print env\n"
               "       %s CMD [ARG]  run CMD against a private xenstored\n",
               argv[0], argv[0], argv[0]);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "-b"))
        return background();
    if (argc > 1) {
        int first = !strcmp(argv[1], "--") ? 2 : 1;

        if (first >= argc)
            return foreground();
        return run_command(argv + first);
    }
    return foreground();
}

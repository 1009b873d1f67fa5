/*
 * The daemon's system calls during a run, counted by Linux's
 * raw_syscalls:sys_enter tracepoint through `perf stat -p` (Debian's
 * linux-perf): every thread of the process, none of ours. Counting (not
 * recording) adds well under a microsecond per call. Without perf, or
 * without access to the tracepoint, the count is simply not there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int bench_syscalls_start(pid_t pid, double seconds, struct bench_syscalls *s)
{
    *s = (struct bench_syscalls){.perf = -1};
    snprintf(s->out, sizeof(s->out), "/tmp/pvscsi-bench-perf.XXXXXX");
    int fd = mkstemp(s->out);
    if (fd < 0)
        return -errno;
    close(fd);
    char spid[16], span[32];
    snprintf(spid, sizeof(spid), "%d", (int)pid);
    /* perf counts for as long as its command runs: the run, with a margin
     * on both sides in which the idle daemon makes no calls. */
    snprintf(span, sizeof(span), "%.3f", seconds + 1.0);
    pid_t p = fork();
    if (p < 0)
        return -errno;
    if (p == 0) {
        /* perf's own chatter would land in the bench's output. */
        if (!freopen("/dev/null", "w", stderr))
            _exit(126);
        execlp("perf", "perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p", spid, "-o",
               s->out, "--", "sleep", span, (char *)NULL);
        _exit(127);
    }
    s->perf = p;
    /* perf sets its counters up before it starts the command. */
    usleep(400000);
    return 0;
}

long bench_syscalls_stop(struct bench_syscalls *s)
{
    long n = -1;
    if (s->perf > 0) {
        int st;
        if (waitpid(s->perf, &st, 0) == s->perf && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            FILE *f = fopen(s->out, "r");
            char line[256];
            while (f && fgets(line, sizeof(line), f)) {
                /* "123456,,raw_syscalls:sys_enter,..." */
                if (!strstr(line, "raw_syscalls:sys_enter"))
                    continue;
                char *end;
                long v = strtol(line, &end, 10);
                if (end != line && *end == ',')
                    n = v;
            }
            if (f)
                fclose(f);
        }
        s->perf = -1;
    }
    if (s->out[0])
        unlink(s->out);
    return n;
}

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "conn_guard.h"
#include "tap.h"
#include "wait.h"

#define SEC 1000000000ull

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

/* The peer's end sees the connection shut (EOF). */
static bool shut(int peer)
{
    char c;
    return recv(peer, &c, 1, MSG_DONTWAIT) == 0;
}

TEST(overdue_connections_are_shut_down_busy_ones_are_not)
{
    struct conn_guard *g = conn_guard_new(3600);   /* its own thread never fires here */
    REQUIRE(g);
    int a[2], b[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
    void *ca = NULL, *cb = NULL;
    conn_guard_started(g, a[0], &ca);
    conn_guard_started(g, b[0], &cb);
    REQUIRE(ca && cb);
    uint64_t t = now_ns();
    CHECK_INT_EQ(conn_guard_reap(g, t + 10 * SEC), 0);           /* within the hour */
    conn_guard_busy(g, cb, true);                                /* our handler runs on b */
    CHECK_INT_EQ(conn_guard_reap(g, t + 3601 * SEC), 1);
    CHECK(shut(a[1]));
    CHECK(!shut(b[1]));
    conn_guard_busy(g, cb, false);                               /* answered: clock restarts */
    CHECK_INT_EQ(conn_guard_reap(g, now_ns() + 3500 * SEC), 0);
    conn_guard_idle(g, cb);
    CHECK_INT_EQ(conn_guard_reap(g, now_ns() + 3601 * SEC), 1);
    CHECK(shut(b[1]));
    CHECK_INT_EQ(conn_guard_reap(g, now_ns() + 7200 * SEC), 0);  /* once each */
    conn_guard_closed(g, &ca);
    conn_guard_closed(g, &cb);
    CHECK(ca == NULL && cb == NULL);
    conn_guard_free(g);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

TEST(its_thread_shuts_a_slow_connection)
{
    struct conn_guard *g = conn_guard_new(1);
    REQUIRE(g);
    int p[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0);
    void *c = NULL;
    conn_guard_started(g, p[0], &c);
    CHECK(WAIT_UNTIL_EVERY(shut(p[1]), 2000, 50));
    conn_guard_closed(g, &c);
    conn_guard_free(g);
    close(p[0]), close(p[1]);
}

/* voluntary_ctxt_switches summed over every thread of this process but
 * the calling one, or -1. */
static long other_threads_switches(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    long sum = 0;
    pid_t self = (pid_t)syscall(SYS_gettid);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == self)
            continue;
        char path[300], line[128];
        if (snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name) >= (int)sizeof(path))
            continue;   /* cannot happen: a tid is at most 10 digits */
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f))
            if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0)
                sum += atol(line + 24);
        if (f)
            fclose(f);
    }
    closedir(d);
    return sum;
}

/* With no connection the thread sleeps without a timeout; the first
 * connection after a while must wake it, or its deadline goes unwatched.
 * The thread's voluntary context switches over the idle spell show it
 * slept (it woke 5 times a second before). */
TEST(its_thread_sleeps_while_no_connection_is_open)
{
    struct conn_guard *g = conn_guard_new(1);
    REQUIRE(g);
    long s0 = other_threads_switches();
    usleep(1200 * 1000);
    long s1 = other_threads_switches();
    TAP_DIAG("the process's threads switched %ld times in 1.2 s idle", s1 - s0);
    CHECK(s0 >= 0 && s1 - s0 <= 2);
    int p[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0);
    void *c = NULL;
    conn_guard_started(g, p[0], &c);
    CHECK(WAIT_UNTIL_EVERY(shut(p[1]), 2000, 50));
    conn_guard_closed(g, &c);
    conn_guard_free(g);
    close(p[0]), close(p[1]);
}

TAP_MAIN(overdue_connections_are_shut_down_busy_ones_are_not, its_thread_shuts_a_slow_connection,
         its_thread_sleeps_while_no_connection_is_open)

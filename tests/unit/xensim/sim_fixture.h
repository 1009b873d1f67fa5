/* Per-case simulator fixture for the xensim tests: SIM_TEST(name) { ... }
 * runs the body in a fresh XENSIM_DIR and removes it afterwards;
 * SIM_DOMAIN_TEST(name, pages) also gives the body guest domain 1 as `d`.
 * Plus what several of these tests do alike: wait for an fd, fill a page,
 * expect exactly one event, run a child process with a pipe each way. */
#ifndef SIM_FIXTURE_H
#define SIM_FIXTURE_H

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "tap.h"
#include "xensim.h"

#define SIM_TEST(name)                                                      \
    static void name##_body(void);                                          \
    TEST(name)                                                              \
    {                                                                       \
        REQUIRE(xensim_setup(NULL) == 0);                                   \
        REQUIRE(xensim_dir() != NULL);                                      \
        name##_body();                                                      \
        CHECK_INT_EQ(xensim_teardown(), 0);                                 \
    }                                                                       \
    static void name##_body(void)

/* SIM_TEST with guest domain 1 of `pages` pages, `d` in the body; the
 * fixture destroys it after the body. */
#define SIM_DOMAIN_TEST(name, pages)                                        \
    static void name##_dom(struct xensim_domain *d);                        \
    SIM_TEST(name)                                                          \
    {                                                                       \
        struct xensim_domain *d = xensim_domain_create(1, (pages));         \
        REQUIRE(d);                                                         \
        name##_dom(d);                                                      \
        xensim_domain_destroy(d);                                           \
    }                                                                       \
    static void name##_dom(struct xensim_domain *d)

/* True when fd becomes readable within timeout_ms. */
static inline bool sim_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r == 1 && (p.revents & POLLIN);
}

/* Fills a guest page with a byte pattern derived from seed. */
static inline void sim_fill(void *page, unsigned seed)
{
    unsigned char *p = page;
    for (unsigned i = 0; i < XENSIM_PAGE_SIZE; i++)
        p[i] = (unsigned char)(seed * 31u + i * 7u);
}

/* Exactly one event is waiting on xce, for local port lp (the bind-time
 * event, say): it is read, nothing follows, the port is unmasked again. */
static inline void sim_check_one_event(xenevtchn_handle *xce, int lp)
{
    CHECK(sim_readable(xenevtchn_fd(xce), 5000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp);
    errno = 0;
    CHECK_INT_EQ(xenevtchn_pending(xce), -1);
    CHECK_INT_EQ(errno, EAGAIN);
    CHECK_INT_EQ(xenevtchn_unmask(xce, (evtchn_port_t)lp), 0);
}

/* A child process and our ends of a pipe each way. */
struct sim_child {
    pid_t pid;
    int up;     /* read end: what the child writes to its `up` */
    int down;   /* write end: what the child reads from its `down` */
};

/* Forks a child that runs fn(arg, up, down) and _exits with what it
 * returns (fn may exit itself). False when pipe or fork fail. */
static inline bool sim_fork(struct sim_child *c, int (*fn)(void *arg, int up, int down),
                            void *arg)
{
    int up[2], down[2];
    if (pipe(up) != 0)
        return false;
    if (pipe(down) != 0) {
        close(up[0]);
        close(up[1]);
        return false;
    }
    fflush(stdout);   /* a child that exit()s must not print our buffer again */
    pid_t pid = fork();
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        _exit(fn(arg, up[1], down[0]));
    }
    close(up[1]);
    close(down[0]);
    if (pid < 0) {
        close(up[0]);
        close(down[1]);
        return false;
    }
    *c = (struct sim_child){.pid = pid, .up = up[0], .down = down[1]};
    return true;
}

/* Reads a message of exactly len bytes from fd, waiting at most 10 s. */
static inline bool sim_read_msg(int fd, void *buf, size_t len)
{
    return sim_readable(fd, 10000) && read(fd, buf, len) == (ssize_t)len;
}

/* Closes our ends of the pipes (the child is waited for by the caller). */
static inline void sim_child_close(struct sim_child *c)
{
    close(c->up);
    close(c->down);
}

#endif

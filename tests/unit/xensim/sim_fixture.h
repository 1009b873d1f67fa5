/* Per-case simulator fixture for the xensim tests: SIM_TEST(name) { ... }
 * runs the body in a fresh XENSIM_DIR and removes it afterwards. */
#ifndef SIM_FIXTURE_H
#define SIM_FIXTURE_H

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
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

#endif

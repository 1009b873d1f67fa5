/*
 * Bounded waiting for what another process or thread does: a daemon
 * reacting to a change, a guest's mappings going away, a socket coming up.
 *
 *   CHECK(WAIT_UNTIL(xensim_count_mappings(5) == 0, 2000));
 *   int n = -1;
 *   WAIT_UNTIL((n = lookup()) >= 0, 2000);    // n: the last value seen
 *
 * cond is evaluated at once and again after each pause of step_ms (10 ms
 * for WAIT_UNTIL), until it holds or the pauses add up to timeout_ms; the
 * time cond itself takes comes on top. The value: whether cond held. A GNU
 * statement expression (the project builds as gnu11); the value may be
 * left unused.
 */
#ifndef PVSCSI_TEST_WAIT_H
#define PVSCSI_TEST_WAIT_H

#include <stdbool.h>
#include <unistd.h>

#define WAIT_UNTIL_EVERY(cond, timeout_ms, step_ms)                         \
    ({                                                                      \
        bool held_;                                                         \
        long slept_ = 0;                                                    \
        while (!(held_ = (cond)) && slept_ < (long)(timeout_ms)) {          \
            usleep((useconds_t)(step_ms) * 1000);                           \
            slept_ += (step_ms);                                            \
        }                                                                   \
        held_;                                                              \
    })

#define WAIT_UNTIL(cond, timeout_ms) WAIT_UNTIL_EVERY(cond, timeout_ms, 10)

#endif

/*
 * Minimal TAP test harness: each TEST() is one test case; CHECK* record
 * failures with file:line and go on; main() comes from TAP_MAIN(...).
 * meson runs the executables with protocol 'tap', so every case is counted.
 *
 *   TEST(parses_hctl) { CHECK_INT_EQ(f(), 3); }
 *   TAP_MAIN(parses_hctl, other_case)
 *
 * A case can skip itself with TAP_SKIP("reason") (printed, never silent).
 */
#ifndef PVSCSI_TAP_H
#define PVSCSI_TAP_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_state {
    int failures;        /* CHECK failures in the current case */
    const char *skip;    /* skip reason of the current case, or NULL */
};
extern struct tap_state tap_state;

#define TAP_DIAG(...)                                                       \
    do {                                                                    \
        fprintf(stdout, "# ");                                              \
        fprintf(stdout, __VA_ARGS__);                                       \
        fprintf(stdout, "\n");                                              \
        fflush(stdout);                                                     \
    } while (0)

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            tap_state.failures++;                                           \
            TAP_DIAG("%s:%d: CHECK(%s) failed", __FILE__, __LINE__, #cond); \
        }                                                                   \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                  \
    do {                                                                    \
        long long va_ = (long long)(a), vb_ = (long long)(b);               \
        if (va_ != vb_) {                                                   \
            tap_state.failures++;                                           \
            TAP_DIAG("%s:%d: %s == %s failed: %lld != %lld", __FILE__,      \
                     __LINE__, #a, #b, va_, vb_);                           \
        }                                                                   \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                  \
    do {                                                                    \
        const char *sa_ = (a), *sb_ = (b);                                  \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                        \
            tap_state.failures++;                                           \
            TAP_DIAG("%s:%d: %s == %s failed: \"%s\" != \"%s\"", __FILE__,  \
                     __LINE__, #a, #b, sa_ ? sa_ : "(null)",                \
                     sb_ ? sb_ : "(null)");                                 \
        }                                                                   \
    } while (0)

#define CHECK_MEM_EQ(a, b, n)                                               \
    do {                                                                    \
        if (memcmp((a), (b), (n)) != 0) {                                   \
            tap_state.failures++;                                           \
            TAP_DIAG("%s:%d: memcmp(%s, %s, %s) differs", __FILE__,         \
                     __LINE__, #a, #b, #n);                                 \
        }                                                                   \
    } while (0)

/* Stops the current case when a precondition fails (the case fails). */
#define REQUIRE(cond)                                                       \
    do {                                                                    \
        if (!(cond)) {                                                      \
            tap_state.failures++;                                           \
            TAP_DIAG("%s:%d: REQUIRE(%s) failed", __FILE__, __LINE__,       \
                     #cond);                                                \
            return;                                                         \
        }                                                                   \
    } while (0)

#define TAP_SKIP(reason)                                                    \
    do {                                                                    \
        tap_state.skip = (reason);                                          \
        return;                                                             \
    } while (0)

#define TEST(name) static void name(void)

struct tap_case {
    const char *name;
    void (*fn)(void);
};

int tap_run(const struct tap_case *cases, int n);

/* TAP_MAIN(a, b, c): runs the named cases in order. */
#define TAP_MAIN(...)                                                       \
    static void (*const tap_fns_[])(void) = {__VA_ARGS__};                  \
    int main(void)                                                          \
    {                                                                       \
        static const char names_[] = #__VA_ARGS__;                          \
        enum { n_ = sizeof(tap_fns_) / sizeof(tap_fns_[0]) };               \
        struct tap_case cases_[n_];                                         \
        char buf_[sizeof(names_)];                                          \
        memcpy(buf_, names_, sizeof(names_));                               \
        char *save_ = NULL, *tok_ = strtok_r(buf_, ", \t\n", &save_);       \
        for (int i_ = 0; i_ < n_; i_++) {                                   \
            cases_[i_].name = tok_ ? tok_ : "?";                            \
            cases_[i_].fn = tap_fns_[i_];                                   \
            tok_ = strtok_r(NULL, ", \t\n", &save_);                        \
        }                                                                   \
        return tap_run(cases_, n_);                                         \
    }

#endif

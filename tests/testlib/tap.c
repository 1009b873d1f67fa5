#include "tap.h"

struct tap_state tap_state;

int tap_run(const struct tap_case *cases, int n)
{
    int failed = 0;

    /* stdout may be a pipe to meson: keep TAP lines in order with stderr. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("1..%d\n", n);
    for (int i = 0; i < n; i++) {
        tap_state.failures = 0;
        tap_state.skip = NULL;
        cases[i].fn();
        if (tap_state.skip && tap_state.failures == 0) {
            printf("ok %d - %s # SKIP %s\n", i + 1, cases[i].name, tap_state.skip);
        } else if (tap_state.failures == 0) {
            printf("ok %d - %s\n", i + 1, cases[i].name);
        } else {
            printf("not ok %d - %s\n", i + 1, cases[i].name);
            failed++;
        }
    }
    return failed ? 1 : 0;
}

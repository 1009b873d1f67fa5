/* Test-side writer of a vscsi device with chosen states (stands in for
 * another toolstack and for the backend's state moves). */
#ifndef PVSCSI_TEST_TOOLSTACK_LITE_H
#define PVSCSI_TEST_TOOLSTACK_LITE_H

#include <stdbool.h>
#include <xenstore.h>

struct lite_lun {
    unsigned index;
    const char *p_dev, *v_dev, *state;     /* state NULL: not written */
};

bool lite_vscsi_create(struct xs_handle *xs, unsigned be, unsigned fe, unsigned devid,
                       const struct lite_lun *luns, int n, const char *be_state,
                       const char *fe_state);
/* Sets the backend state of a device, or one LUN's state (index >= 0). */
bool lite_set_state(struct xs_handle *xs, unsigned be, unsigned fe, unsigned devid, int index,
                    const char *state);

#endif

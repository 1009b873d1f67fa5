#include "xenbus_state.h"

#include <errno.h>

const char *vscsi_xenbus_state_name(int state)
{
    switch (state) {
    case XenbusStateUnknown: return "Unknown";
    case XenbusStateInitialising: return "Initialising";
    case XenbusStateInitWait: return "InitWait";
    case XenbusStateInitialised: return "Initialised";
    case XenbusStateConnected: return "Connected";
    case XenbusStateClosing: return "Closing";
    case XenbusStateClosed: return "Closed";
    case XenbusStateReconfiguring: return "Reconfiguring";
    case XenbusStateReconfigured: return "Reconfigured";
    default: return "invalid";
    }
}

int vscsi_xenbus_state_parse(const char *s, enum xenbus_state *out)
{
    if (!s || s[0] < '0' || s[0] > '9' || s[1] != '\0')
        return -EINVAL;
    int v = s[0] - '0';
    if (v > XenbusStateReconfigured)
        return -EINVAL;
    *out = (enum xenbus_state)v;
    return 0;
}

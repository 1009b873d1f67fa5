/* xenbus state names and parsing (protocol/xenbus_state.c). */
#include <errno.h>

#include "tap.h"
#include "xenbus_state.h"

TEST(names)
{
    CHECK_STR_EQ(vscsi_xenbus_state_name(XenbusStateInitialising), "Initialising");
    CHECK_STR_EQ(vscsi_xenbus_state_name(XenbusStateInitWait), "InitWait");
    CHECK_STR_EQ(vscsi_xenbus_state_name(XenbusStateConnected), "Connected");
    CHECK_STR_EQ(vscsi_xenbus_state_name(XenbusStateReconfigured), "Reconfigured");
    CHECK_STR_EQ(vscsi_xenbus_state_name(9), "invalid");
    CHECK_STR_EQ(vscsi_xenbus_state_name(-1), "invalid");
}

TEST(parses_every_state)
{
    static const char *const s[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8"};
    for (int i = 0; i <= 8; i++) {
        enum xenbus_state st = XenbusStateUnknown;
        CHECK_INT_EQ(vscsi_xenbus_state_parse(s[i], &st), 0);
        CHECK_INT_EQ(st, i);
    }
    CHECK_INT_EQ(XenbusStateClosed, 6);
    CHECK_INT_EQ(XenbusStateReconfiguring, 7);
}

TEST(rejects_garbage)
{
    static const char *const bad[] = {"", "9", "10", "-1", " 4", "4 ", "4\n", "x", "04"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum xenbus_state st = XenbusStateConnected;
        CHECK_INT_EQ(vscsi_xenbus_state_parse(bad[i], &st), -EINVAL);
        CHECK_INT_EQ(st, XenbusStateConnected);
    }
    enum xenbus_state st;
    CHECK_INT_EQ(vscsi_xenbus_state_parse(NULL, &st), -EINVAL);
}

TAP_MAIN(names, parses_every_state, rejects_garbage)

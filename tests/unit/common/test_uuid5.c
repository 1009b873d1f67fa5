#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "tap.h"
#include "uuid5.h"

TEST(name_based_is_stable_and_v5)
{
    char a[UUID_STRLEN], b[UUID_STRLEN], c[UUID_STRLEN];
    REQUIRE(uuid5_make(a, "pscsi:%s", "x") == 0);
    REQUIRE(uuid5_make(b, "pscsi:%s", "x") == 0);
    REQUIRE(uuid5_make(c, "pscsi:%s", "y") == 0);
    CHECK_STR_EQ(a, b);
    CHECK(strcmp(a, c) != 0);
    CHECK(uuid5_valid(a));
    CHECK_INT_EQ(a[14], '5');                       /* version nibble */
    CHECK(strchr("89ab", a[19]) != NULL);           /* RFC 4122 variant */
}

TEST(overlong_name_is_refused_not_truncated)
{
    char big[2000], out[UUID_STRLEN];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK(uuid5_make(out, "%s", big) < 0);
    CHECK_STR_EQ(out, "");
}

TEST(random_differs)
{
    char a[UUID_STRLEN], b[UUID_STRLEN];
    uuid5_random(a);
    uuid5_random(b);
    CHECK(uuid5_valid(a));
    CHECK(strcmp(a, b) != 0);
    CHECK_INT_EQ(a[14], '4');
}

TEST(validation)
{
    CHECK(uuid5_valid("0b9e3c1a-2f4d-5e6f-8a9b-0c1d2e3f4a5b"));
    CHECK(!uuid5_valid("0b9e3c1a-2f4d-5e6f-8a9b-0c1d2e3f4a5"));
    CHECK(!uuid5_valid("0b9e3c1a-2f4d-5e6f-8a9b-0c1d2e3f4a5bb"));
    CHECK(!uuid5_valid("zb9e3c1a-2f4d-5e6f-8a9b-0c1d2e3f4a5b"));
    CHECK(!uuid5_valid(""));
    CHECK(!uuid5_valid(NULL));
}

TEST(host_uuid_from_machine_id)
{
    char path[] = "/tmp/machine-id.XXXXXX", a[UUID_STRLEN], b[UUID_STRLEN];
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    CHECK(write(fd, "0123456789abcdef0123456789abcdef\n", 33) == 33);
    close(fd);
    CHECK_INT_EQ(uuid5_host(path, a), 0);
    CHECK(uuid5_make(b, "host:%s", "0123456789abcdef0123456789abcdef") == 0);
    CHECK_STR_EQ(a, b);
    fd = open(path, O_WRONLY | O_TRUNC);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK(uuid5_host(path, a) < 0);                 /* empty file */
    unlink(path);
    CHECK(uuid5_host("/nonexistent/machine-id", a) < 0);
}

TAP_MAIN(name_based_is_stable_and_v5, overlong_name_is_refused_not_truncated, random_differs,
         validation, host_uuid_from_machine_id)

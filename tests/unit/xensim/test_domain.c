/* xensim: simulator directory, guest domains, RAM and the guest grant API. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_fixture.h"

TEST(setup_and_teardown_directory)
{
    REQUIRE(xensim_setup(NULL) == 0);
    const char *d1 = xensim_dir();
    REQUIRE(d1);
    char first[128];
    snprintf(first, sizeof(first), "%s", d1);
    CHECK(strncmp(first, "/dev/shm/xensim.", 16) == 0);
    CHECK_STR_EQ(getenv("XENSIM_DIR"), first);
    struct stat st;
    CHECK_INT_EQ(stat(first, &st), 0);
    struct xensim_domain *d = xensim_domain_create(1, 2);
    CHECK(d != NULL);
    xensim_domain_destroy(d);
    CHECK_INT_EQ(xensim_teardown(), 0);
    CHECK(xensim_dir() == NULL);
    CHECK_INT_EQ(stat(first, &st), -1);
    CHECK_INT_EQ(xensim_teardown(), -ENOENT);

    char named[64];
    snprintf(named, sizeof(named), "/dev/shm/xsnamed.%ld", (long)getpid());
    REQUIRE(xensim_setup(named) == 0);
    CHECK_STR_EQ(xensim_dir(), named);
    CHECK_INT_EQ(xensim_teardown(), 0);
    CHECK_INT_EQ(stat(named, &st), -1);

    char longdir[200];
    memset(longdir, 'a', sizeof(longdir));
    memcpy(longdir, "/tmp/", 5);
    longdir[100] = '\0';
    CHECK_INT_EQ(xensim_setup(longdir), -ENAMETOOLONG);
    rmdir(longdir);
    unsetenv("XENSIM_DIR");
}

SIM_TEST(create_twice_is_eexist)
{
    struct xensim_domain *d = xensim_domain_create(1, 4);
    REQUIRE(d);
    CHECK_INT_EQ(xensim_domain_id(d), 1);
    errno = 0;
    CHECK(xensim_domain_create(1, 4) == NULL);
    CHECK_INT_EQ(errno, EEXIST);
    errno = 0;
    CHECK(xensim_domain_create(2, 0) == NULL);
    CHECK_INT_EQ(errno, EINVAL);
    xensim_domain_destroy(d);
    d = xensim_domain_create(1, 4);
    CHECK(d != NULL);
    xensim_domain_destroy(d);
}

SIM_DOMAIN_TEST(page_allocator, 3)
{
    memset(xensim_page(d, 1), 0xFF, XENSIM_PAGE_SIZE);
    CHECK_INT_EQ(xensim_alloc_page(d), 0);
    CHECK_INT_EQ(xensim_alloc_page(d), 1);
    CHECK_INT_EQ(((unsigned char *)xensim_page(d, 1))[10], 0);  /* zeroed */
    CHECK_INT_EQ(xensim_alloc_page(d), 2);
    CHECK_INT_EQ(xensim_alloc_page(d), -ENOMEM);
    xensim_free_page(d, 1);
    CHECK_INT_EQ(xensim_alloc_page(d), 1);
    CHECK(xensim_page(d, 2) != NULL);
    CHECK(xensim_page(d, 3) == NULL);
    CHECK((char *)xensim_page(d, 2) - (char *)xensim_page(d, 0) == 2 * XENSIM_PAGE_SIZE);
}

SIM_DOMAIN_TEST(grant_refs_are_allocated_and_reused, 4)
{
    int64_t a = xensim_grant_access(d, 0, 0, false);
    int64_t b = xensim_grant_access(d, 0, 1, true);
    CHECK(a >= GNTTAB_NR_RESERVED_ENTRIES);
    CHECK(b >= GNTTAB_NR_RESERVED_ENTRIES);
    CHECK(a != b);
    CHECK_INT_EQ(xensim_grant_access(d, 0, 4, false), -EINVAL);
    CHECK_INT_EQ(xensim_end_access(d, (uint32_t)a), 0);
    CHECK_INT_EQ(xensim_grant_access(d, 0, 2, false), a);
    CHECK_INT_EQ(xensim_end_access(d, XENSIM_NR_GRANTS), -EINVAL);
    CHECK_INT_EQ(xensim_grant_set_raw(d, XENSIM_NR_GRANTS, 1, 0, 0), -EINVAL);
    /* refs run out like a real grant table */
    int64_t last = 0;
    int n = 0;
    while ((last = xensim_grant_access(d, 0, 3, true)) >= 0)
        n++;
    CHECK_INT_EQ(last, -ENOSPC);
    CHECK_INT_EQ(n, XENSIM_NR_GRANTS - GNTTAB_NR_RESERVED_ENTRIES - 2);
}

SIM_TEST(copy_counter_starts_at_zero)
{
    CHECK_INT_EQ(xensim_count_copy_segments(), 0);
    xengnttab_handle *h = xengnttab_open(NULL, 0);
    REQUIRE(h);
    char a[8] = "abcdefg", b[8] = {0};
    xengnttab_grant_copy_segment_t seg = {.source.virt = a, .dest.virt = b, .len = 8};
    CHECK_INT_EQ(xengnttab_grant_copy(h, 1, &seg), 0);
    CHECK_INT_EQ(seg.status, GNTST_okay);
    CHECK_STR_EQ(b, "abcdefg");
    CHECK_INT_EQ(xensim_count_copy_segments(), 1);
    xengnttab_close(h);
}

SIM_TEST(introspection_of_missing_domain)
{
    CHECK_INT_EQ(xensim_count_mappings(42), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(42), 0);
}

TAP_MAIN(setup_and_teardown_directory, create_twice_is_eexist, page_allocator,
         grant_refs_are_allocated_and_reused, copy_counter_starts_at_zero,
         introspection_of_missing_domain)

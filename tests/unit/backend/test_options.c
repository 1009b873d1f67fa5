/* Command line parsing (backend/options.c). */
#include <getopt.h>
#include <stdio.h>

#include "options.h"
#include "tap.h"

static int parse(struct pvscsid_config *cfg, enum log_level *lvl, int argc, char **argv)
{
    optind = 0;   /* glibc: full re-initialisation */
    opterr = 0;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int r = options_parse(argc, argv, cfg, lvl);
    fclose(stderr);
    stderr = saved;
    return r;
}

TEST(defaults)
{
    struct pvscsid_config cfg;
    enum log_level lvl;
    char *argv[] = {"pvscsid", NULL};
    CHECK_INT_EQ(parse(&cfg, &lvl, 1, argv), -1);
    CHECK_INT_EQ(cfg.datapath, DATAPATH_COPY);
    CHECK_INT_EQ(cfg.max_segments, 256);
    CHECK_INT_EQ(cfg.backend_domid, 0);
    CHECK_INT_EQ(cfg.block_size, 512);
    CHECK(cfg.workers >= 1 && cfg.workers <= 8);
    CHECK_STR_EQ(cfg.sysfs_root, "/sys");
    CHECK(!cfg.foreground);
    CHECK(cfg.mgmt);
    CHECK(cfg.mgmt_socket == NULL);   /* mgmt's default path */
    CHECK_INT_EQ(lvl, LOG_LVL_INFO);
}

TEST(every_option)
{
    struct pvscsid_config cfg;
    enum log_level lvl;
    char *argv[] = {"pvscsid", "-w", "3", "--datapath=map", "--max-segments", "1024",
                    "-b", "7", "--block-size=4096", "--sysfs-root", "/tmp/sys",
                    "-l", "debug", "-f", "--cmd-timeout=600", NULL};
    CHECK_INT_EQ(parse(&cfg, &lvl, 15, argv), -1);
    CHECK_INT_EQ(cfg.cmd_timeout_s, 600);
    CHECK_INT_EQ(cfg.workers, 3);
    CHECK_INT_EQ(cfg.datapath, DATAPATH_MAP);
    CHECK_INT_EQ(cfg.max_segments, 1024);
    CHECK_INT_EQ(cfg.backend_domid, 7);
    CHECK_INT_EQ(cfg.block_size, 4096);
    CHECK_STR_EQ(cfg.sysfs_root, "/tmp/sys");
    CHECK_INT_EQ(lvl, LOG_LVL_DEBUG);
    CHECK(cfg.foreground);
}

TEST(bad_values_are_usage_errors)
{
    struct pvscsid_config cfg;
    enum log_level lvl;
    char *cases[][3] = {
        {"pvscsid", "--workers=0", NULL},       {"pvscsid", "--workers=x", NULL},
        {"pvscsid", "--datapath=dma", NULL},    {"pvscsid", "--max-segments=25", NULL},
        {"pvscsid", "--max-segments=4097", NULL}, {"pvscsid", "--block-size=1024", NULL},
        {"pvscsid", "--log-level=loud", NULL},  {"pvscsid", "--backend-domid=-1", NULL},
        {"pvscsid", "--no-such-option", NULL},  {"pvscsid", "stray", NULL},
    };
    char *tcp_no_pw[] = {"pvscsid", "--mgmt-tcp=127.0.0.1:8080", NULL};
    CHECK_INT_EQ(parse(&cfg, &lvl, 2, tcp_no_pw), 2);
    char *no_mgmt[] = {"pvscsid", "--no-mgmt", NULL};
    CHECK_INT_EQ(parse(&cfg, &lvl, 2, no_mgmt), -1);
    CHECK(!cfg.mgmt);
    char *map_big[] = {"pvscsid", "--datapath=map", "--max-segments=2048", NULL};
    CHECK_INT_EQ(parse(&cfg, &lvl, 3, map_big), 2);
    char *map_ok[] = {"pvscsid", "--datapath=map", "--max-segments=1024", NULL};
    CHECK_INT_EQ(parse(&cfg, &lvl, 3, map_ok), -1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_INT_EQ(parse(&cfg, &lvl, 2, cases[i]), 2);
}

TEST(help_and_version_exit_zero)
{
    struct pvscsid_config cfg;
    enum log_level lvl;
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    char *h[] = {"pvscsid", "--help", NULL};
    char *v[] = {"pvscsid", "-V", NULL};
    int rh = parse(&cfg, &lvl, 2, h);
    int rv = parse(&cfg, &lvl, 2, v);
    fclose(stdout);
    stdout = saved;
    CHECK_INT_EQ(rh, 0);
    CHECK_INT_EQ(rv, 0);
}

TAP_MAIN(defaults, every_option, bad_values_are_usage_errors, help_and_version_exit_zero)

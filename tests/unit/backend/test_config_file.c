/* The settings file (backend/config_file.c) and its place under the
 * command line (backend/options.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autoattach.h"
#include "config_file.h"
#include "options.h"
#include "policy_rules.h"
#include "tap.h"

static char path[64];

static void write_conf(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/pvscsid-conf.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        TAP_DIAG("cannot write %s", path);
    if (fd >= 0)
        close(fd);
}

static void base(struct pvscsid_config *c, enum log_level *l)
{
    memset(c, 0, sizeof(*c));
    c->workers = 1;
    c->max_segments = 256;
    c->block_size = 512;
    c->mgmt = true;
    *l = LOG_LVL_INFO;
}

/* Loads text as the settings file over the defaults (base); the file is
 * removed again. config_file_load's result, its message in err. */
static int load_text(const char *text, struct pvscsid_config *c, enum log_level *l, char *err,
                     size_t err_len)
{
    write_conf(text);
    base(c, l);
    err[0] = '\0';
    int r = config_file_load(path, c, l, err, err_len);
    unlink(path);
    return r;
}

TEST(every_setting)
{
    struct pvscsid_config c;
    enum log_level l;
    char err[256];
    CHECK_INT_EQ(load_text("# comment\n[daemon]\nworkers = 3\ndatapath = map\nmax-segments = 512\n"
                           "block-size = 4096\nbackend-domid = 2\nsysfs-root = /srv/sys\n"
                           "log-level = debug\ncmd-timeout = 7200\n\n[mgmt]\nenabled = yes\n"
                           "socket = /run/x/api.sock\ntcp = 127.0.0.1:9363\n"
                           "password-file = /etc/pvscsid/pw\n",
                           &c, &l, err, sizeof(err)),
                 0);
    CHECK_INT_EQ(c.workers, 3);
    CHECK_INT_EQ(c.datapath, DATAPATH_MAP);
    CHECK_INT_EQ(c.max_segments, 512);
    CHECK_INT_EQ(c.block_size, 4096);
    CHECK_INT_EQ(c.backend_domid, 2);
    CHECK_STR_EQ(c.sysfs_root, "/srv/sys");
    CHECK_INT_EQ(l, LOG_LVL_DEBUG);
    CHECK_INT_EQ(c.cmd_timeout_s, 7200);
    CHECK(c.mgmt);
    CHECK_STR_EQ(c.mgmt_socket, "/run/x/api.sock");
    CHECK_STR_EQ(c.mgmt_tcp, "127.0.0.1:9363");
    CHECK_STR_EQ(c.mgmt_password_file, "/etc/pvscsid/pw");
    config_file_free();
}

TEST(errors_name_the_line)
{
    static const struct { const char *text; const char *want; } bad[] = {
        {"[daemon]\nworkers = 0\n", ":2:"},
        {"[daemon]\n\nworkerz = 2\n", "workerz"},
        {"[daemon]\ndatapath = dma\n", "datapath"},
        {"[daemon]\nblock-size = 1024\n", "block-size"},
        {"[other]\nx = 1\n", "[other]"},
        {"[mgmt]\nenabled = maybe\n", "enabled"},
        {"[mgmt]\ntcp = 0.0.0.0:1\n", "password-file"},
        {"[daemon\nworkers = 2\n", ":1:"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pvscsid_config c;
        enum log_level l;
        char err[256];
        CHECK_INT_EQ(load_text(bad[i].text, &c, &l, err, sizeof(err)), -EINVAL);
        if (!strstr(err, bad[i].want))
            TAP_DIAG("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].want);
        CHECK(strstr(err, bad[i].want) != NULL);
    }
    config_file_free();
    struct pvscsid_config c;
    enum log_level l;
    base(&c, &l);
    char err[256];
    CHECK_INT_EQ(config_file_load("/nonexistent/pvscsid.conf", &c, &l, err, sizeof(err)),
                 -ENOENT);
}

TEST(command_line_overrides_the_file)
{
    write_conf("[daemon]\nworkers = 3\ndatapath = map\n");
    char *argv[] = {"pvscsid", "-w", "5", "--config", path, NULL};
    struct pvscsid_config c;
    enum log_level l;
    optind = 0;
    CHECK_INT_EQ(options_parse(5, argv, &c, &l), -1);
    CHECK_INT_EQ(c.workers, 5);                 /* the command line wins */
    CHECK_INT_EQ(c.datapath, DATAPATH_MAP);     /* the file still applies */
    unlink(path);
    char *missing[] = {"pvscsid", "--config", "/nonexistent/x.conf", NULL};
    optind = 0;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int r = options_parse(3, missing, &c, &l);
    fclose(stderr);
    stderr = saved;
    CHECK_INT_EQ(r, 2);                          /* a named file must exist */
    config_file_free();
}

TEST(vm_sections_become_auto_attach_rules)
{
    struct pvscsid_config c;
    enum log_level l;
    char err[256];
    CHECK_INT_EQ(load_text("[vm:backup]\nlun = 2:0:1:0 0:0:0:0\nlun = file:/srv/d.img 0:0:0:1\n"
                           "[vm:6c0e3d0c-1111-2222-3333-444455556666]\nlun = null 1:0:0:0\n",
                           &c, &l, err, sizeof(err)),
                 0);
    const struct autoattach_rule *r = c.autoattach;
    REQUIRE(r && r->next && r->next->next && !r->next->next->next);
    CHECK_STR_EQ(r->vm, "backup");
    CHECK_STR_EQ(r->pdev, "2:0:1:0");
    CHECK_INT_EQ(r->vdev.lun, 0);
    CHECK_STR_EQ(r->next->pdev, "file:/srv/d.img");
    CHECK_INT_EQ(r->next->vdev.lun, 1);
    CHECK_STR_EQ(r->next->next->vm, "6c0e3d0c-1111-2222-3333-444455556666");
    CHECK_INT_EQ(r->next->next->vdev.host, 1);
    config_file_release(&c);
    CHECK(c.autoattach == NULL);

    static const char *bad[] = {"[vm:x]\nlun = 2:0:1:0\n", "[vm:x]\nlun = a b c\n",
                                "[vm:x]\nlun = null 0:0:0\n", "[vm:]\nlun = null 0:0:0:0\n",
                                "[vm:x]\ndisk = null 0:0:0:0\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_INT_EQ(load_text(bad[i], &c, &l, err, sizeof(err)), -EINVAL);
        config_file_release(&c);
    }
}

TEST(lun_sections_give_policies)
{
    struct pvscsid_config c;
    enum log_level l;
    char err[256];
    base(&c, &l);
    write_conf("[lun:2:0:1:0]\npolicy = ro\npolicy = allow=firmware\n"
               "[lun:file:/srv/d.img]\npolicy = deny=0x35\n");
    CHECK_INT_EQ(config_file_load(path, &c, &l, err, sizeof(err)), 0);
    unlink(path);
    CHECK_STR_EQ(lun_policy_rule_find(c.lun_policies, "2:0:1:0"), "ro,allow=firmware");
    CHECK_STR_EQ(lun_policy_rule_find(c.lun_policies, "file:/srv/d.img"), "deny=0x35");
    config_file_release(&c);
    CHECK(c.lun_policies == NULL);
    base(&c, &l);
    write_conf("[lun:2:0:1:0]\npolicy = deny=firmwre\n");
    CHECK_INT_EQ(config_file_load(path, &c, &l, err, sizeof(err)), -EINVAL);
    unlink(path);
    TAP_DIAG("%s", err);
    CHECK(strstr(err, ":2: [lun:2:0:1:0] policy = \"deny=firmwre\": bad policy option") != NULL);
    config_file_release(&c);
}

TAP_MAIN(every_setting, errors_name_the_line, command_line_overrides_the_file,
         vm_sections_become_auto_attach_rules, lun_sections_give_policies)

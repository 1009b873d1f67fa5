#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoattach.h"
#include "config_file.h"
#include "policy_rules.h"
#include "request.h"

/* Strings taken from the file live until config_file_free(). */
struct kept {
    struct kept *next;
    char s[];
};
static struct kept *kept;

static const char *keep(const char *s)
{
    size_t n = strlen(s);
    struct kept *k = malloc(sizeof(*k) + n + 1);
    if (!k)
        return NULL;
    memcpy(k->s, s, n + 1);
    k->next = kept;
    kept = k;
    return k->s;
}

void config_file_free(void)
{
    while (kept) {
        struct kept *n = kept->next;
        free(kept);
        kept = n;
    }
}

void config_file_release(struct pvscsid_config *cfg)
{
    autoattach_free(&cfg->autoattach);
    lun_policy_rules_free(&cfg->lun_policies);
    config_file_free();
}

struct load {
    struct pvscsid_config *cfg;
    enum log_level *level;
    char *err;
    size_t err_len;
    bool failed;
};

static bool uint_in(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
    if (*v < '0' || *v > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || *end || x < min || x > max)
        return false;
    *out = x;
    return true;
}

static bool boolean(const char *v, bool *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
        *out = true;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
        *out = false;
    else
        return false;
    return true;
}

/* One "key = value"; false when the key is unknown or the value bad. */
static bool apply(struct load *l, const char *section, const char *key, const char *v)
{
    struct pvscsid_config *c = l->cfg;
    unsigned long x;
    if (!strcmp(section, "daemon")) {
        if (!strcmp(key, "workers") && uint_in(v, 1, 64, &x))
            c->workers = (unsigned)x;
        else if (!strcmp(key, "datapath") && !strcmp(v, "copy"))
            c->datapath = DATAPATH_COPY;
        else if (!strcmp(key, "datapath") && !strcmp(v, "map"))
            c->datapath = DATAPATH_MAP;
        else if (!strcmp(key, "max-segments") &&
                 uint_in(v, VSCSIIF_SG_TABLESIZE, VSCSI_MAX_SEGMENTS_LIMIT, &x))
            c->max_segments = (unsigned)x;
        else if (!strcmp(key, "block-size") && uint_in(v, 512, 4096, &x) &&
                 (x == 512 || x == 4096))
            c->block_size = (uint32_t)x;
        else if (!strcmp(key, "backend-domid") && uint_in(v, 0, 0x7fef, &x))
            c->backend_domid = (uint16_t)x;
        else if (!strcmp(key, "cmd-timeout") && uint_in(v, 1, 2000000, &x))
            c->cmd_timeout_s = (uint32_t)x;
        else if (!strcmp(key, "sysfs-root") && v[0] == '/')
            c->sysfs_root = keep(v);
        else if (!strcmp(key, "state-dir") && (v[0] == '/' || v[0] == '\0'))
            c->state_dir = keep(v);
        else if (!strcmp(key, "stop-timeout") && uint_in(v, 0, 86400, &x))
            c->stop_timeout_s = (uint32_t)x;
        else if (!strcmp(key, "log-level") && log_parse_level(v, l->level))
            ;
        else
            return false;
        return true;
    }
    if (!strncmp(section, "vm:", 3) && !strcmp(key, "lun"))
        return autoattach_add(&c->autoattach, section + 3, v) == 0;
    if (!strncmp(section, "lun:", 4) && !strcmp(key, "policy")) {
        char why[160];
        if (lun_policy_rule_add(&c->lun_policies, section + 4, v, why, sizeof(why)) == 0)
            return true;
        snprintf(l->err, l->err_len, "[%s] policy = \"%s\": %s", section, v, why);
        l->failed = true;
        return false;
    }
    if (!strcmp(section, "mgmt")) {
        if (!strcmp(key, "enabled") && boolean(v, &c->mgmt))
            ;
        else if (!strcmp(key, "socket") && v[0] == '/')
            c->mgmt_socket = keep(v);
        else if (!strcmp(key, "tcp"))
            c->mgmt_tcp = v[0] ? keep(v) : NULL;
        else if (!strcmp(key, "password-file"))
            c->mgmt_password_file = v[0] ? keep(v) : NULL;
        else
            return false;
        return true;
    }
    return false;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
    struct load *l = user;
    if (!apply(l, section, key, value)) {
        if (!l->failed)
            snprintf(l->err, l->err_len, "[%s] %s = \"%s\": unknown setting or bad value",
                     section, key, value);
        l->failed = true;
        return 0;
    }
    return 1;
}

int config_file_load(const char *path, struct pvscsid_config *cfg, enum log_level *level,
                     char *err, size_t err_len)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        snprintf(err, err_len, "%s: %s", path, strerror(e));
        return -e;
    }
    struct load l = {.cfg = cfg, .level = level, .err = err, .err_len = err_len};
    int line = ini_parse_file(f, handler, &l);
    fclose(f);
    if (line != 0) {
        char what[200];
        snprintf(what, sizeof(what), "%s", l.failed ? err : "syntax error");
        snprintf(err, err_len, "%s:%d: %s", path, line, what);
        return -EINVAL;
    }
    if (cfg->mgmt_tcp && !cfg->mgmt_password_file) {
        snprintf(err, err_len, "%s: [mgmt] tcp needs password-file", path);
        return -EINVAL;
    }
    return 0;
}

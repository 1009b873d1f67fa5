#include "core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= errlen && errlen > 4)
        strcpy(err + errlen - 4, "...");   /* say it was cut */
}

static int read_password(const char *path, char **out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    int e = feof(f) ? ENODATA : errno;
    fclose(f);
    if (n < 0) {
        free(line);
        return -e;
    }
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0') {
        free(line);
        return -ENODATA;
    }
    *out = line;
    return 0;
}

int core_init(struct mgmt_core *c, const struct mgmt_config *cfg,
              const struct mgmt_hooks *hooks, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    int r = pthread_mutex_init(&c->lock, NULL);
    if (r != 0) {
        say(err, errlen, "mutex: %s", strerror(r));
        return -r;
    }
    c->sysfs_root = strdup(cfg->sysfs_root ? cfg->sysfs_root : "/sys");
    c->dev_root = strdup(cfg->dev_root ? cfg->dev_root : "/dev");
    c->be_domid = cfg->backend_domid;
    if (hooks)
        c->hooks = *hooks;
    for (int i = 0; i < RPC_NTRANSPORTS; i++)
        c->sessions[i] = session_table_new(CORE_SESSIONS, CORE_SESSIONS_PER_PEER);
    if (!c->sysfs_root || !c->dev_root || !c->sessions[RPC_UNIX] || !c->sessions[RPC_TCP]) {
        say(err, errlen, "out of memory");
        core_fini(c);
        return -ENOMEM;
    }
    if (cfg->host_uuid) {
        if (!uuid5_valid(cfg->host_uuid)) {
            say(err, errlen, "host uuid %s is not a UUID", cfg->host_uuid);
            core_fini(c);
            return -EINVAL;
        }
        strcpy(c->host_uuid, cfg->host_uuid);
    } else if ((r = uuid5_host("/etc/machine-id", c->host_uuid)) < 0) {
        say(err, errlen, "/etc/machine-id: %s (set a host uuid)", strerror(-r));
        core_fini(c);
        return r;
    }
    if (gethostname(c->hostname, sizeof(c->hostname)) < 0 ||
        memchr(c->hostname, '\0', sizeof(c->hostname)) == NULL)
        strcpy(c->hostname, "localhost");
    if (cfg->tcp_address) {
        if (!cfg->password_file) {
            say(err, errlen, "TCP listener needs a password file");
            core_fini(c);
            return -EINVAL;
        }
        if ((r = read_password(cfg->password_file, &c->tcp_password)) < 0) {
            say(err, errlen, "password file %s: %s", cfg->password_file, strerror(-r));
            core_fini(c);
            return r;
        }
    }
    if ((r = pscsi_scan(c->sysfs_root, c->dev_root, c->host_uuid, &c->pscsi)) < 0) {
        say(err, errlen, "scanning %s: %s", c->sysfs_root, strerror(-r));
        core_fini(c);
        return r;
    }
    c->xs = xs_open(0);
    if (!c->xs) {
        r = -errno;
        say(err, errlen, "xenstore: %s", strerror(errno));
        core_fini(c);
        return r ? r : -EIO;
    }
    return 0;
}

void core_fini(struct mgmt_core *c)
{
    if (c->xs)
        xs_close(c->xs);
    pscsi_set_free(&c->pscsi);
    free(c->samples);
    for (int i = 0; i < RPC_NTRANSPORTS; i++)
        session_table_free(c->sessions[i]);
    free(c->sysfs_root);
    free(c->dev_root);
    if (c->tcp_password) {
        explicit_bzero(c->tcp_password, strlen(c->tcp_password));
        free(c->tcp_password);
    }
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof(*c));
}

int core_rescan(struct mgmt_core *c)
{
    struct pscsi_set s;
    int r = pscsi_scan(c->sysfs_root, c->dev_root, c->host_uuid, &s);
    if (r < 0)
        return r;
    pscsi_set_free(&c->pscsi);
    c->pscsi = s;
    return 0;
}

void core_remember_vm(struct mgmt_core *c, const char *uuid, const char *name)
{
    for (size_t i = 0; i < c->nseen; i++) {
        if (strcmp(c->seen[i].uuid, uuid) == 0) {
            snprintf(c->seen[i].name, sizeof(c->seen[i].name), "%s", name);
            return;
        }
    }
    struct core_seen_vm *s = &c->seen[c->seen_next];
    c->seen_next = (c->seen_next + 1) % CORE_SEEN_VMS;
    if (c->nseen < CORE_SEEN_VMS)
        c->nseen++;
    snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
    /* A display name only: a long one is shortened with a marker. */
    int n = snprintf(s->name, sizeof(s->name), "%s", name);
    if (n >= (int)sizeof(s->name))
        strcpy(s->name + sizeof(s->name) - 4, "...");
}

const struct core_seen_vm *core_seen_vm(const struct mgmt_core *c, const char *uuid)
{
    for (size_t i = 0; i < c->nseen; i++)
        if (strcmp(c->seen[i].uuid, uuid) == 0)
            return &c->seen[i];
    return NULL;
}

#include "pscsi.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scsi_vpd.h"

/* First line of a sysfs attribute, newline removed. -EOVERFLOW if it does
 * not fit (never truncated), -errno otherwise. */
static int read_line(int dirfd, const char *name, char *buf, size_t cap)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            close(fd);
            return -EOVERFLOW;
        }
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (memchr(buf, '\n', got))
            break;
    }
    close(fd);
    char *nl = memchr(buf, '\n', got);
    size_t len = nl ? (size_t)(nl - buf) : got;
    if (len >= cap)
        return -EOVERFLOW;
    buf[len] = '\0';
    return 0;
}

static int read_int(int dirfd, const char *name, int *out)
{
    char buf[32], *end;
    int r = read_line(dirfd, name, buf, sizeof(buf));
    if (r < 0)
        return r;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno || end == buf || *end != '\0' || v < INT_MIN || v > INT_MAX)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

/* First child name of dirfd/sub (sorted), optionally with a name prefix
 * followed only by digits. 0 with name set, -ENOENT if none. */
static int first_child(int dirfd, const char *sub, const char *digits_after,
                       char name[PSCSI_NAME_MAX])
{
    int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -ENOENT;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -ENOENT;
    }
    int r = -ENOENT;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (digits_after) {
            size_t pl = strlen(digits_after);
            const char *p = e->d_name + pl;
            if (strncmp(e->d_name, digits_after, pl) != 0 || *p == '\0' ||
                strspn(p, "0123456789") != strlen(p))
                continue;
        }
        if (strlen(e->d_name) >= PSCSI_NAME_MAX)
            continue;
        if (r == 0 && strcmp(e->d_name, name) >= 0)
            continue;
        strcpy(name, e->d_name);
        r = 0;
    }
    closedir(d);
    return r;
}

/* Old sysfs layout: a link named "<class>:<name>" in the device dir. */
static int colon_child(int dirfd, const char *cls, char name[PSCSI_NAME_MAX])
{
    /* A fresh descriptor: readdir must not move the caller's offset. */
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -ENOENT;
    }
    size_t cl = strlen(cls);
    int r = -ENOENT;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, cls, cl) == 0 && e->d_name[cl] == ':' &&
            e->d_name[cl + 1] != '\0' && strlen(e->d_name + cl + 1) < PSCSI_NAME_MAX) {
            strcpy(name, e->d_name + cl + 1);
            r = 0;
            break;
        }
    }
    closedir(d);
    return r;
}

static int class_child(int dirfd, const char *cls, const char *digits_after,
                       char name[PSCSI_NAME_MAX])
{
    if (first_child(dirfd, cls, digits_after, name) == 0)
        return 0;
    return colon_child(dirfd, cls, name);
}

/* The node a guest-side tool would name the device by: block, tape
 * (st, not its nst/mode variants), changer, else its sg node. */
static void find_names(int dirfd, struct pscsi *p)
{
    p->sg_name[0] = p->dev_name[0] = '\0';
    (void)class_child(dirfd, "scsi_generic", NULL, p->sg_name);
    if (class_child(dirfd, "block", NULL, p->dev_name) == 0 ||
        class_child(dirfd, "scsi_tape", "st", p->dev_name) == 0 ||
        class_child(dirfd, "tape", NULL, p->dev_name) == 0 ||
        class_child(dirfd, "scsi_changer", NULL, p->dev_name) == 0 ||
        class_child(dirfd, "onstream_tape", NULL, p->dev_name) == 0)
        return;
    strcpy(p->dev_name, p->sg_name);
}

/* vendor/model as the 8/16 raw INQUIRY bytes udev would use, or NULL. */
static const char *exact(const char *s, size_t len)
{
    return strlen(s) == len ? s : NULL;
}

static int read_device(int dirfd, const char *dev_root, struct pscsi *p)
{
    int r;

    if ((r = read_line(dirfd, "vendor", p->vendor, sizeof(p->vendor))) < 0 ||
        (r = read_line(dirfd, "model", p->model, sizeof(p->model))) < 0 ||
        (r = read_int(dirfd, "type", &p->type_id)) < 0)
        return r;
    r = read_line(dirfd, "rev", p->revision, sizeof(p->revision));
    if (r == -ENOENT)
        p->revision[0] = '\0';
    else if (r < 0)
        return r;
    r = read_int(dirfd, "scsi_level", &p->scsi_level);
    if (r == -ENOENT)
        p->scsi_level = 0;
    else if (r < 0)
        return r;
    find_names(dirfd, p);
    /* Both for display only: a device is listed whatever they say. */
    if (scsi_sysfs_nodes(dirfd, p->dev_nodes, sizeof(p->dev_nodes)) < 0)
        p->dev_nodes[0] = '\0';
    if (scsi_sysfs_driver(dirfd, p->driver, sizeof(p->driver)) < 0)
        p->driver[0] = '\0';

    char sg_path[PATH_MAX];
    const char *sg = NULL;
    if (p->sg_name[0]) {
        int n = snprintf(sg_path, sizeof(sg_path), "%s/%s", dev_root, p->sg_name);
        if (n > 0 && (size_t)n < sizeof(sg_path))
            sg = sg_path;
    }
    r = scsi_vpd_scsi_id(dirfd, sg, exact(p->vendor, 8), exact(p->model, 16), p->scsi_id);
    if (r < 0)
        p->scsi_id[0] = '\0';   /* exported all the same, keyed by HCTL */
    return 0;
}

static int cmp_hctl(const struct vscsi_hctl *a, const struct vscsi_hctl *b)
{
    const uint32_t x[4] = {a->host, a->channel, a->target, a->lun};
    const uint32_t y[4] = {b->host, b->channel, b->target, b->lun};
    for (int i = 0; i < 4; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static int cmp_dev(const void *a, const void *b)
{
    return cmp_hctl(&((const struct pscsi *)a)->addr, &((const struct pscsi *)b)->addr);
}

/* Identities: the scsi_id, made unique for multipath (the same id seen
 * twice) by the HCTL of every later path. */
static int assign_uuids(struct pscsi_set *s, const char *host_uuid)
{
    for (size_t i = 0; i < s->n; i++) {
        struct pscsi *p = &s->dev[i];
        bool dup = false;
        for (size_t j = 0; p->scsi_id[0] && j < i; j++)
            dup = dup || strcmp(s->dev[j].scsi_id, p->scsi_id) == 0;
        int r;
        if (p->scsi_id[0] && !dup)
            r = uuid5_make(p->uuid, "pscsi:%s:%s", host_uuid, p->scsi_id);
        else if (p->scsi_id[0])
            r = uuid5_make(p->uuid, "pscsi:%s:%s:%s", host_uuid, p->scsi_id, p->hctl);
        else
            r = uuid5_make(p->uuid, "pscsi-hctl:%s:%s:%s:%s:%s", host_uuid, p->hctl,
                           p->vendor, p->model, p->revision);
        if (r < 0)
            return r;
    }
    return 0;
}

static int build_hbas(struct pscsi_set *s, const char *host_uuid)
{
    s->hba = calloc(s->n ? s->n : 1, sizeof(*s->hba));
    if (!s->hba)
        return -ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        struct pscsi *p = &s->dev[i];
        if (s->nhba == 0 || s->hba[s->nhba - 1].host != p->addr.host) {
            struct pscsi_hba *h = &s->hba[s->nhba++];
            h->host = p->addr.host;
            int r = uuid5_make(h->uuid, "pscsi_hba:%s:%u", host_uuid, h->host);
            if (r < 0)
                return r;
        }
        strcpy(p->hba_uuid, s->hba[s->nhba - 1].uuid);
    }
    return 0;
}

int pscsi_scan(const char *sysfs_root, const char *dev_root, const char *host_uuid,
               struct pscsi_set *out)
{
    char path[PATH_MAX];
    struct pscsi_set s = {0};
    size_t cap = 0;
    int r = 0;

    memset(out, 0, sizeof(*out));
    int n = snprintf(path, sizeof(path), "%s/bus/scsi/devices", sysfs_root);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct vscsi_hctl h;
        if (vscsi_hctl_parse(e->d_name, &h) < 0)
            continue;       /* hostN, targetH:C:T and the like */
        if (s.n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct pscsi *nd = realloc(s.dev, nc * sizeof(*nd));
            if (!nd) {
                r = -ENOMEM;
                break;
            }
            s.dev = nd;
            cap = nc;
        }
        struct pscsi *p = &s.dev[s.n];
        memset(p, 0, sizeof(*p));
        p->addr = h;
        if (vscsi_hctl_format(&h, p->hctl, sizeof(p->hctl)) < 0) {
            s.skipped++;
            continue;
        }
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            s.skipped++;
            continue;
        }
        if (read_device(fd, dev_root, p) < 0)
            s.skipped++;
        else
            s.n++;
        close(fd);
    }
    closedir(d);
    if (r == 0 && s.n)
        qsort(s.dev, s.n, sizeof(*s.dev), cmp_dev);
    if (r == 0)
        r = assign_uuids(&s, host_uuid);
    if (r == 0)
        r = build_hbas(&s, host_uuid);
    if (r < 0) {
        pscsi_set_free(&s);
        return r;
    }
    *out = s;
    return 0;
}

void pscsi_set_free(struct pscsi_set *s)
{
    free(s->dev);
    free(s->hba);
    memset(s, 0, sizeof(*s));
}

const struct pscsi *pscsi_find_uuid(const struct pscsi_set *s, const char *uuid)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->dev[i].uuid, uuid) == 0)
            return &s->dev[i];
    return NULL;
}

const struct pscsi *pscsi_find_hctl(const struct pscsi_set *s, const struct vscsi_hctl *h)
{
    for (size_t i = 0; i < s->n; i++)
        if (vscsi_hctl_equal(&s->dev[i].addr, h))
            return &s->dev[i];
    return NULL;
}

const struct pscsi_hba *pscsi_hba_find_uuid(const struct pscsi_set *s, const char *uuid)
{
    for (size_t i = 0; i < s->nhba; i++)
        if (strcmp(s->hba[i].uuid, uuid) == 0)
            return &s->hba[i];
    return NULL;
}

const struct pscsi_hba *pscsi_hba_find_host(const struct pscsi_set *s, uint32_t host)
{
    for (size_t i = 0; i < s->nhba; i++)
        if (s->hba[i].host == host)
            return &s->hba[i];
    return NULL;
}

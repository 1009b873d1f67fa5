#include "scsi_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names kept per class; a SCSI device has one disk, one tape, one changer. */
#define CLASS_NAMES_MAX 16

struct names {
    char name[CLASS_NAMES_MAX][SCSI_SYSFS_NAME_MAX];
    size_t n;
};

int scsi_sysfs_driver(int devfd, char *out, size_t cap)
{
    char link[PATH_MAX];
    ssize_t n = readlinkat(devfd, "driver", link, sizeof(link));
    if (n < 0)
        return errno == EINVAL ? -ENOENT : -errno;   /* EINVAL: not a link */
    if ((size_t)n >= sizeof(link))
        return -ENAMETOOLONG;
    link[n] = '\0';
    while (n > 1 && link[n - 1] == '/')
        link[--n] = '\0';
    const char *base = strrchr(link, '/');
    base = base ? base + 1 : link;
    size_t len = strlen(base);
    if (len == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return -EINVAL;
    if (len >= cap)
        return -ENAMETOOLONG;
    memcpy(out, base, len + 1);
    return 0;
}

/* `prefix` followed by one or more decimal digits and nothing else. */
static bool prefix_digits(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0)
        return false;
    const char *d = name + pl;
    return *d != '\0' && strspn(d, "0123456789") == strlen(d);
}

static void keep(struct names *nl, const char *name, const char *prefix)
{
    if (name[0] == '.' || strlen(name) >= SCSI_SYSFS_NAME_MAX)
        return;
    if (prefix && !prefix_digits(name, prefix))
        return;
    for (size_t i = 0; i < nl->n; i++)
        if (strcmp(nl->name[i], name) == 0)
            return;
    if (nl->n < CLASS_NAMES_MAX)
        strcpy(nl->name[nl->n++], name);
}

/* Every entry of a directory fd (taken, closed) through keep(): names
 * after "<cls>:" when cls is given, else all. */
static int scan(int fd, const char *cls, const char *prefix, struct names *nl)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    size_t cl = cls ? strlen(cls) : 0;
    int r = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            r = errno ? -errno : 0;
            break;
        }
        if (!cls)
            keep(nl, de->d_name, prefix);
        else if (strncmp(de->d_name, cls, cl) == 0 && de->d_name[cl] == ':')
            keep(nl, de->d_name + cl + 1, prefix);
    }
    closedir(d);
    return r;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The names of class `cls` (those matching prefix + digits, if given),
 * sorted, appended to out. */
static int add_class(int devfd, const char *cls, const char *prefix, char *out, size_t cap,
                     size_t *used)
{
    struct names nl;
    nl.n = 0;
    int fd = openat(devfd, cls, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        int r = scan(fd, NULL, prefix, &nl);
        if (r < 0)
            return r;
    } else if (errno != ENOENT && errno != ENOTDIR) {
        return -errno;
    }
    /* Old layout: "<cls>:<name>" entries of the device directory itself
     * (a fresh descriptor: readdir must not move the caller's offset). */
    fd = openat(devfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = scan(fd, cls, prefix, &nl);
    if (r < 0)
        return r;
    qsort(nl.name, nl.n, sizeof(nl.name[0]), cmp_name);
    for (size_t i = 0; i < nl.n; i++) {
        size_t len = strlen(nl.name[i]), sep = *used ? 1 : 0;
        if (*used + sep + len >= cap)
            return -ENAMETOOLONG;
        if (sep)
            out[(*used)++] = ' ';
        memcpy(out + *used, nl.name[i], len + 1);
        *used += len;
    }
    return 0;
}

int scsi_sysfs_nodes(int devfd, char *out, size_t cap)
{
    /* st names its nodes "%s%s%s": "n" for no-rewind, the tape's disk name
     * "st<N>", and a mode suffix that is empty for mode 0. */
    static const struct {
        const char *cls, *prefix;
    } order[] = {
        {"block", NULL}, {"scsi_tape", "st"}, {"scsi_tape", "nst"}, {"scsi_changer", NULL},
    };
    size_t used = 0;

    if (cap == 0)
        return -ENAMETOOLONG;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        int r = add_class(devfd, order[i].cls, order[i].prefix, out, cap, &used);
        if (r < 0) {
            out[0] = '\0';
            return r;
        }
    }
    return 0;
}

bool scsi_sysfs_is_sg_name(const char *s)
{
    if (strncmp(s, "sg", 2) != 0)
        return false;
    size_t n = strspn(s + 2, "0123456789");
    return n >= 1 && n <= 10 && s[2 + n] == '\0';
}

int scsi_sysfs_sg_node(const char *root, const char *hctl, char *out, size_t cap,
                       unsigned *count)
{
    char dir[PATH_MAX], sg[NAME_MAX + 1] = "";
    unsigned found = 0;
    if (count)
        *count = 0;
    int n = snprintf(dir, sizeof(dir), "%s/bus/scsi/devices/%s", root, hctl);
    if (n < 0 || (size_t)n >= sizeof(dir) - sizeof("/scsi_generic"))
        return -ENAMETOOLONG;
    struct stat st;
    if (stat(dir, &st) < 0)
        return errno == ENOENT ? -ENODEV : -errno;
    strcat(dir, "/scsi_generic");
    DIR *d = opendir(dir);
    if (!d)
        return -errno;   /* -ENOENT: no sg node */
    int r = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            r = errno ? -errno : 0;
            break;
        }
        if (!scsi_sysfs_is_sg_name(de->d_name))
            continue;
        if (found++ == 0)
            memcpy(sg, de->d_name, strlen(de->d_name) + 1);
    }
    if (closedir(d) < 0 && r == 0)
        r = -errno;
    if (count)
        *count = found;
    if (r < 0)
        return r;
    if (found == 0)
        return -ENOENT;
    if (found > 1)
        return -EEXIST;
    if (strlen(sg) >= cap)
        return -ENAMETOOLONG;
    memcpy(out, sg, strlen(sg) + 1);
    return 0;
}

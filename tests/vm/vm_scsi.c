#include "vm_scsi.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICES "/sys/bus/scsi/devices"

void vm_trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        s[--n] = '\0';
}

int vm_read_attr(const char *hctl, const char *attr, char *out, size_t size)
{
    char path[512];
    if ((size_t)snprintf(path, sizeof(path), DEVICES "/%s/%s", hctl, attr) >= sizeof(path))
        return -1;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    if (!fgets(out, (int)size, fp))
        out[0] = '\0';
    fclose(fp);
    vm_trim(out);
    return 0;
}

static bool attr_is(const char *hctl, const char *attr, const char *want)
{
    char v[64];
    return !want || (vm_read_attr(hctl, attr, v, sizeof(v)) == 0 && strcmp(v, want) == 0);
}

bool vm_find_device(int type, const char *vendor, const char *model, char *out, size_t size)
{
    bool found = false;
    DIR *d = opendir(DEVICES);
    if (!d)
        return false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        unsigned h, c, t, l;
        char end, ty[16];
        if (sscanf(e->d_name, "%u:%u:%u:%u%c", &h, &c, &t, &l, &end) != 4)
            continue;
        if (type >= 0 && (vm_read_attr(e->d_name, "type", ty, sizeof(ty)) != 0 || atoi(ty) != type))
            continue;
        if (attr_is(e->d_name, "vendor", vendor) && attr_is(e->d_name, "model", model))
            found = (size_t)snprintf(out, size, "%u:%u:%u:%u", h, c, t, l) < size;
    }
    closedir(d);
    return found;
}

void vm_sg_name(const char *hctl, char *out, size_t size)
{
    char path[256];
    out[0] = '\0';
    if ((size_t)snprintf(path, sizeof(path), DEVICES "/%s/scsi_generic", hctl) >= sizeof(path))
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "sg", 2) == 0 && strlen(e->d_name) < size)
            memcpy(out, e->d_name, strlen(e->d_name) + 1);
    closedir(d);
}


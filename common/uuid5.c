#include "uuid5.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

/* pvscsid's namespace: fixed forever, it is part of every object's identity. */
static const uuid_t pvscsid_ns = {0x5b, 0x0c, 0x6e, 0x4a, 0x2d, 0x1f, 0x4c, 0x8e,
                                  0x9a, 0x37, 0x61, 0xd2, 0xf0, 0x44, 0xb3, 0x19};

int uuid5_make(char out[UUID_STRLEN], const char *fmt, ...)
{
    char name[1024];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(name)) {
        out[0] = '\0';
        return -ENAMETOOLONG;
    }
    uuid_t u;
    uuid_generate_sha1(u, pvscsid_ns, name, (size_t)n);
    uuid_unparse_lower(u, out);
    return 0;
}

void uuid5_random(char out[UUID_STRLEN])
{
    uuid_t u;

    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

bool uuid5_valid(const char *s)
{
    uuid_t u;

    return s && strlen(s) == UUID_STRLEN - 1 && uuid_parse(s, u) == 0;
}

int uuid5_host(const char *machine_id_path, char out[UUID_STRLEN])
{
    char line[128];
    FILE *f = fopen(machine_id_path, "re");

    if (!f)
        return -errno;
    char *got = fgets(line, sizeof(line), f);
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (err)
        return err;
    if (!got)
        return -ENODATA;
    size_t n = strcspn(line, "\n");
    if (n == 0 || (line[n] != '\n' && n == sizeof(line) - 1))
        return -EINVAL;     /* empty, or longer than any machine-id */
    line[n] = '\0';
    return uuid5_make(out, "host:%s", line);
}

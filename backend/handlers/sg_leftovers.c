#include "sg_leftovers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

unsigned sg_leftovers_count(const char *text, const char *sg_name)
{
    /* " >>> device=sg3 2:0:0:1   em=0 sg_tablesize=... open_cnt=1", then
     * one "   FD(k): ..." line per file until the next " >>> ". */
    char head[48];
    int n = snprintf(head, sizeof(head), " >>> device=%s ", sg_name);
    if (n < 0 || (size_t)n >= sizeof(head))
        return 0;
    const char *p = strstr(text, head);
    if (!p)
        return 0;
    p += n;
    const char *end = strstr(p, " >>> ");
    unsigned fds = 0;
    for (const char *q = p; (q = strstr(q, "   FD(")) && (!end || q < end); q++)
        fds++;
    return fds > 1 ? fds - 1 : 0;
}

static int read_all(const char *path, char **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    int r = 0;
    while (buf) {
        if (len + 1 == cap) {
            char *g = cap < (8u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!g) {
                r = -ENOMEM;
                break;
            }
            buf = g;
            cap *= 2;
        }
        ssize_t m = read(fd, buf + len, cap - 1 - len);
        if (m < 0 && errno == EINTR)
            continue;
        if (m < 0) {
            r = -errno;
            break;
        }
        if (m == 0)
            break;
        len += (size_t)m;
    }
    close(fd);
    if (!buf)
        return -ENOMEM;
    if (r < 0) {
        free(buf);
        return r;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

int sg_leftovers_wait(const char *proc, const char *sg_name, unsigned max_ms)
{
    for (unsigned waited = 0;; waited += 20) {
        char *text;
        int r = read_all(proc, &text);
        if (r < 0)
            return r;
        unsigned left = sg_leftovers_count(text, sg_name);
        free(text);
        if (left == 0 || waited >= max_ms)
            return (int)left;
        struct timespec ts = {.tv_nsec = 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

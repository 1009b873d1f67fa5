#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections waiting to be accepted (the servers' limits are above). */
#define LISTEN_BACKLOG 128

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
    va_list ap;
    if (err && errlen) {
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n >= errlen && errlen > 4)
            strcpy(err + errlen - 4, "...");
    }
    return -e;
}

/* true if something accepts connections at addr. */
static bool alive(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool up = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
    close(fd);
    return up;
}

int listen_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path))
        return fail(err, errlen, ENAMETOOLONG, "socket path too long: %s", path);
    strcpy(addr.sun_path, path);

    char dir[sizeof(addr.sun_path)];
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return fail(err, errlen, errno, "mkdir %s: %s", dir, strerror(errno));
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return fail(err, errlen, EEXIST, "%s exists and is not a socket", path);
        if (alive(&addr))
            return fail(err, errlen, EADDRINUSE, "%s: another server is listening", path);
        if (unlink(path) < 0)
            return fail(err, errlen, errno, "unlink %s: %s", path, strerror(errno));
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail(err, errlen, errno, "socket: %s", strerror(errno));
    /* Linux creates the node with the socket inode's mode: no window at 0777. */
    if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, LISTEN_BACKLOG) < 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, e, "binding %s: %s", path, strerror(e));
    }
    return fd;
}

int listen_tcp(const char *address, unsigned *port, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    if (!colon || (size_t)(colon - address) >= sizeof(host) || colon[1] == '\0')
        return fail(err, errlen, EINVAL, "bad TCP address %s (want host:port)", address);
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h[strlen(h) - 1] = '\0';
        h++;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *ai;
    int g = getaddrinfo(h[0] ? h : NULL, colon + 1, &hints, &ai);
    if (g != 0)
        return fail(err, errlen, EINVAL, "TCP address %s: %s", address, gai_strerror(g));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1, e = 0;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
        e = errno;
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (!e && getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        e = errno;
    if (e) {
        if (fd >= 0)
            close(fd);
        return fail(err, errlen, e, "TCP %s: %s", address, strerror(e));
    }
    if (ss.ss_family == AF_INET)
        *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else
        *port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

bool listen_peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
        return false;
    return cred.uid == 0 || cred.uid == geteuid();
}

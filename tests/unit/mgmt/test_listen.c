#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "tap.h"

TEST(unix_socket_mode_dir_and_stale_file)
{
    char dir[] = "/tmp/listen.XXXXXX", path[128], err[128];
    REQUIRE(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/xapi.sock", dir);
    int fd = listen_unix(path, err, sizeof(err));
    REQUIRE(fd >= 0);
    struct stat st;
    REQUIRE(stat(path, &st) == 0);
    CHECK_INT_EQ(st.st_mode & 0777, 0600);
    CHECK(S_ISSOCK(st.st_mode));
    /* Someone listening: refused. */
    CHECK_INT_EQ(listen_unix(path, err, sizeof(err)), -EADDRINUSE);
    close(fd);
    /* Stale (nobody listening): replaced. */
    fd = listen_unix(path, err, sizeof(err));
    CHECK(fd >= 0);
    /* A peer of ours (root or the same user) is allowed. */
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    REQUIRE(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
    int s = accept(fd, NULL, NULL);
    REQUIRE(s >= 0);
    CHECK(listen_peer_allowed(s));
    close(s);
    close(c);
    close(fd);
    unlink(path);
    /* Not a socket: refused, left alone. */
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fclose(f);
    CHECK_INT_EQ(listen_unix(path, err, sizeof(err)), -EEXIST);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
    char longp[200];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    CHECK_INT_EQ(listen_unix(longp, err, sizeof(err)), -ENAMETOOLONG);
}

TEST(tcp_port_zero_and_bad_addresses)
{
    char err[128];
    unsigned port = 0;
    int fd = listen_tcp("127.0.0.1:0", &port, err, sizeof(err));
    REQUIRE(fd >= 0);
    CHECK(port > 0);
    close(fd);
    CHECK(listen_tcp("127.0.0.1", &port, err, sizeof(err)) < 0);
    CHECK(listen_tcp("127.0.0.1:", &port, err, sizeof(err)) < 0);
    CHECK(listen_tcp("nonsense.invalid.:80x", &port, err, sizeof(err)) < 0);
    fd = listen_tcp("[::1]:0", &port, err, sizeof(err));
    if (fd >= 0)
        close(fd);
    else
        TAP_DIAG("no IPv6 loopback: %s", err);
}

TAP_MAIN(unix_socket_mode_dir_and_stale_file, tcp_port_zero_and_bad_addresses)

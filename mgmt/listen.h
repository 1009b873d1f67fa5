/* Listening sockets of the management service and who may use them. */
#ifndef PVSCSI_MGMT_LISTEN_H
#define PVSCSI_MGMT_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Binds a Unix stream socket at path with mode 0600, creating its directory
 * (mode 0700) if missing. A stale socket file (nobody answering) is
 * replaced; a live one is an error (-EADDRINUSE). fd or -errno with err.
 */
int listen_unix(const char *path, char *err, size_t errlen);

/* Binds "host:port" ("[v6]:port" too; port 0 picks one). fd or -errno;
 * *port gets the bound port. */
int listen_tcp(const char *address, unsigned *port, char *err, size_t errlen);

/* Unix peers allowed: root and the daemon's own user (SO_PEERCRED). */
bool listen_peer_allowed(int fd);

#endif

#include "state_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ring_journal.h"

int state_dir_lock(const char *dir)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        log_err("state directory %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/pvscsid.lock", dir) >= (int)sizeof(path)) {
        log_err("state directory %s: path too long", dir);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        log_err("%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char pid[24] = "";
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (errno == EWOULDBLOCK || errno == EAGAIN)
            log_err("another pvscsid (pid %s) serves the rings of %s; stop it first",
                    pid[0] ? pid : "?", dir);
        else
            log_err("%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    char pid[24];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        log_warn("%s: %s", path, strerror(errno));
    return fd;
}

void state_dir_forget_journals(const char *dir,
                               bool (*known)(void *ctx, unsigned domid, unsigned devid),
                               void *ctx)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        unsigned domid, devid;
        int end = 0;
        if (sscanf(e->d_name, "ring-%u-%u.journal%n", &domid, &devid, &end) != 2 ||
            e->d_name[end] != '\0' || end == 0 || known(ctx, domid, devid))
            continue;
        int r = ring_journal_remove(dir, domid, devid);
        if (r < 0)
            log_warn("removing the journal of vscsi-%u/%u: %s", domid, devid, strerror(-r));
        else
            log_info("vscsi-%u/%u is gone: its ring journal removed", domid, devid);
    }
    closedir(dh);
}

/*
 * pvscsi-bench: pvscsid's throughput and latency as simulated guests see
 * them, next to fio (io_uring) on the same backing file. See bench/README.md.
 *
 * Exit status: 0 success, 1 a run failed, a request failed or written data
 * did not verify, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define FILL_CHUNK (1u << 20)

/* Writes non-zero data over [from, to): reads of holes would be cheaper
 * than reads of data for both sides, and nothing a real disk does. */
static int fill(int fd, uint64_t from, uint64_t to)
{
    uint8_t *buf = malloc(FILL_CHUNK);
    if (!buf)
        return -ENOMEM;
    uint64_t x = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < FILL_CHUNK; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, sizeof(x));
    }
    int rc = 0;
    for (uint64_t off = from; off < to && rc == 0;) {
        size_t len = to - off < FILL_CHUNK ? (size_t)(to - off) : FILL_CHUNK;
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = n < 0 ? -errno : -EIO;
        else
            off += (uint64_t)n;
    }
    free(buf);
    return rc;
}

/* Opens or creates the backing file and settles o->size. path receives the
 * file's name; *temp says it is ours to remove. 0 or -1. */
static int prepare_file(struct bench_opts *o, char *path, size_t path_size, bool *temp)
{
    int fd;
    *temp = false;
    if (o->file) {
        int n = snprintf(path, path_size, "%s", o->file);
        if (n < 0 || (size_t)n >= path_size) {
            fprintf(stderr, "pvscsi-bench: --file path too long\n");
            return -1;
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    } else {
        int n = snprintf(path, path_size, "/dev/shm/pvscsi-bench.XXXXXX");
        if (n < 0 || (size_t)n >= path_size)
            return -1;
        fd = mkostemp(path, O_CLOEXEC);
        *temp = fd >= 0;
    }
    if (fd < 0) {
        fprintf(stderr, "pvscsi-bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fprintf(stderr, "pvscsi-bench: stat %s: %s\n", path, strerror(errno));
        goto out;
    }
    if (S_ISBLK(st.st_mode)) {
        uint64_t bytes;
        if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
            fprintf(stderr, "pvscsi-bench: BLKGETSIZE64 %s: %s\n", path, strerror(errno));
            goto out;
        }
        if (!o->size_given || o->size > bytes)
            o->size = bytes;
        rc = 0;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "pvscsi-bench: %s is neither a file nor a block device\n", path);
        goto out;
    }
    uint64_t have = (uint64_t)st.st_size;
    if (!o->size_given && have >= (1u << 20))
        o->size = have;   /* an existing file keeps its size */
    if (have < o->size) {
        int e = fill(fd, have, o->size);
        if (e < 0) {
            fprintf(stderr, "pvscsi-bench: filling %s: %s\n", path, strerror(-e));
            goto out;
        }
    }
    rc = 0;
out:
    if (close(fd) < 0 && rc == 0) {
        fprintf(stderr, "pvscsi-bench: close %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    if (rc < 0 && *temp && unlink(path) < 0)
        fprintf(stderr, "pvscsi-bench: unlink %s: %s\n", path, strerror(errno));
    return rc;
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    int p = bench_parse_options(argc, argv, &o);
    if (p != 0)
        return p > 0 ? 0 : 2;

    char path[512] = "";
    bool temp = false;
    if (!o.null_handler && prepare_file(&o, path, sizeof(path), &temp) < 0)
        return 1;

    int status = 0;
    struct ref_result ref;
    struct bench_result res;
    /* The reference runs first, alone: nothing of ours competes for CPUs. */
    if (bench_run_reference(&o, path, &ref) < 0)
        status = 1;
    if (bench_run_pvscsid(&o, path, &res) < 0)
        status = 1;
    if (res.errors || (res.verified && !res.verify_ok))
        status = 1;

    if (res.reads + res.writes == 0) {
        /* Nothing was measured (the reason is on stderr): no report. */
        status = 1;
    } else if (o.json) {
        if (bench_report_json(&o, path, &res, &ref) < 0)
            status = 1;
    } else {
        bench_report_text(&o, path, &res, &ref);
    }
    if (fflush(stdout) != 0)
        status = 1;
    if (temp && unlink(path) < 0) {
        fprintf(stderr, "pvscsi-bench: unlink %s: %s\n", path, strerror(errno));
        status = 1;
    }
    return status;
}

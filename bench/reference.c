/*
 * The reference: fio with io_uring on the same backing file, block size,
 * queue depth and duration, parsed from its JSON output.
 *
 * Queue depth: numjobs = rings, iodepth = qd, each job on its own slice of
 * the file (offset_increment), as each ring has its own slice. That is the
 * workload's shape (independent streams, each limited to qd by its ring;
 * sequential jobs each walk their own slice), with the same total depth
 * qd x rings. One job at iodepth qd x rings would be one stream: for
 * sequential I/O a different access pattern, and a depth no ring can have.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define FIO_MAX_ARGS 32

static const char *fio_rw(enum bench_rw rw)
{
    /* fio's names are ours. */
    return bench_rw_name(rw);
}

static bool get_num(struct json_object *o, const char *key, double *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return false;
    enum json_type t = json_object_get_type(v);
    if (t != json_type_double && t != json_type_int)
        return false;
    *out = json_object_get_double(v);
    return true;
}

static int parse_fio_json(const char *file, struct ref_result *r)
{
    struct json_object *root = json_object_from_file(file);
    if (!root) {
        fprintf(stderr, "reference: cannot parse fio output %s: %s\n", file,
                json_util_get_last_err());
        return -1;
    }
    int rc = -1;
    struct json_object *jobs, *job, *mixed, *lat, *pct;
    if (!json_object_object_get_ex(root, "jobs", &jobs) ||
        json_object_get_type(jobs) != json_type_array || json_object_array_length(jobs) < 1) {
        fprintf(stderr, "reference: fio output has no jobs\n");
        goto out;
    }
    job = json_object_array_get_idx(jobs, 0);
    double err = 0, ios = 0, runtime_ms = 0;
    if (!job || (get_num(job, "error", &err) && err != 0)) {
        fprintf(stderr, "reference: fio job failed (error %.0f)\n", err);
        goto out;
    }
    /* unified_rw_reporting=mixed: reads and writes in one "mixed" object. */
    if (!json_object_object_get_ex(job, "mixed", &mixed) ||
        !get_num(mixed, "iops", &r->iops) || !get_num(mixed, "bw_bytes", &r->mbps) ||
        !get_num(mixed, "total_ios", &ios) || !get_num(mixed, "runtime", &runtime_ms)) {
        fprintf(stderr, "reference: fio output lacks mixed iops/bw_bytes/total_ios/runtime\n");
        goto out;
    }
    r->mbps /= 1e6;
    r->ios = (uint64_t)ios;
    r->seconds = runtime_ms / 1e3;
    if (json_object_object_get_ex(mixed, "lat_ns", &lat) &&
        json_object_object_get_ex(lat, "percentile", &pct)) {
        double v;
        if (get_num(pct, "50.000000", &v))
            r->lat_p50_us = v / 1e3;
        if (get_num(pct, "99.000000", &v))
            r->lat_p99_us = v / 1e3;
        if (get_num(pct, "99.900000", &v))
            r->lat_p999_us = v / 1e3;
    }
    rc = 0;
out:
    json_object_put(root);
    return rc;
}

int bench_run_reference(const struct bench_opts *o, const char *path, struct ref_result *r)
{
    memset(r, 0, sizeof(*r));
    if (o->null_handler) {
        snprintf(r->why_not, sizeof(r->why_not), "null handler: no storage to compare with");
        return 0;
    }
    if (!o->reference) {
        snprintf(r->why_not, sizeof(r->why_not), "--no-reference");
        return 0;
    }
    char out[] = "/tmp/pvscsi-bench-fio.XXXXXX";
    int ofd = mkstemp(out);
    if (ofd < 0) {
        perror("reference: mkstemp");
        return -1;
    }
    close(ofd);

    uint64_t slice = o->size / o->bs / o->rings * o->bs;
    char a_file[600], a_rw[32], a_mix[32], a_bs[32], a_qd[32], a_jobs[32], a_size[48],
        a_inc[48], a_rt[48], a_out[64];
    int n = snprintf(a_file, sizeof(a_file), "--filename=%s", path);
    if (n < 0 || (size_t)n >= sizeof(a_file)) {
        fprintf(stderr, "reference: path too long\n");
        unlink(out);
        return -1;
    }
    snprintf(a_rw, sizeof(a_rw), "--rw=%s", fio_rw(o->rw));
    snprintf(a_mix, sizeof(a_mix), "--rwmixread=%u", o->mix);
    snprintf(a_bs, sizeof(a_bs), "--bs=%" PRIu32, o->bs);
    snprintf(a_qd, sizeof(a_qd), "--iodepth=%u", o->qd);
    snprintf(a_jobs, sizeof(a_jobs), "--numjobs=%u", o->rings);
    snprintf(a_size, sizeof(a_size), "--size=%" PRIu64, slice);
    snprintf(a_inc, sizeof(a_inc), "--offset_increment=%" PRIu64, slice);
    snprintf(a_rt, sizeof(a_rt), "--runtime=%" PRIu64 "ms", (uint64_t)(o->seconds * 1e3));
    snprintf(a_out, sizeof(a_out), "--output=%s", out);
    /* direct=0: pvscsid's file handler opens without O_DIRECT (buffered).
     * invalidate=0: the daemon cannot drop the page cache either.
     * norandommap: repeats allowed, as the bench draws blocks uniformly. */
    const char *argv[FIO_MAX_ARGS] = {
        o->fio, "--name=ref", a_file, "--ioengine=io_uring", "--direct=0", "--invalidate=0",
        a_rw, a_bs, a_qd, a_jobs, a_size, a_inc, "--time_based=1", a_rt, "--norandommap=1",
        "--group_reporting=1", "--lat_percentiles=1", "--percentile_list=50:99:99.9",
        "--unified_rw_reporting=mixed", "--output-format=json", a_out,
    };
    int argc = 21;
    if (o->rw == RW_RANDRW)
        argv[argc++] = a_mix;
    argv[argc] = NULL;

    size_t used = 0;
    for (int i = 0; i < argc && used < sizeof(r->cmdline); i++) {
        n = snprintf(r->cmdline + used, sizeof(r->cmdline) - used, "%s%s", i ? " " : "",
                     i == 0 ? "fio" : argv[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }

    pid_t pid = fork();
    if (pid < 0) {
        perror("reference: fork");
        unlink(out);
        return -1;
    }
    if (pid == 0) {
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    pid_t w;
    do
        w = wait4(pid, &st, 0, &ru);
    while (w < 0 && errno == EINTR);
    int rc = -1;
    if (w < 0) {
        perror("reference: wait4");
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        snprintf(r->why_not, sizeof(r->why_not), "%s could not be run (not installed?)",
                 o->fio);
        rc = 0;   /* the bench still reports pvscsid's numbers */
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "reference: fio failed (status 0x%x)\n", (unsigned)st);
    } else if (parse_fio_json(out, r) == 0) {
        r->ran = true;
        /* wait4's usage covers fio and the job processes it reaped. */
        r->cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        if (r->ios)
            r->cpu_per_req_us = r->cpu_s / (double)r->ios * 1e6;
        rc = 0;
    }
    if (unlink(out) < 0)
        perror("reference: unlink");
    return rc;
}

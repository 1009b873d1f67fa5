/* Results as a table or as JSON (json-c builds it, so it always parses). */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

static const char *kernel(void)
{
    static struct utsname u;
    return uname(&u) == 0 ? u.release : "unknown";
}

static long cpus(void)
{
    return sysconf(_SC_NPROCESSORS_ONLN);
}

static const char *verify_word(const struct bench_result *r)
{
    if (!r->verified)
        return "n/a";
    return r->verify_ok ? "ok" : "FAILED";
}

void bench_report_text(const struct bench_opts *o, const char *path,
                       const struct bench_result *r, const struct ref_result *ref)
{
    unsigned guests = (o->rings + o->rings_per_guest - 1) / o->rings_per_guest;
    printf("pvscsi-bench: %s", bench_rw_name(o->rw));
    if (o->rw == RW_RANDRW)
        printf(" (%u%% reads)", o->mix);
    printf(" bs=%u qd=%u rings=%u guests=%u handler=%s datapath=%s workers=", o->bs, o->qd,
           o->rings, guests, o->null_handler ? "null" : "file", o->datapath);
    if (o->workers)
        printf("%u", o->workers);
    else
        printf("default");
    printf(" seconds=%g\n", o->seconds);
    printf("machine: %ld CPUs, Linux %s, hypervisor simulated (tests/xensim)\n", cpus(),
           kernel());
    if (!o->null_handler)
        printf("backing file: %s (%llu bytes)\n", path, (unsigned long long)o->size);
    /* The headline: what pvscsid itself costs per request. */
    printf("\npvscsid, per request: %.2f us CPU, ", r->daemon_cpu_per_req_us);
    if (r->daemon_syscalls >= 0)
        printf("%.2f syscalls\n", r->daemon_syscalls_per_req);
    else
        printf("syscalls not counted (needs perf: Debian's linux-perf)\n");
    printf("\n%-16s %10s %9s %9s %9s %9s  %s\n", "", "IOPS", "MB/s", "p50 us", "p99 us",
           "p99.9 us", "CPU us/request");
    printf("%-16s %10.0f %9.1f %9.1f %9.1f %9.1f  %.2f daemon, %.2f simulated guests\n",
           "pvscsid", r->iops, r->mbps, r->lat_p50_us, r->lat_p99_us, r->lat_p999_us,
           r->daemon_cpu_per_req_us, r->guest_cpu_per_req_us);
    if (ref->ran) {
        printf("%-16s %10.0f %9.1f %9.1f %9.1f %9.1f  %.2f fio\n", "fio io_uring", ref->iops,
               ref->mbps, ref->lat_p50_us, ref->lat_p99_us, ref->lat_p999_us,
               ref->cpu_per_req_us);
        printf("(the simulated guests share these CPUs with the daemon; the ratio below is\n"
               " information, the daemon's cost per request above is the figure)\n");
        printf("%-16s %10.3f %9.3f\n", "ratio",
               ref->iops > 0 ? r->iops / ref->iops : 0, ref->mbps > 0 ? r->mbps / ref->mbps : 0);
        printf("\nreference: %s\n", ref->cmdline);
    } else {
        printf("reference: none (%s)\n", ref->why_not);
    }
    if (r->guests > 1 || o->limit_iops || o->limit_bps) {
        printf("per guest:");
        for (unsigned g = 0; g < r->guests; g++)
            printf(" %s%u %.0f IOPS", g ? ", " : "", g + 1, r->guest_iops[g]);
        if (o->limit_iops || o->limit_bps)
            printf(" (guest 1's rings held to %llu IOPS, %llu B/s each; 0: no limit)",
                   (unsigned long long)o->limit_iops, (unsigned long long)o->limit_bps);
        printf("\n");
    }
    printf("requests: %llu reads, %llu writes, %llu errors in %.2f s\n",
           (unsigned long long)r->reads, (unsigned long long)r->writes,
           (unsigned long long)r->errors, r->seconds);
    if (r->verified)
        printf("verify: %s (%llu blocks read back, %llu bad)\n", verify_word(r),
               (unsigned long long)r->verify_blocks, (unsigned long long)r->verify_bad);
    else
        printf("verify: n/a (%s)\n", o->null_handler ? "null handler stores nothing"
                                    : bench_rw_writes(o->rw) ? "run failed" : "no writes");
}

/* json-c setters return 0 or -1; collect failures instead of checking each. */
struct jb {
    struct json_object *o;
    bool bad;
};

static void put(struct jb *b, const char *k, struct json_object *v)
{
    if (!v || json_object_object_add(b->o, k, v) != 0) {
        json_object_put(v);
        b->bad = true;
    }
}

static void put_d(struct jb *b, const char *k, double v)
{
    put(b, k, json_object_new_double(v));
}

static void put_u(struct jb *b, const char *k, uint64_t v)
{
    put(b, k, json_object_new_uint64(v));
}

static void put_s(struct jb *b, const char *k, const char *v)
{
    put(b, k, json_object_new_string(v));
}

static void put_sub(struct jb *b, const char *k, struct jb *sub)
{
    b->bad |= sub->bad;
    put(b, k, sub->o);
}

int bench_report_json(const struct bench_opts *o, const char *path,
                      const struct bench_result *r, const struct ref_result *ref)
{
    struct jb root = {json_object_new_object(), false};
    struct jb cfg = {json_object_new_object(), false};
    struct jb pv = {json_object_new_object(), false};
    struct jb mach = {json_object_new_object(), false};
    if (!root.o || !cfg.o || !pv.o || !mach.o) {
        json_object_put(root.o);
        json_object_put(cfg.o);
        json_object_put(pv.o);
        json_object_put(mach.o);
        fprintf(stderr, "pvscsi-bench: out of memory\n");
        return -1;
    }
    put_s(&cfg, "rw", bench_rw_name(o->rw));
    put_u(&cfg, "mix", o->mix);
    put_u(&cfg, "bs", o->bs);
    put_u(&cfg, "qd", o->qd);
    put_u(&cfg, "rings", o->rings);
    put_u(&cfg, "rings_per_guest", o->rings_per_guest);
    put_s(&cfg, "handler", o->null_handler ? "null" : "file");
    put_s(&cfg, "file", o->null_handler ? "" : path);
    put_u(&cfg, "size", o->size);
    put_s(&cfg, "datapath", o->datapath);
    put_d(&cfg, "seconds", o->seconds);
    put_u(&cfg, "workers", o->workers);   /* 0: the daemon's default */
    put_u(&cfg, "limit_iops", o->limit_iops);
    put_u(&cfg, "limit_bps", o->limit_bps);
    put_sub(&root, "config", &cfg);

    put_u(&mach, "cpus", (uint64_t)(cpus() > 0 ? cpus() : 0));
    put_s(&mach, "kernel", kernel());
    put_s(&mach, "hypervisor", "simulated");
    put_sub(&root, "machine", &mach);

    put_d(&pv, "seconds", r->seconds);
    put_u(&pv, "reads", r->reads);
    put_u(&pv, "writes", r->writes);
    put_u(&pv, "errors", r->errors);
    put_d(&pv, "iops", r->iops);
    put_d(&pv, "mb_per_s", r->mbps);
    put_d(&pv, "lat_p50_us", r->lat_p50_us);
    put_d(&pv, "lat_p99_us", r->lat_p99_us);
    put_d(&pv, "lat_p99_9_us", r->lat_p999_us);
    put_d(&pv, "daemon_cpu_s", r->daemon_cpu_s);
    put_d(&pv, "daemon_cpu_us_per_req", r->daemon_cpu_per_req_us);
    struct json_object *gi = json_object_new_array();
    for (unsigned g = 0; gi && g < r->guests; g++)
        json_object_array_add(gi, json_object_new_double(r->guest_iops[g]));
    put(&pv, "guest_iops", gi);
    if (r->daemon_syscalls >= 0) {
        put_u(&pv, "daemon_syscalls", (uint64_t)r->daemon_syscalls);
        put_d(&pv, "daemon_syscalls_per_req", r->daemon_syscalls_per_req);
    }
    put_d(&pv, "guest_cpu_s", r->guest_cpu_s);
    put_d(&pv, "guest_cpu_us_per_req", r->guest_cpu_per_req_us);
    put_sub(&root, "pvscsid", &pv);

    if (ref->ran) {
        struct jb rf = {json_object_new_object(), false};
        struct jb ra = {json_object_new_object(), false};
        if (!rf.o || !ra.o) {
            json_object_put(rf.o);
            json_object_put(ra.o);
            root.bad = true;
        } else {
            put_s(&rf, "tool", "fio");
            put_s(&rf, "command", ref->cmdline);
            put_d(&rf, "seconds", ref->seconds);
            put_u(&rf, "ios", ref->ios);
            put_d(&rf, "iops", ref->iops);
            put_d(&rf, "mb_per_s", ref->mbps);
            put_d(&rf, "lat_p50_us", ref->lat_p50_us);
            put_d(&rf, "lat_p99_us", ref->lat_p99_us);
            put_d(&rf, "lat_p99_9_us", ref->lat_p999_us);
            put_d(&rf, "cpu_s", ref->cpu_s);
            put_d(&rf, "cpu_us_per_req", ref->cpu_per_req_us);
            put_sub(&root, "reference", &rf);
            put_d(&ra, "iops", ref->iops > 0 ? r->iops / ref->iops : 0);
            put_d(&ra, "bandwidth", ref->mbps > 0 ? r->mbps / ref->mbps : 0);
            put_sub(&root, "ratio", &ra);
        }
    } else {
        /* In json-c a NULL value is JSON null. */
        if (json_object_object_add(root.o, "reference", NULL) != 0 ||
            json_object_object_add(root.o, "ratio", NULL) != 0)
            root.bad = true;
        put_s(&root, "reference_skipped", ref->why_not);
    }

    struct jb ver = {json_object_new_object(), false};
    if (!ver.o) {
        root.bad = true;
    } else {
        put_s(&ver, "result", verify_word(r));
        put_u(&ver, "blocks", r->verify_blocks);
        put_u(&ver, "bad", r->verify_bad);
        put_sub(&root, "verify", &ver);
    }

    int rc = 0;
    const char *s = json_object_to_json_string_ext(root.o, JSON_C_TO_STRING_PRETTY);
    if (root.bad || !s || printf("%s\n", s) < 0) {
        fprintf(stderr, "pvscsi-bench: could not produce the JSON output\n");
        rc = -1;
    }
    json_object_put(root.o);
    return rc;
}

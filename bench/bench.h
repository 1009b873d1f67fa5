/*
 * pvscsi-bench: drives pvscsid (pvscsid-sim, over the hypervisor simulator)
 * from simulated guests and compares it with fio on the same backing file.
 * Shared types of options.c, hist.c, workload.c, reference.c, report.c.
 */
#ifndef PVSCSI_BENCH_H
#define PVSCSI_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum bench_rw { RW_READ, RW_WRITE, RW_RANDREAD, RW_RANDWRITE, RW_RANDRW };

#define BENCH_MAX_QD 16u          /* the vscsiif ring's slots */
#define BENCH_MAX_RINGS 64u
#define BENCH_MAX_RINGS_PER_GUEST 8u
#define BENCH_MIN_BS 512u
#define BENCH_MAX_BS (1024u * 1024u)

struct bench_opts {
    enum bench_rw rw;
    unsigned mix;               /* read percentage for randrw */
    uint32_t bs;
    unsigned qd;
    unsigned rings;
    unsigned rings_per_guest;
    bool null_handler;
    const char *file;           /* NULL: a temporary file in /dev/shm */
    uint64_t size;              /* backing file (or null LUN) size */
    bool size_given;
    const char *datapath;       /* "copy" or "map" */
    double seconds;
    unsigned workers;           /* 0: the daemon's default */
    bool json;
    bool reference;
    uint64_t limit_iops;        /* the first guest's rings held to this (0: no) */
    uint64_t limit_bps;
    const char *daemon;         /* pvscsid-sim binary */
    const char *fio;            /* fio binary */
};

/* Parses argv into o. 0: run; 1: --help printed (exit 0); -1: bad usage
 * (message printed, exit 2). */
int bench_parse_options(int argc, char **argv, struct bench_opts *o);
const char *bench_rw_name(enum bench_rw rw);
bool bench_rw_writes(enum bench_rw rw);
bool bench_rw_random(enum bench_rw rw);

/* ---- Latency histogram: log2 groups of 32 linear buckets (~3 % error) ---- */
#define HIST_SUB_BITS 5u
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64u - HIST_SUB_BITS + 1u) * HIST_SUB)

struct hist {
    uint64_t count;
    uint64_t bucket[HIST_BUCKETS];
};

void hist_add(struct hist *h, uint64_t ns);
void hist_merge(struct hist *into, const struct hist *from);
/* The value (ns, bucket midpoint) at quantile q in [0,1]; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);

/* ---- Results -------------------------------------------------------------- */
struct bench_result {
    double seconds;             /* first submit to last completion */
    uint64_t reads, writes;     /* requests completed */
    uint64_t bytes;
    uint64_t errors;            /* responses other than GOOD */
    double iops, mbps;          /* MB = 10^6 bytes */
    double lat_p50_us, lat_p99_us, lat_p999_us;
    double daemon_cpu_s;        /* utime+stime of pvscsid during the run */
    double guest_cpu_s;         /* this process (the simulated guests) */
    double daemon_cpu_per_req_us;
    double guest_cpu_per_req_us;
    unsigned guests;
    double guest_iops[BENCH_MAX_RINGS];   /* each guest's rings together */
    long daemon_syscalls;       /* during the run; -1 when not counted */
    double daemon_syscalls_per_req;
    /* Verification of written data (write workloads, file handler). */
    bool verified;
    bool verify_ok;
    uint64_t verify_blocks, verify_bad;
};

struct ref_result {
    bool ran;
    char why_not[128];          /* when !ran */
    double seconds;
    uint64_t ios;
    double iops, mbps;
    double lat_p50_us, lat_p99_us, lat_p999_us;
    double cpu_s;               /* fio's own CPU (process and its jobs) */
    double cpu_per_req_us;
    char cmdline[1024];
};

/* workload.c: the pvscsid side. `path` is the backing file (file handler).
 * 0, or -1 when the world could not be set up (reason on stderr). */
int bench_run_pvscsid(const struct bench_opts *o, const char *path, struct bench_result *r);

/* reference.c: fio on the same file. Fills r (r->ran false with a reason
 * when it did not run). 0, or -1 when fio failed. */
int bench_run_reference(const struct bench_opts *o, const char *path, struct ref_result *r);

/* report.c */
void bench_report_text(const struct bench_opts *o, const char *path,
                       const struct bench_result *r, const struct ref_result *ref);
int bench_report_json(const struct bench_opts *o, const char *path,
                      const struct bench_result *r, const struct ref_result *ref);

/* syscalls.c: the daemon's system calls during a run (perf stat). */
struct bench_syscalls {
    pid_t perf;
    char out[64];
};
/* Starts counting pid's system calls for a run of `seconds` that begins
 * on return. 0 or -errno (no count then). */
int bench_syscalls_start(pid_t pid, double seconds, struct bench_syscalls *s);
/* Waits for the count: the number, or -1 when perf could not count. */
long bench_syscalls_stop(struct bench_syscalls *s);

/* Monotonic clock in ns. */
uint64_t bench_now_ns(void);

#endif

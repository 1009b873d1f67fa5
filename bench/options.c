/* Command line of pvscsi-bench. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifndef PVSCSID_SIM_DEFAULT
#define PVSCSID_SIM_DEFAULT "pvscsid-sim"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: pvscsi-bench [OPTION]...\n"
            "Starts a private xenstored, pvscsid (over the hypervisor simulator) and\n"
            "simulated guests, drives a workload through the vscsi rings, then runs fio\n"
            "(io_uring) on the same backing file as the reference.\n"
            "\n"
            "  --rw=MODE            read, write, randread (default), randwrite, randrw\n"
            "  --mix=PCT            read percentage for randrw (default 70)\n"
            "  --bs=SIZE            block size, 512..1M, multiple of 512 (default 4k)\n"
            "  --qd=N               requests in flight per ring, 1..%u (default 1)\n"
            "  --rings=N            rings (vscsi devices), 1..%u (default 1)\n"
            "  --rings-per-guest=N  rings of one guest domain, 1..%u (default 1)\n"
            "  --handler=H          file (default) or null\n"
            "  --file=PATH          backing file or block device (default: a temporary\n"
            "                       file in /dev/shm, removed at the end)\n"
            "  --size=SIZE          size of the created file / null LUN (default 1G;\n"
            "                       an existing --file keeps its size)\n"
            "  --datapath=MODE      copy (default) or map\n"
            "  --seconds=S          duration of each run (default 5)\n"
            "  --workers=N          pvscsid I/O threads (default: the daemon's default)\n"
            "  --limit-iops=N       hold the first guest's rings to N requests/s each\n"
            "  --limit-mbps=N       ... and to N MB/s (10^6 bytes) each (pvscsid's\n"
            "                       qos-iops/qos-bps); per-guest figures are printed\n"
            "  --json               machine-readable output on stdout\n"
            "  --no-reference       skip the fio reference run\n"
            "  --daemon=PATH        pvscsid-sim binary (default $PVSCSID_SIM, else the\n"
            "                       one built with this tree)\n"
            "  --fio=PATH           fio binary (default fio)\n"
            "  -h, --help           this text\n"
            "\n"
            "Sequential and random positions are confined to one slice of the file per\n"
            "ring (fio: numjobs=rings, iodepth=qd, offset_increment=slice). Written\n"
            "blocks are read back through the guest and checked afterwards.\n",
            BENCH_MAX_QD, BENCH_MAX_RINGS, BENCH_MAX_RINGS_PER_GUEST);
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

/* Bytes with an optional binary suffix k/m/g/t (fio's convention). */
static int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -ERANGE;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: return -EINVAL;
    }
    if (*end && end[1] != '\0' && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    v <<= shift;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

const char *bench_rw_name(enum bench_rw rw)
{
    static const char *const names[] = {"read", "write", "randread", "randwrite", "randrw"};
    return names[rw];
}

bool bench_rw_writes(enum bench_rw rw)
{
    return rw == RW_WRITE || rw == RW_RANDWRITE || rw == RW_RANDRW;
}

bool bench_rw_random(enum bench_rw rw)
{
    return rw == RW_RANDREAD || rw == RW_RANDWRITE || rw == RW_RANDRW;
}

int bench_parse_options(int argc, char **argv, struct bench_opts *o)
{
    enum {
        OPT_RW = 256, OPT_MIX, OPT_BS, OPT_QD, OPT_RINGS, OPT_RPG, OPT_HANDLER, OPT_FILE,
        OPT_SIZE, OPT_DATAPATH, OPT_SECONDS, OPT_WORKERS, OPT_JSON, OPT_NOREF, OPT_DAEMON,
        OPT_FIO, OPT_LIMIT_IOPS, OPT_LIMIT_MBPS,
    };
    static const struct option longopts[] = {
        {"rw", required_argument, NULL, OPT_RW},
        {"mix", required_argument, NULL, OPT_MIX},
        {"bs", required_argument, NULL, OPT_BS},
        {"qd", required_argument, NULL, OPT_QD},
        {"rings", required_argument, NULL, OPT_RINGS},
        {"rings-per-guest", required_argument, NULL, OPT_RPG},
        {"handler", required_argument, NULL, OPT_HANDLER},
        {"file", required_argument, NULL, OPT_FILE},
        {"size", required_argument, NULL, OPT_SIZE},
        {"datapath", required_argument, NULL, OPT_DATAPATH},
        {"seconds", required_argument, NULL, OPT_SECONDS},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"json", no_argument, NULL, OPT_JSON},
        {"no-reference", no_argument, NULL, OPT_NOREF},
        {"daemon", required_argument, NULL, OPT_DAEMON},
        {"fio", required_argument, NULL, OPT_FIO},
        {"limit-iops", required_argument, NULL, OPT_LIMIT_IOPS},
        {"limit-mbps", required_argument, NULL, OPT_LIMIT_MBPS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *env_daemon = getenv("PVSCSID_SIM");
    *o = (struct bench_opts){
        .rw = RW_RANDREAD,
        .mix = 70,
        .bs = 4096,
        .qd = 1,
        .rings = 1,
        .rings_per_guest = 1,
        .size = 1ull << 30,
        .datapath = "copy",
        .seconds = 5.0,
        .reference = true,
        .daemon = env_daemon && *env_daemon ? env_daemon : PVSCSID_SIM_DEFAULT,
        .fio = "fio",
    };
    int opt;
    uint64_t v;
    const char *what = NULL;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_RW: {
            static const char *const names[] = {"read", "write", "randread", "randwrite",
                                                "randrw"};
            bool found = false;
            for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(optarg, names[i]) == 0) {
                    o->rw = (enum bench_rw)i;
                    found = true;
                }
            if (!found) {
                what = "--rw";
                goto bad;
            }
            break;
        }
        case OPT_MIX:
            if (parse_u64(optarg, 0, 100, &v) < 0) {
                what = "--mix";
                goto bad;
            }
            o->mix = (unsigned)v;
            break;
        case OPT_BS:
            if (parse_size(optarg, BENCH_MIN_BS, BENCH_MAX_BS, &v) < 0 || v % 512) {
                what = "--bs";
                goto bad;
            }
            o->bs = (uint32_t)v;
            break;
        case OPT_QD:
            if (parse_u64(optarg, 1, BENCH_MAX_QD, &v) < 0) {
                what = "--qd";
                goto bad;
            }
            o->qd = (unsigned)v;
            break;
        case OPT_RINGS:
            if (parse_u64(optarg, 1, BENCH_MAX_RINGS, &v) < 0) {
                what = "--rings";
                goto bad;
            }
            o->rings = (unsigned)v;
            break;
        case OPT_RPG:
            if (parse_u64(optarg, 1, BENCH_MAX_RINGS_PER_GUEST, &v) < 0) {
                what = "--rings-per-guest";
                goto bad;
            }
            o->rings_per_guest = (unsigned)v;
            break;
        case OPT_HANDLER:
            if (strcmp(optarg, "file") == 0)
                o->null_handler = false;
            else if (strcmp(optarg, "null") == 0)
                o->null_handler = true;
            else {
                what = "--handler";
                goto bad;
            }
            break;
        case OPT_FILE:
            o->file = optarg;
            break;
        case OPT_SIZE:
            /* 1 TiB cap: the per-block generation table lives in memory. */
            if (parse_size(optarg, 1u << 20, 1ull << 40, &v) < 0) {
                what = "--size";
                goto bad;
            }
            o->size = v;
            o->size_given = true;
            break;
        case OPT_DATAPATH:
            if (strcmp(optarg, "copy") != 0 && strcmp(optarg, "map") != 0) {
                what = "--datapath";
                goto bad;
            }
            o->datapath = optarg;
            break;
        case OPT_SECONDS: {
            char *end;
            errno = 0;
            double s = strtod(optarg, &end);
            if (errno || *end || !(s >= 0.1 && s <= 3600.0)) {
                what = "--seconds";
                goto bad;
            }
            o->seconds = s;
            break;
        }
        case OPT_WORKERS:
            if (parse_u64(optarg, 1, 64, &v) < 0) {
                what = "--workers";
                goto bad;
            }
            o->workers = (unsigned)v;
            break;
        case OPT_LIMIT_IOPS:
            if (parse_u64(optarg, 1, 0x7fffffff, &v) < 0) {
                what = "--limit-iops";
                goto bad;
            }
            o->limit_iops = v;
            break;
        case OPT_LIMIT_MBPS:
            if (parse_u64(optarg, 1, 2000, &v) < 0) {
                what = "--limit-mbps";
                goto bad;
            }
            o->limit_bps = v * 1000000u;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_NOREF:
            o->reference = false;
            break;
        case OPT_DAEMON:
            o->daemon = optarg;
            break;
        case OPT_FIO:
            o->fio = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pvscsi-bench: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->null_handler && o->file) {
        fprintf(stderr, "pvscsi-bench: --file makes no sense with --handler=null\n");
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "pvscsi-bench: bad value for %s: '%s' (see --help)\n", what, optarg);
    return -1;
}

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file.h"
#include "options.h"
#include "request.h"

#define DEFAULT_MAX_SEGMENTS 256   /* 1 MiB transfers */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: pvscsid [OPTION]...\n"
            "Userspace Xen pvSCSI backend: serves the vscsi devices configured under\n"
            "backend/vscsi of this domain in xenstore.\n"
            "\n"
            "  -w, --workers=N        I/O threads, each with its own io_uring\n"
            "                         (default: online CPUs, at most 8)\n"
            "  -d, --datapath=MODE    copy: grant copy into own buffers (default)\n"
            "                         map: map the guest's pages for each command\n"
            "  -s, --max-segments=N   feature-sg-grant to advertise, 26..%u (default %u)\n"
            "  -b, --backend-domid=N  our domain id (default 0)\n"
            "      --block-size=N     block size of emulated disks, 512 or 4096 (default 512)\n"
            "      --sysfs-root=DIR   where to look up SCSI devices (default /sys)\n"
            "      --cmd-timeout=SECONDS  passthrough timeout when the guest gives none\n"
            "                         (default: 30 for disks, 10800 for tapes and others)\n"
            "      --state-dir=DIR    ring journals, so a restart resumes every ring\n"
            "                         (default %s; \"\" for none)\n"
            "      --stop-timeout=SECONDS  on SIGTERM, how long commands in flight may\n"
            "                         take before the rings are handed over (default %u)\n"
            "  -m, --mgmt-socket=PATH management API (XenAPI) socket\n"
            "                         (default /run/pvscsid/xapi.sock)\n"
            "      --mgmt-tcp=HOST:PORT  also serve the management API on TCP\n"
            "      --mgmt-password-file=FILE  the TCP password (required with --mgmt-tcp)\n"
            "      --no-mgmt          no management API\n"
            "  -l, --log-level=LEVEL  error, warn, info (default) or debug\n"
            "  -c, --config=FILE      settings file (default %s if it exists);\n"
            "                         options given here override it\n"
            "  -f, --foreground       do not detach (use under systemd)\n"
            "  -h, --help             this text\n"
            "  -V, --version          the version\n"
            "\n"
            "p-dev forms in vscsi-devs/dev-N: h:c:t:l, naa.<wwn>[:lun] or /dev/sgN\n"
            "(passthrough), file:/path (emulated disk), null[:size] (benchmarks).\n"
            "SIGTERM finishes the commands in flight and hands every ring over to the\n"
            "next pvscsid (see pvscsid(8)): guests keep running.\n",
            VSCSI_MAX_SEGMENTS_LIMIT, DEFAULT_MAX_SEGMENTS, PVSCSID_DEFAULT_STATE_DIR,
            PVSCSID_DEFAULT_STOP_TIMEOUT_S, PVSCSID_DEFAULT_CONFIG);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

static unsigned default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > 8 ? 8 : (unsigned)n;
}

int options_parse(int argc, char **argv, struct pvscsid_config *cfg, enum log_level *level)
{
    enum { OPT_BLOCK_SIZE = 256, OPT_SYSFS_ROOT, OPT_CMD_TIMEOUT, OPT_MGMT_TCP, OPT_MGMT_PASSWORD,
           OPT_NO_MGMT, OPT_STATE_DIR, OPT_STOP_TIMEOUT };
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"datapath", required_argument, NULL, 'd'},
        {"max-segments", required_argument, NULL, 's'},
        {"backend-domid", required_argument, NULL, 'b'},
        {"block-size", required_argument, NULL, OPT_BLOCK_SIZE},
        {"sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT},
        {"cmd-timeout", required_argument, NULL, OPT_CMD_TIMEOUT},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
        {"mgmt-socket", required_argument, NULL, 'm'},
        {"mgmt-tcp", required_argument, NULL, OPT_MGMT_TCP},
        {"mgmt-password-file", required_argument, NULL, OPT_MGMT_PASSWORD},
        {"no-mgmt", no_argument, NULL, OPT_NO_MGMT},
        {"log-level", required_argument, NULL, 'l'},
        {"foreground", no_argument, NULL, 'f'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *cfg = (struct pvscsid_config){
        .workers = default_workers(),
        .datapath = DATAPATH_COPY,
        .max_segments = DEFAULT_MAX_SEGMENTS,
        .backend_domid = 0,
        .sysfs_root = "/sys",
        .block_size = 512,
        .state_dir = PVSCSID_DEFAULT_STATE_DIR,
        .stop_timeout_s = PVSCSID_DEFAULT_STOP_TIMEOUT_S,
        .mgmt = true,
    };
    *level = LOG_LVL_INFO;
    /* The file first (found by a first pass), so the command line wins. */
    const char *config = NULL;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "w:d:s:b:m:l:c:fhV", longopts, NULL)) != -1)
        if (opt == 'c')
            config = optarg;
    opterr = 1;
    optind = 0;
    char err[320];
    int r = config_file_load(config ? config : PVSCSID_DEFAULT_CONFIG, cfg, level, err,
                             sizeof(err));
    if (r < 0 && (config || r != -ENOENT)) {
        fprintf(stderr, "pvscsid: %s\n", err);
        return 2;
    }
    unsigned long v;
    while ((opt = getopt_long(argc, argv, "w:d:s:b:m:l:c:fhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w':
            if (parse_uint(optarg, 1, 64, &v) < 0)
                goto bad;
            cfg->workers = (unsigned)v;
            break;
        case 'd':
            if (strcmp(optarg, "copy") == 0)
                cfg->datapath = DATAPATH_COPY;
            else if (strcmp(optarg, "map") == 0)
                cfg->datapath = DATAPATH_MAP;
            else
                goto bad;
            break;
        case 's':
            if (parse_uint(optarg, VSCSIIF_SG_TABLESIZE, VSCSI_MAX_SEGMENTS_LIMIT, &v) < 0)
                goto bad;
            cfg->max_segments = (unsigned)v;
            break;
        case 'b':
            if (parse_uint(optarg, 0, 0x7fef, &v) < 0)
                goto bad;
            cfg->backend_domid = (uint16_t)v;
            break;
        case OPT_BLOCK_SIZE:
            if (parse_uint(optarg, 512, 4096, &v) < 0 || (v != 512 && v != 4096))
                goto bad;
            cfg->block_size = (uint32_t)v;
            break;
        case OPT_SYSFS_ROOT:
            cfg->sysfs_root = optarg;
            break;
        case OPT_CMD_TIMEOUT:
            /* At most 24 days: sg's timeout is milliseconds in 32 bits. */
            if (parse_uint(optarg, 1, 2000000, &v) < 0)
                goto bad;
            cfg->cmd_timeout_s = (uint32_t)v;
            break;
        case OPT_STATE_DIR:
            if (optarg[0] != '\0' && optarg[0] != '/')
                goto bad;
            cfg->state_dir = optarg;
            break;
        case OPT_STOP_TIMEOUT:
            if (parse_uint(optarg, 0, 86400, &v) < 0)
                goto bad;
            cfg->stop_timeout_s = (uint32_t)v;
            break;
        case 'm':
            cfg->mgmt_socket = optarg;
            break;
        case OPT_MGMT_TCP:
            cfg->mgmt_tcp = optarg;
            break;
        case OPT_MGMT_PASSWORD:
            cfg->mgmt_password_file = optarg;
            break;
        case OPT_NO_MGMT:
            cfg->mgmt = false;
            break;
        case 'l':
            if (!log_parse_level(optarg, level))
                goto bad;
            break;
        case 'f':
            cfg->foreground = true;
            break;
        case 'c':
            break;   /* read above */
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("pvscsid %s\n", PVSCSID_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "pvscsid: invalid value \"%s\" for -%c (see --help)\n", optarg,
                opt < 256 ? opt : '-');
        return 2;
    }
    /* Map mode holds up to 16 x max_segments grant mappings per ring; keep
     * one guest from eating dom0's maptrack. */
    if (cfg->datapath == DATAPATH_MAP && cfg->max_segments > 1024) {
        fprintf(stderr, "pvscsid: --datapath=map allows at most --max-segments=1024\n");
        return 2;
    }
    if (cfg->mgmt_tcp && !cfg->mgmt_password_file) {
        fprintf(stderr, "pvscsid: --mgmt-tcp needs --mgmt-password-file\n");
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "pvscsid: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return 2;
    }
    return -1;
}

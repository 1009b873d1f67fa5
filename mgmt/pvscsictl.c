/*
 * pvscsictl: administrators' CLI for pvscsid's management socket. Speaks
 * XenAPI JSON-RPC (libcurl over the Unix socket, json-c), logs in, runs one
 * command, logs out. Human tables by default, --json for scripts.
 */
#include <ctype.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_rpc.h"
#include "mgmt.h"

static const char *field(struct json_object *rec, const char *key)
{
    return json_object_get_string(json_object_object_get(rec, key));
}

/* A table: rows of columns, widths computed, trailing INQUIRY padding cut. */
struct table {
    char **cells;
    size_t ncols, nrows;
};

static void add_row(struct table *t, ...)
{
    va_list ap;
    char **nc = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    if (!nc)
        ctl_die(NULL, "out of memory");
    t->cells = nc;
    va_start(ap, t);
    for (size_t i = 0; i < t->ncols; i++) {
        const char *s = va_arg(ap, const char *);
        char *d = strdup(s ? s : "");
        if (!d)
            ctl_die(NULL, "out of memory");
        for (size_t n = strlen(d); n > 0 && isspace((unsigned char)d[n - 1]); n--)
            d[n - 1] = '\0';
        t->cells[t->nrows * t->ncols + i] = d;
    }
    va_end(ap);
    t->nrows++;
}

static void print_table(struct table *t)
{
    size_t w[16] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t i = 0; i < t->ncols && i < 16; i++) {
            size_t n = strlen(t->cells[r * t->ncols + i]);
            w[i] = n > w[i] ? n : w[i];
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++) {
            const char *s = t->cells[r * t->ncols + i];
            if (i + 1 < t->ncols)
                printf("%-*s  ", (int)w[i], s);
            else
                printf("%s\n", s);
            free(t->cells[r * t->ncols + i]);
        }
    }
    free(t->cells);
}

static void print_json(struct json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
}

static const char *uuid_of(const char *ref)
{
    return strncmp(ref, "OpaqueRef:", 10) == 0 ? ref + 10 : ref;
}

/* A VM by name, uuid, domid or ref; dies if none or several match. */
static const char *find_vm(const struct ctl *c, struct json_object *vms, const char *key)
{
    const char *found = NULL;
    json_object_object_foreach(vms, ref, rec)
    {
        if (strcmp(ref, key) == 0 || strcmp(uuid_of(ref), key) == 0 ||
            strcmp(field(rec, "name_label"), key) == 0 || strcmp(field(rec, "domid"), key) == 0) {
            if (found)
                ctl_die(c, "VM %s is ambiguous", key);
            found = ref;
        }
    }
    if (!found)
        ctl_die(c, "no running VM %s", key);
    return found;
}

/* "-" for a value that is empty or absent (an older daemon). */
static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static void cmd_pscsi_list(struct ctl *c, char **argv)
{
    (void)argv;
    struct json_object *all = ctl_callv(c, "PSCSI.get_all_records", NULL);
    if (c->json) {
        print_json(all);
    } else {
        struct table t = {.ncols = 11};
        add_row(&t, "HCTL", "TYPE", "DEV", "NODES", "SG", "DRIVER", "VENDOR", "MODEL", "REV",
                "SCSI_ID", "UUID");
        json_object_object_foreach(all, ref, rec)
        {
            (void)ref;
            add_row(&t, field(rec, "physical_HCTL"), field(rec, "type"), field(rec, "dev_name"),
                    or_dash(field(rec, "dev_nodes")), field(rec, "sg_name"),
                    or_dash(field(rec, "driver")), field(rec, "vendor_name"), field(rec, "model"),
                    field(rec, "revision"), field(rec, "scsi_id"), field(rec, "uuid"));
        }
        print_table(&t);
    }
    json_object_put(all);
}

static void cmd_vscsi_list(struct ctl *c, char **argv)
{
    const char *vm_key = argv[0];
    struct json_object *all = ctl_callv(c, "VSCSI.get_all_records", NULL);
    struct json_object *vms = ctl_callv(c, "VM.get_all_records", NULL);
    const char *only = vm_key ? find_vm(c, vms, vm_key) : NULL;
    struct json_object *out = json_object_new_object();
    struct table t = {.ncols = 7};
    add_row(&t, "VM", "DOMID", "V-HCTL", "P-DEV", "POLICY", "STATE", "UUID");
    json_object_object_foreach(all, ref, rec)
    {
        const char *vm = field(rec, "VM");
        if (only && strcmp(vm, only) != 0)
            continue;
        json_object_object_add(out, ref, json_object_get(rec));
        struct json_object *vrec = json_object_object_get(vms, vm);
        struct json_object *rt = json_object_object_get(rec, "runtime_properties");
        add_row(&t, vrec ? field(vrec, "name_label") : "-", vrec ? field(vrec, "domid") : "-",
                field(rec, "virtual_HCTL"), field(rt, "p-dev"), or_dash(field(rec, "policy")),
                field(rt, "state"), field(rec, "uuid"));
    }
    if (c->json) {
        print_json(out);
        for (size_t i = 0; i < t.nrows * t.ncols; i++)
            free(t.cells[i]);
        free(t.cells);
    } else {
        print_table(&t);
    }
    json_object_put(out);
    json_object_put(vms);
    json_object_put(all);
}

static void cmd_attach(struct ctl *c, char **argv)
{
    const char *vm_key = argv[0], *ps_key = argv[1], *hctl = argv[2];
    struct json_object *vms = ctl_callv(c, "VM.get_all_records", NULL);
    struct json_object *ps = ctl_callv(c, "PSCSI.get_all_records", NULL);
    const char *vm = find_vm(c, vms, vm_key), *pscsi = NULL;
    json_object_object_foreach(ps, ref, rec)
    {
        if (strcmp(ref, ps_key) == 0 || strcmp(uuid_of(ref), ps_key) == 0 ||
            strcmp(field(rec, "physical_HCTL"), ps_key) == 0 ||
            (field(rec, "scsi_id")[0] && strcmp(field(rec, "scsi_id"), ps_key) == 0))
            pscsi = ref;
    }
    if (!pscsi)
        ctl_die(c, "no PSCSI %s (give its HCTL, uuid or scsi_id)", ps_key);
    struct json_object *args = json_object_new_object();
    json_object_object_add(args, "VM", json_object_new_string(vm));
    json_object_object_add(args, "PSCSI", json_object_new_string(pscsi));
    json_object_object_add(args, "virtual_HCTL", json_object_new_string(hctl));
    if (c->policy)
        json_object_object_add(args, "policy", json_object_new_string(c->policy));
    struct json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_string(c->session));
    json_object_array_add(p, args);
    struct json_object *made = ctl_call(c, "VSCSI.create", p);
    if (c->json)
        print_json(made);
    else
        printf("%s\n", uuid_of(json_object_get_string(made)));
    json_object_put(made);
    json_object_put(ps);
    json_object_put(vms);
}

/* An emulated disk of the daemon (file:/path, null[:size]) as a LUN. */
static void cmd_disk_attach(struct ctl *c, char **argv)
{
    const char *vm_key = argv[0], *p_dev = argv[1], *hctl = argv[2];
    struct json_object *vms = ctl_callv(c, "VM.get_all_records", NULL);
    const char *vm = find_vm(c, vms, vm_key);
    /* --policy: the options go after the p-dev, as the daemon reads them. */
    char *with = NULL;
    if (c->policy && asprintf(&with, "%s,%s", p_dev, c->policy) < 0)
        ctl_die(c, "out of memory");
    struct json_object *made =
        ctl_callv(c, "pvscsid.attach_disk", vm, with ? with : p_dev, hctl, NULL);
    free(with);
    if (c->json)
        print_json(made);
    else
        printf("%s\n", uuid_of(json_object_get_string(made)));
    json_object_put(made);
    json_object_put(vms);
}

/* A whole physical HBA (by host number or PSCSI_HBA uuid), identity-mapped,
 * in xend's HOST mode: its LUNs then follow the host. */
static void cmd_hba_attach(struct ctl *c, char **argv)
{
    const char *vm_key = argv[0], *hba_key = argv[1];
    struct json_object *vms = ctl_callv(c, "VM.get_all_records", NULL);
    struct json_object *hbas = ctl_callv(c, "PSCSI_HBA.get_all_records", NULL);
    const char *vm = find_vm(c, vms, vm_key), *hba = NULL;
    json_object_object_foreach(hbas, ref, rec)
    {
        if (strcmp(field(rec, "physical_host"), hba_key) == 0 ||
            strcmp(uuid_of(ref), hba_key) == 0 || strcmp(ref, hba_key) == 0)
            hba = ref;
    }
    if (!hba)
        ctl_die(c, "no PSCSI_HBA %s (give its host number or uuid)", hba_key);
    struct json_object *args = json_object_new_object();
    json_object_object_add(args, "VM", json_object_new_string(vm));
    json_object_object_add(args, "PSCSI_HBA", json_object_new_string(hba));
    json_object_object_add(args, "assignment_mode", json_object_new_string("HOST"));
    struct json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_string(c->session));
    json_object_array_add(p, args);
    struct json_object *made = ctl_call(c, "DSCSI_HBA.create", p);
    if (c->json)
        print_json(made);
    else
        printf("%s\n", uuid_of(json_object_get_string(made)));
    json_object_put(made);
    json_object_put(hbas);
    json_object_put(vms);
}

/* Success of a detach says nothing in a table; with --json it says what. */
static void print_destroyed(const struct ctl *c, const char *ref)
{
    if (!c->json)
        return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "destroyed", json_object_new_string(ref));
    print_json(o);
    json_object_put(o);
}

static void cmd_hba_detach(struct ctl *c, char **argv)
{
    const char *key = argv[0];
    char ref[128];
    snprintf(ref, sizeof(ref), "%s%s", strncmp(key, "OpaqueRef:", 10) ? "OpaqueRef:" : "", key);
    json_object_put(ctl_callv(c, "DSCSI_HBA.destroy", ref, NULL));
    print_destroyed(c, ref);
}

static void cmd_detach(struct ctl *c, char **argv)
{
    const char *key = argv[0];
    char ref[128];
    snprintf(ref, sizeof(ref), "%s%s", strncmp(key, "OpaqueRef:", 10) ? "OpaqueRef:" : "", key);
    json_object_put(ctl_callv(c, "VSCSI.destroy", ref, NULL));
    print_destroyed(c, ref);
}

/* A latency in microseconds, short: "85us", "1.2ms", "3.4s"; "-" if none. */
static void fmt_us(char *out, size_t n, struct json_object *p, const char *key)
{
    struct json_object *v = p ? json_object_object_get(p, key) : NULL;
    if (!v) {
        snprintf(out, n, "-");
        return;
    }
    double us = json_object_get_double(v);
    if (us < 1000)
        snprintf(out, n, "%.0fus", us);
    else if (us < 1e6)
        snprintf(out, n, "%.1fms", us / 1e3);
    else
        snprintf(out, n, "%.1fs", us / 1e6);
}

static bool all_recent(struct json_object *st)
{
    for (size_t i = 0; i < json_object_array_length(st); i++)
        if (!json_object_object_get(json_object_array_get_idx(st, i), "recent"))
            return false;
    return true;
}

static void cmd_stats(struct ctl *c, char **argv)
{
    (void)argv;
    struct json_object *st = ctl_callv(c, "pvscsid.get_stats", NULL);
    /* Rates need two looks: without a recent one, a second after. */
    if (!all_recent(st)) {
        sleep(1);
        json_object_put(st);
        st = ctl_callv(c, "pvscsid.get_stats", NULL);
    }
    if (c->json) {
        print_json(st);
    } else {
        struct table t = {.ncols = 16};
        add_row(&t, "VM", "DOMID", "DEVID", "REQUESTS", "BYTES", "CHECK_COND", "XPORT_ERR",
                "OTHER", "DENIED", "IN_FLIGHT", "REQ/S", "MB/S", "P50", "P99", "P99.9", "");
        for (size_t i = 0; i < json_object_array_length(st); i++) {
            struct json_object *r = json_object_array_get_idx(st, i);
            struct json_object *rec = json_object_object_get(r, "recent");
            /* Latency over the last interval when it saw commands, else
             * over the ring's life. */
            struct json_object *lat = rec ? json_object_object_get(rec, "latency_us") : NULL;
            if (!lat)
                lat = json_object_object_get(r, "latency_us");
            char rps[32] = "-", mbs[32] = "-", p50[16], p99[16], p999[16];
            if (rec) {
                snprintf(rps, sizeof(rps), "%.0f",
                         json_object_get_double(json_object_object_get(rec, "requests_per_s")));
                snprintf(mbs, sizeof(mbs), "%.1f",
                         json_object_get_double(json_object_object_get(rec, "bytes_per_s")) / 1e6);
            }
            fmt_us(p50, sizeof(p50), lat, "p50");
            fmt_us(p99, sizeof(p99), lat, "p99");
            fmt_us(p999, sizeof(p999), lat, "p99_9");
            add_row(&t, field(r, "VM_name")[0] ? field(r, "VM_name") : "-", field(r, "domid"),
                    field(r, "devid"), field(r, "requests"), field(r, "bytes"),
                    field(r, "check_conditions"), field(r, "transport_errors"),
                    field(r, "other_status"), field(r, "denied"), field(r, "in_flight"), rps, mbs,
                    p50, p99, p999, "");
        }
        print_table(&t);
    }
    json_object_put(st);
}

/* Limits of a VM's vscsi device DEVID: requests and bytes per second (0:
 * none), live. */
static void cmd_limit(struct ctl *c, char **argv)
{
    const char *vm_key = argv[0], *devid = argv[1], *iops = argv[2], *bps = argv[3];
    for (int i = 2; i < 4; i++)
        if (!argv[i][0] || strspn(argv[i], "0123456789") != strlen(argv[i]))
            ctl_die(c, "%s is not a number (0: no limit)", argv[i]);
    struct json_object *vms = ctl_callv(c, "VM.get_all_records", NULL);
    struct json_object *hbas = ctl_callv(c, "DSCSI_HBA.get_all_records", NULL);
    const char *vm = find_vm(c, vms, vm_key), *hba = NULL;
    json_object_object_foreach(hbas, ref, rec)
    {
        if (strcmp(field(rec, "VM"), vm) == 0 && strcmp(field(rec, "virtual_host"), devid) == 0)
            hba = ref;
    }
    if (!hba)
        ctl_die(c, "VM %s has no vscsi device %s", vm_key, devid);
    json_object_put(ctl_callv(c, "DSCSI_HBA.set_qos_iops", hba, iops, NULL));
    json_object_put(ctl_callv(c, "DSCSI_HBA.set_qos_bps", hba, bps, NULL));
    if (c->json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "DSCSI_HBA", json_object_new_string(hba));
        json_object_object_add(o, "qos_iops", json_object_new_int64(strtoll(iops, NULL, 10)));
        json_object_object_add(o, "qos_bps", json_object_new_int64(strtoll(bps, NULL, 10)));
        print_json(o);
        json_object_put(o);
    }
    json_object_put(hbas);
    json_object_put(vms);
}

/* Every subcommand, once: name, arguments, bounds, handler, help (lines
 * after the first are continuation lines of the help column). */
struct command {
    const char *name;
    const char *args;
    int min, max;
    void (*run)(struct ctl *c, char **args);
    const char *help;
};

static const struct command commands[] = {
    {"pscsi-list", "", 0, 0, cmd_pscsi_list, "physical SCSI devices of this host"},
    {"vscsi-list", "[VM]", 0, 1, cmd_vscsi_list, "LUNs given to VMs (all, or one VM)"},
    {"vscsi-attach", "VM PSCSI VHCTL", 3, 3, cmd_attach,
     "hot-plug PSCSI (HCTL, uuid or scsi_id)\ninto VM (name, uuid or domid) as VHCTL\n"
     "(--policy: its command policy)"},
    {"disk-attach", "VM PDEV VHCTL", 3, 3, cmd_disk_attach,
     "hot-plug an emulated disk of pvscsid\n(file:/path, null or null:<size>)"},
    {"vscsi-detach", "VSCSI", 1, 1, cmd_detach, "hot-unplug a LUN (its uuid)"},
    {"hba-attach", "VM HOST", 2, 2, cmd_hba_attach,
     "a whole physical HBA (host number or\nuuid), identity-mapped; its LUNs follow it"},
    {"hba-detach", "DSCSI_HBA", 1, 1, cmd_hba_detach, "every LUN of it (its uuid)"},
    {"limit", "VM DEVID IOPS BYTES_PER_S", 4, 4, cmd_limit,
     "hold a VM's vscsi device to requests and\nbytes per second (0: no limit), live"},
    {"stats", "", 0, 0, cmd_stats,
     "per ring: requests, bytes, CHECK CONDITIONs\napart from transport errors, rates, latency"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: pvscsictl [--socket PATH] [--json] [--policy OPTS] COMMAND [ARGS]\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const struct command *k = &commands[i];
        char head[64];
        snprintf(head, sizeof(head), "%s%s%s", k->name, k->args[0] ? " " : "", k->args);
        const char *h = k->help;
        fprintf(f, "  %-31s", head);
        for (;;) {
            const char *nl = strchr(h, '\n');
            int n = nl ? (int)(nl - h) : (int)strlen(h);
            fprintf(f, "%.*s\n", n, h);
            if (!nl)
                break;
            h = nl + 1;
            fprintf(f, "  %-31s", "");
        }
    }
    fprintf(f,
            "\n"
            "  -s, --socket PATH   management socket (default %s)\n"
            "  -j, --json          JSON output for scripts (errors too, on stdout)\n"
            "  -p, --policy OPTS   vscsi-attach, disk-attach: the LUN's command policy,\n"
            "                      e.g. ro,allow=firmware,deny=0x3b (pvscsid(8))\n"
            "  -V, --version       pvscsictl's version\n"
            "  -h, --help          this help\n",
            MGMT_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"policy", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    struct ctl c = {.socket = MGMT_DEFAULT_SOCKET};
    int o;
    while ((o = getopt_long(argc, argv, "s:jp:hV", opts, NULL)) != -1) {
        switch (o) {
        case 'p':
            c.policy = optarg;
            break;
        case 's':
            c.socket = optarg;
            break;
        case 'j':
            c.json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("pvscsictl %s\n", PVSCSID_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    int nargs = argc - optind - 1;
    char **args = argv + optind + 1;
    const struct command *k = NULL;
    for (size_t i = 0; i < NCOMMANDS && !k; i++)
        if (strcmp(commands[i].name, cmd) == 0)
            k = &commands[i];
    if (!k) {
        fprintf(stderr, "pvscsictl: unknown command %s\n", cmd);
        usage(stderr);
        return 2;
    }
    if (nargs < k->min || nargs > k->max) {
        fprintf(stderr, "pvscsictl: wrong number of arguments for %s\n", cmd);
        usage(stderr);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c.curl = curl_easy_init()))
        ctl_die(&c, "cannot initialise libcurl");

    struct json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_string("root"));
    json_object_array_add(p, json_object_new_string(""));
    json_object_array_add(p, json_object_new_string("1.0"));
    json_object_array_add(p, json_object_new_string("pvscsictl"));
    struct json_object *s = ctl_call(&c, "session.login_with_password", p);
    c.session = strdup(json_object_get_string(s));
    json_object_put(s);
    if (!c.session)
        ctl_die(&c, "out of memory");

    k->run(&c, args);   /* argv ends with NULL: an optional argument left out is NULL */

    json_object_put(ctl_callv(&c, "session.logout", NULL));
    free(c.session);
    curl_easy_cleanup(c.curl);
    curl_global_cleanup();
    return 0;
}

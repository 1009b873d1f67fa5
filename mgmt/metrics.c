#include "metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "stats.h"
#include "utf8.h"
#include "xsview.h"

struct out {
    char *buf;
    size_t len;
    FILE *f;
};

/* A label value as the format wants it: UTF-8, \\ \" \n escaped. */
static void label_value(FILE *f, const char *v)
{
    char *clean = utf8_sanitize(v, strlen(v));
    for (const char *p = clean ? clean : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
    free(clean);
}

struct ring_labels {
    unsigned domid, devid;
    const char *vm, *vm_uuid;
};

static void labels(FILE *f, const struct ring_labels *l, const char *extra_k,
                   const char *extra_v)
{
    fprintf(f, "{domid=\"%u\",devid=\"%u\",vm=\"", l->domid, l->devid);
    label_value(f, l->vm);
    fputs("\",vm_uuid=\"", f);
    label_value(f, l->vm_uuid);
    fputc('"', f);
    if (extra_k)
        fprintf(f, ",%s=\"%s\"", extra_k, extra_v);
    fputc('}', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void histogram(FILE *f, const struct mgmt_ring_stats *s, const struct ring_labels *l)
{
    uint64_t cum = 0;
    for (unsigned i = 0; i < MGMT_LAT_BUCKETS; i++) {
        cum += s->latency[i];
        char le[32];
        if (i + 1 == MGMT_LAT_BUCKETS)
            snprintf(le, sizeof(le), "+Inf");
        else
            snprintf(le, sizeof(le), "%g", stats_bucket_le(i));
        fputs("pvscsid_command_duration_seconds_bucket", f);
        labels(f, l, "le", le);
        fprintf(f, " %llu\n", (unsigned long long)cum);
    }
    fputs("pvscsid_command_duration_seconds_sum", f);
    labels(f, l, NULL, NULL);
    fprintf(f, " %.9f\n", (double)s->latency_sum_ns / 1e9);
    fputs("pvscsid_command_duration_seconds_count", f);
    labels(f, l, NULL, NULL);
    fprintf(f, " %llu\n", (unsigned long long)cum);
}

static void render(FILE *f, const struct mgmt_ring_stats *rs, size_t n,
                   const struct ring_labels *ls, size_t npscsi)
{
    head(f, "pvscsid_rings", "gauge", "Connected vscsi rings.");
    fprintf(f, "pvscsid_rings %zu\n", n);
    head(f, "pvscsid_pscsi_devices", "gauge", "SCSI devices of this host (PSCSIs).");
    fprintf(f, "pvscsid_pscsi_devices %zu\n", npscsi);
    head(f, "pvscsid_requests_total", "counter", "Requests taken off the ring.");
    for (size_t i = 0; i < n; i++) {
        fputs("pvscsid_requests_total", f);
        labels(f, &ls[i], NULL, NULL);
        fprintf(f, " %llu\n", (unsigned long long)rs[i].requests);
    }
    head(f, "pvscsid_bytes_total", "counter", "Data bytes moved, both directions.");
    for (size_t i = 0; i < n; i++) {
        fputs("pvscsid_bytes_total", f);
        labels(f, &ls[i], NULL, NULL);
        fprintf(f, " %llu\n", (unsigned long long)rs[i].bytes);
    }
    head(f, "pvscsid_commands_total", "counter",
         "Commands answered, by outcome: good, check_condition (sense data: a filemark, a "
         "short block, a medium error), other_status (BUSY, RESERVATION CONFLICT...), "
         "transport_error (no such LUN, timeout, abort, reset, rejected request).");
    for (size_t i = 0; i < n; i++) {
        const struct {
            const char *name;
            uint64_t v;
        } st[] = {{"good", rs[i].good},
                  {"check_condition", rs[i].check_conditions},
                  {"other_status", rs[i].other_status},
                  {"transport_error", rs[i].transport_errors}};
        for (size_t k = 0; k < sizeof(st) / sizeof(st[0]); k++) {
            fputs("pvscsid_commands_total", f);
            labels(f, &ls[i], "status", st[k].name);
            fprintf(f, " %llu\n", (unsigned long long)st[k].v);
        }
    }
    head(f, "pvscsid_commands_denied_total", "counter",
         "Commands a LUN's command policy refused (denied or write-protected); their CHECK "
         "CONDITION is also in pvscsid_commands_total.");
    for (size_t i = 0; i < n; i++) {
        fputs("pvscsid_commands_denied_total", f);
        labels(f, &ls[i], NULL, NULL);
        fprintf(f, " %llu\n", (unsigned long long)rs[i].denied);
    }
    head(f, "pvscsid_in_flight", "gauge", "Requests taken off the ring, not yet answered.");
    for (size_t i = 0; i < n; i++) {
        fputs("pvscsid_in_flight", f);
        labels(f, &ls[i], NULL, NULL);
        fprintf(f, " %u\n", rs[i].in_flight);
    }
    head(f, "pvscsid_command_duration_seconds", "histogram",
         "Time from taking a command off the ring to answering it.");
    for (size_t i = 0; i < n; i++)
        histogram(f, &rs[i], &ls[i]);
}

char *metrics_render(struct mgmt_core *c, size_t *len, const char **err)
{
    struct mgmt_ring_stats *rs = NULL;
    int n = stats_collect(c, &rs);
    if (n < 0) {
        *err = "cannot read the daemon's counters";
        return NULL;
    }
    struct ring_labels *ls = n ? calloc((size_t)n, sizeof(*ls)) : NULL;
    struct xsv_view view = {0};
    bool have_view = false;
    size_t npscsi = 0;
    if (pthread_mutex_lock(&c->lock) == 0) {
        have_view = xsv_load(c->xs, c->be_domid, &view) == 0;
        npscsi = c->pscsi.n;
        pthread_mutex_unlock(&c->lock);
    }
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = (n == 0 || ls) ? open_memstream(&buf, &blen) : NULL;
    if (f) {
        for (int i = 0; i < n; i++) {
            const struct xsv_vm *vm = have_view ? xsv_vm_by_domid(&view, rs[i].domid) : NULL;
            ls[i] = (struct ring_labels){rs[i].domid, rs[i].devid, vm ? vm->name : "",
                                         vm ? vm->uuid : ""};
        }
        render(f, rs, (size_t)n, ls, npscsi);
        if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    if (have_view)
        xsv_free(&view);
    free(ls);
    free(rs);
    if (!buf) {
        *err = "out of memory";
        return NULL;
    }
    *len = blen;
    return buf;
}

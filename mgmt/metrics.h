/*
 * GET /metrics: the per-ring counters in Prometheus' text exposition
 * format (version 0.0.4), for the monitoring a fleet already runs:
 *
 *   pvscsid_requests_total{domid,devid,vm,vm_uuid}          counter
 *   pvscsid_bytes_total{...}                                counter
 *   pvscsid_commands_total{...,status="good|check_condition|other_status|transport_error"}
 *   pvscsid_commands_denied_total{...}                      counter (a LUN's policy refused them)
 *   pvscsid_in_flight{...}                                  gauge
 *   pvscsid_command_duration_seconds{...}                   histogram (log2 buckets, 1 us .. 33.5 s)
 *   pvscsid_rings, pvscsid_pscsi_devices                    gauges
 */
#ifndef PVSCSI_MGMT_METRICS_H
#define PVSCSI_MGMT_METRICS_H

#include <stddef.h>

struct mgmt_core;

/* The exposition, malloc'd with its length; NULL with *err (static text)
 * on failure. Locks c. */
char *metrics_render(struct mgmt_core *c, size_t *len, const char **err);

#endif

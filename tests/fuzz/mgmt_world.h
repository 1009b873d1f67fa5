/*
 * What the management fuzz targets run against: the real management core
 * (mgmt/core.c) over the standard fake sysfs tree and a private real
 * xenstored (domain 3 "guest-a" with a vscsi device, domain 5 "guest-b"),
 * set up once per process and torn down at exit.
 *
 * An input may say @S@ where a session ref goes: it is replaced by a live
 * session's, so calls reach the class handlers and not only the session
 * check.
 */
#ifndef PVSCSI_FUZZ_MGMT_WORLD_H
#define PVSCSI_FUZZ_MGMT_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* The core (aborts when the world cannot be set up: no point fuzzing). */
struct mgmt_core *fuzz_mgmt_core(void);

/* data with each @S@ replaced by a live session ref of transport tr:
 * malloc'd, NUL-terminated, length in *len. */
char *fuzz_mgmt_body(const uint8_t *data, size_t size, enum rpc_transport tr, size_t *len);

/* The answer invariants: a value or an error, never both; an error is an
 * array of strings, the code first. Aborts otherwise. */
void fuzz_check_error(struct json_object *res, struct json_object *error);

/* The peer a fuzzed call comes from. */
#define FUZZ_PEER "fuzz"

#endif

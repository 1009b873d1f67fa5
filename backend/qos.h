/*
 * Per-ring limits (a guest's vscsi device): requests per second and bytes
 * per second, each a token bucket. A ring out of tokens is simply not read
 * (its requests wait in the shared ring, never failed) until its tokens
 * come back; the worker looks again at that time. Bytes are charged when a
 * request's size is known, so one large request may leave the bucket in
 * debt; the next waits until it is paid. Owned by the ring's worker; pure
 * arithmetic over the times it is given.
 */
#ifndef PVSCSID_QOS_H
#define PVSCSID_QOS_H

#include <stdbool.h>
#include <stdint.h>

struct qos_bucket {
    uint64_t rate;       /* per second; 0: unlimited */
    double tokens;       /* may be negative (bytes: a large request's debt) */
    double burst;        /* the most tokens kept: a tenth of a second's worth */
};

struct ring_qos {
    bool on;             /* any limit set (off: no cost on the request path) */
    struct qos_bucket io, bytes;
    uint64_t last_ns;    /* tokens were last added */
    uint64_t wake_ns;    /* throttled: when tokens will be back; 0 otherwise */
};

/* Sets the limits (0 = none), keeping no tokens from before. */
void qos_set(struct ring_qos *q, uint64_t iops, uint64_t bytes_per_s, uint64_t now_ns);

/* How many of `want` requests may be taken at now_ns. When fewer, the ring
 * is throttled and q->wake_ns says when to look again. */
unsigned qos_admit(struct ring_qos *q, unsigned want, uint64_t now_ns);

/* A request of `bytes` was taken (one io token went in qos_admit). */
void qos_charge(struct ring_qos *q, uint32_t bytes);

#endif

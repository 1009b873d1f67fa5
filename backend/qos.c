#include "qos.h"

static void bucket_set(struct qos_bucket *b, uint64_t rate)
{
    b->rate = rate;
    b->burst = rate ? (double)rate / 10.0 : 0.0;
    if (b->burst < 1.0 && rate)
        b->burst = 1.0;
    b->tokens = b->burst;
}

void qos_set(struct ring_qos *q, uint64_t iops, uint64_t bytes_per_s, uint64_t now_ns)
{
    bucket_set(&q->io, iops);
    bucket_set(&q->bytes, bytes_per_s);
    q->on = iops || bytes_per_s;
    q->last_ns = now_ns;
    q->wake_ns = 0;
}

static void refill(struct qos_bucket *b, double seconds)
{
    if (!b->rate)
        return;
    b->tokens += (double)b->rate * seconds;
    if (b->tokens > b->burst)
        b->tokens = b->burst;
}

/* Nanoseconds until b holds `need` tokens. */
static uint64_t wait_for(const struct qos_bucket *b, double need)
{
    double s = (need - b->tokens) / (double)b->rate;
    return s <= 0 ? 0 : (uint64_t)(s * 1e9) + 1;
}

unsigned qos_admit(struct ring_qos *q, unsigned want, uint64_t now_ns)
{
    if (!q->on)
        return want;
    if (now_ns > q->last_ns) {
        double s = (double)(now_ns - q->last_ns) / 1e9;
        refill(&q->io, s);
        refill(&q->bytes, s);
        q->last_ns = now_ns;
    }
    unsigned n = want;
    if (q->io.rate && q->io.tokens < (double)n)
        n = q->io.tokens < 0 ? 0 : (unsigned)q->io.tokens;
    if (q->bytes.rate && q->bytes.tokens <= 0)
        n = 0;
    q->wake_ns = 0;
    if (n < want) {
        uint64_t w = 0;
        if (q->io.rate && q->io.tokens < (double)n + 1.0)
            w = wait_for(&q->io, (double)n + 1.0);
        if (q->bytes.rate && q->bytes.tokens <= 0) {
            uint64_t wb = wait_for(&q->bytes, 1.0);
            w = wb > w ? wb : w;
        }
        q->wake_ns = now_ns + (w ? w : 1);
    }
    if (q->io.rate)
        q->io.tokens -= (double)n;
    return n;
}

void qos_charge(struct ring_qos *q, uint32_t bytes)
{
    if (q->on && q->bytes.rate)
        q->bytes.tokens -= (double)bytes;
}

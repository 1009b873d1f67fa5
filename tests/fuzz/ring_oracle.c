#include "ring_oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "xensim.h"

#define MAX_TAKEN 64
#define PAGE 4096u

/* A request the backend took and has not answered (as the guest knows it). */
struct taken {
    struct vscsiif_request raw;   /* the slot as it was when taken */
    struct o_req req;             /* kind K_RAW unless well-formed */
    uint64_t seq;                 /* take order */
    unsigned turn;                /* dispatch call that took it */
    bool tmf_seen;                /* an ABORT/RESET was taken after it */
    uint64_t first_tmf;           /* seq of the first one */
    bool conflicted;              /* WRITE: overlapped another write */
    bool file_write_all;          /* raw: may have written any block */
    bool abort_satisfied;         /* ABORT: its victim was answered ABORT */
    bool victim_expected;         /* ABORT: a victim was surely running */
    bool read_ok[32];             /* READ of the file: block known at take */
    uint32_t read_epoch[32];
};

static struct {
    struct world *w;
    bool trace;              /* FUZZ_RING_TRACE set: print takes and answers */
    bool chaos;
    bool reaped;             /* CQEs handled since the last flush */
    bool lossy;              /* the guest reused a slot whose answer it had not
                                read: answers may be lost, none are checked */
    bool weak;               /* rqids became ambiguous: counts only */
    bool reads_unreliable;   /* hostile data-in may hit pool B */
    struct o_req meta[VSCSI_RING_SIZE];
    struct vscsiif_request meta_raw[VSCSI_RING_SIZE];   /* the bytes written */
    uint32_t meta_idx[VSCSI_RING_SIZE];
    bool meta_valid[VSCSI_RING_SIZE];
    struct taken taken[MAX_TAKEN];
    unsigned nr_taken;
    uint64_t seq;
    unsigned turn;
    uint32_t rsp_cons;
    /* The file LUN as the guest knows it. */
    uint8_t model[W_FILE_BLOCKS * W_BLOCK];
    bool known[W_FILE_BLOCKS];
    unsigned wpending[W_FILE_BLOCKS];
    uint32_t epoch[W_FILE_BLOCKS];
    /* What read-only pages must still hold. */
    uint8_t a_copy[W_POOL_A][PAGE];
    uint8_t l_copy[W_LIST][PAGE];
    bool copies_made;
} o;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_ring: INVARIANT BROKEN: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

static const uint8_t *pool_page(const struct o_seg *s)
{
    return world_page(o.w, s->pool == 'A' ? o.w->a_gfn[s->page] : o.w->b_gfn[s->page]);
}

/* Bytes [off, off+len) of a request's data, gathered from its segments. */
static void gather(const struct o_req *r, uint32_t off, uint32_t len, uint8_t *out)
{
    uint32_t pos = 0;
    for (unsigned i = 0; i < r->nsegs && len; i++) {
        const struct o_seg *s = &r->segs[i];
        if (off < pos + s->len) {
            uint32_t in = off - pos, n = s->len - in < len ? s->len - in : len;
            memcpy(out, pool_page(s) + s->off + in, n);
            out += n;
            off += n;
            len -= n;
        }
        pos += s->len;
    }
}

void oracle_begin(struct world *w, bool chaos)
{
    o.w = w;
    o.trace = getenv("FUZZ_RING_TRACE") != NULL;
    if (!o.copies_made) {
        for (unsigned i = 0; i < W_POOL_A; i++)
            memcpy(o.a_copy[i], world_page(w, w->a_gfn[i]), PAGE);
        o.copies_made = true;
    }
    o.chaos = chaos;
    o.lossy = false;
    o.reaped = false;
    o.weak = o.reads_unreliable = false;
    memset(o.meta_valid, 0, sizeof(o.meta_valid));
    o.nr_taken = 0;
    o.turn = 0;
    o.rsp_cons = w->sring->rsp_prod;
    memset(o.known, 0, sizeof(o.known));
    memset(o.wpending, 0, sizeof(o.wpending));
    for (unsigned i = 0; i < W_LIST; i++)
        memcpy(o.l_copy[i], world_page(w, w->l_gfn[i]), PAGE);
}

void oracle_put(uint32_t idx, const struct o_req *req)
{
    unsigned s = idx % VSCSI_RING_SIZE;
    o.meta_valid[s] = req != NULL;
    o.meta_idx[s] = idx;
    if (req) {
        o.meta[s] = *req;
        o.meta_raw[s] = w_ring_entry(o.w->sring, idx)->req;
    }
}

void oracle_list_written(unsigned k)
{
    memcpy(o.l_copy[k], world_page(o.w, o.w->l_gfn[k]), PAGE);
}

uint16_t oracle_inflight_rqid(unsigned pick, uint16_t fallback)
{
    if (o.nr_taken == 0)
        return fallback;
    return o.taken[o.nr_taken - 1 - pick % o.nr_taken].raw.rqid;
}

static bool is_rw(const struct o_req *r)
{
    return r->kind == K_READ || r->kind == K_WRITE;
}

/* Blocks of the file a well-formed READ/WRITE covers, [*first, *end). */
static bool file_blocks(const struct o_req *r, uint32_t *first, uint32_t *end)
{
    if (!is_rw(r) || r->addr != W_LUN_FILE || r->out_of_range)
        return false;
    *first = r->lba;
    *end = r->lba + r->nblocks;
    return true;
}

/* Opcodes that never change the file's blocks. */
static bool reads_only(uint8_t op)
{
    static const uint8_t ops[] = {0x00, 0x03, 0x08, 0x12, 0x1a, 0x25, 0x28, 0x35, 0x5a,
                                  0x88, 0x91, 0x9e, 0xa0, 0xa8};
    return memchr(ops, op, sizeof(ops)) != NULL;
}

static void write_taken(struct taken *t, uint32_t first, uint32_t end)
{
    for (unsigned i = 0; i + 1 < o.nr_taken; i++) {
        struct taken *u = &o.taken[i];
        uint32_t f2, e2;
        bool overlaps = u->file_write_all ||
                        (u->req.kind == K_WRITE && file_blocks(&u->req, &f2, &e2) &&
                         f2 < end && first < e2);
        if (overlaps)
            u->conflicted = t->conflicted = true;
    }
    for (uint32_t b = first; b < end; b++) {
        o.wpending[b]++;
        o.epoch[b]++;
    }
}

/* A request the backend took at ring index idx, whose bytes were raw. */
static void take(const struct vscsiif_request *raw, uint32_t idx)
{
    if (!o.chaos && !o.lossy && (int32_t)(idx - VSCSI_RING_SIZE - o.rsp_cons) >= 0)
        o.lossy = true;   /* published past the answers it read: its own loss */
    if (o.chaos || o.lossy)
        return;   /* no bookkeeping: the answers cannot be trusted */
    if (o.nr_taken == MAX_TAKEN)
        fail("more than %d requests in flight", MAX_TAKEN);
    struct taken *t = &o.taken[o.nr_taken++];
    memset(t, 0, sizeof(*t));
    t->raw = *raw;
    t->seq = o.seq++;
    t->turn = o.turn;
    unsigned s = idx % VSCSI_RING_SIZE;
    /* Well-formed if the slot still holds what was written there (a
     * guest that writes past the free slots sees answers overwrite them). */
    if (o.meta_valid[s] && o.meta_idx[s] == idx && memcmp(&o.meta_raw[s], raw, sizeof(*raw)) == 0)
        t->req = o.meta[s];
    else
        t->req.kind = K_RAW;
    o.meta_valid[s] = false;
    if (o.trace)
        fprintf(stderr, "turn %u: take idx %u rqid %#x act %u op %02x %u:%u:%u dir %u nseg %#x "
                "ref %#x kind %d\n", o.turn, idx, raw->rqid, raw->act, raw->cmnd[0], raw->channel,
                raw->id, raw->lun, raw->sc_data_direction, raw->nr_segments, raw->ref_rqid,
                (int)t->req.kind);

    if (raw->act == VSCSIIF_ACT_SCSI_ABORT || raw->act == VSCSIIF_ACT_SCSI_RESET) {
        for (unsigned i = 0; i + 1 < o.nr_taken; i++) {
            if (!o.taken[i].tmf_seen)
                o.taken[i].first_tmf = t->seq;
            o.taken[i].tmf_seen = true;
        }
    }
    uint32_t first, end;
    if (t->req.kind == K_RAW) {
        if (raw->act == VSCSIIF_ACT_SCSI_CDB &&
            w_lun_at(raw->channel, raw->id, raw->lun) == W_LUN_FILE && !reads_only(raw->cmnd[0])) {
            t->file_write_all = true;
            write_taken(t, 0, W_FILE_BLOCKS);
        }
        /* Hostile data-in may land in pool B pages of checked READs. */
        if (raw->nr_segments & VSCSIIF_SG_GRANT) {
            if (raw->sc_data_direction != VSCSI_DIR_TO_DEVICE)
                o.reads_unreliable = true;
        } else {
            unsigned n = raw->nr_segments < VSCSIIF_SG_TABLESIZE ? raw->nr_segments
                                                                 : VSCSIIF_SG_TABLESIZE;
            for (unsigned i = 0; i < n; i++)
                for (unsigned k = 0; k < W_POOL_B; k++)
                    if (raw->seg[i].gref == o.w->b_ref[k])
                        o.reads_unreliable = true;
        }
    } else if (t->req.kind == K_WRITE && file_blocks(&t->req, &first, &end)) {
        write_taken(t, first, end);
    } else if (t->req.kind == K_READ && file_blocks(&t->req, &first, &end)) {
        for (uint32_t b = first; b < end; b++) {
            t->read_ok[b - first] = o.known[b] && o.wpending[b] == 0;
            t->read_epoch[b - first] = o.epoch[b];
        }
    } else if (t->req.kind == K_ABORT && !o.weak) {
        /* Its victim surely still runs: a file command of an earlier turn
         * (those finish only on their CQE, and none was handled since the
         * last answers were read), unanswered, that nothing else has
         * ended, with an rqid no one else has in flight. */
        unsigned same = 0;
        struct taken *v = NULL;
        for (unsigned i = 0; i + 1 < o.nr_taken; i++) {
            if (o.taken[i].raw.rqid == t->req.victim) {
                same++;
                v = &o.taken[i];
            }
        }
        uint32_t f, e;
        t->victim_expected = same == 1 && v->turn < o.turn && !v->tmf_seen && !o.reaped &&
                             v->raw.act == VSCSIIF_ACT_SCSI_CDB &&
                             (file_blocks(&v->req, &f, &e) ||
                              (v->req.kind == K_SYNC && v->req.addr == W_LUN_FILE));
    }
}

void oracle_detached(bool answer)
{
    if (!answer)
        o.lossy = true;   /* the guest is gone: nobody reads answers */
}

void oracle_dispatch(struct world *w)
{
    struct ring_state *rs = w->rs;
    static _Alignas(8) uint8_t snap[4096];
    memcpy(snap, w->sring, sizeof(snap));
    RING_IDX prod = ((struct vscsiif_sring *)(void *)snap)->req_prod;
    RING_IDX before = rs->ring.r.req_cons, rsp_pvt = rs->ring.r.rsp_prod_pvt;
    bool was_halted = rs->halted;
    bool overflow = !rs->detaching && ((RING_IDX)(prod - rsp_pvt) > VSCSI_RING_SIZE ||
                                       (RING_IDX)(prod - before) > VSCSI_RING_SIZE);
    o.turn++;
    world_dispatch(w);
    RING_IDX after = rs->ring.r.req_cons;
    if (!o.chaos) {
        if (rs->halted != (was_halted || overflow))
            fail("ring halted %d, expected %d (req_prod %u, req_cons %u, rsp_prod_pvt %u)",
                 rs->halted, was_halted || overflow, prod, before, rsp_pvt);
        if (!rs->halted && !rs->detaching && after != prod)
            fail("requests left on the ring: req_cons %u, req_prod %u", after, prod);
        if ((rs->halted || rs->detaching) && after != before)
            fail("a halted or detached ring took requests");
    }
    for (RING_IDX i = before; i != after; i++)
        take(&w_ring_entry(snap, i)->req, i);
}

/* ---- answers --------------------------------------------------------------- */

static uint8_t host_of(int32_t rslt)
{
    return vscsi_rslt_host(rslt);
}

static bool ended_by_tmf(const struct taken *t, const struct vscsiif_response *r)
{
    uint8_t h = host_of(r->rslt);
    return t->tmf_seen && vscsi_rslt_status(r->rslt) == 0 &&
           (h == XEN_VSCSIIF_RSLT_HOST_ABORT || h == XEN_VSCSIIF_RSLT_HOST_RESET);
}

static void expect_rslt(const struct taken *t, const struct vscsiif_response *r, int32_t rslt,
                        const char *what)
{
    if (r->rslt != rslt && !ended_by_tmf(t, r))
        fail("%s rqid %#x: rslt %#x, expected %#x", what, t->raw.rqid, (unsigned)r->rslt,
             (unsigned)rslt);
}

static void expect_sense(const struct taken *t, const struct vscsiif_response *r, uint8_t key,
                         uint8_t asc)
{
    if (ended_by_tmf(t, r))
        return;
    if (r->rslt != vscsi_rslt(0, VSCSI_STATUS_CHECK_CONDITION) || r->sense_len < 14 ||
        (r->sense_buffer[2] & 0x0f) != key || r->sense_buffer[12] != asc)
        fail("rqid %#x: rslt %#x sense %u/%02x/%02x, expected CHECK CONDITION %x/%02x",
             t->raw.rqid, (unsigned)r->rslt, r->sense_len, r->sense_buffer[2],
             r->sense_buffer[12], key, asc);
}

static void answered_rw(struct taken *t, const struct vscsiif_response *r)
{
    const struct o_req *q = &t->req;
    bool good = r->rslt == 0 && r->residual_len == 0 && r->sense_len == 0;
    if (q->out_of_range) {
        expect_sense(t, r, 0x05, 0x21);
    } else if (!good && !ended_by_tmf(t, r)) {
        fail("%s rqid %#x lba %u+%u: rslt %#x residual %u", q->kind == K_READ ? "READ" : "WRITE",
             t->raw.rqid, q->lba, q->nblocks, (unsigned)r->rslt, r->residual_len);
    }
    if (q->kind != K_READ || !good || o.reads_unreliable || q->out_of_range)
        return;
    static uint8_t got[W_BLOCK];
    static const uint8_t zeros[W_BLOCK];
    for (uint32_t i = 0; i < q->nblocks; i++) {
        const uint8_t *want;
        if (q->addr == W_LUN_FILE) {
            uint32_t b = q->lba + i;
            if (!t->read_ok[i] || o.epoch[b] != t->read_epoch[i])
                continue;
            want = o.model + (size_t)b * W_BLOCK;
        } else {
            want = zeros;   /* a null LUN reads zeros */
        }
        gather(q, i * W_BLOCK, W_BLOCK, got);
        if (memcmp(got, want, W_BLOCK) != 0)
            fail("READ rqid %#x of LUN %u lba %u: block %u differs from what was written",
                 t->raw.rqid, q->addr, q->lba, q->lba + i);
    }
}

static void answered_report_luns(struct taken *t, const struct vscsiif_response *r)
{
    const struct o_req *q = &t->req;
    uint16_t target = w_addrs[q->addr].target;
    if (target > 1) {
        expect_rslt(t, r, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_NO_CONNECT, 0), "REPORT LUNS");
        return;
    }
    if (q->alloc_len < 16) {
        expect_sense(t, r, 0x05, 0x24);
        return;
    }
    /* Target 0: LUNs 0, 1, 300 (flat space); target 1: LUN 0. */
    uint8_t want[32] = {0, 0, 0, target == 0 ? 24 : 8};
    if (target == 0) {
        want[8 + 8 + 1] = 1;
        want[8 + 16] = 0x40 | (300 >> 8);
        want[8 + 16 + 1] = 300 & 0xff;
    }
    uint32_t total = target == 0 ? 32 : 16, n = total;
    if (n > q->alloc_len)
        n = q->alloc_len;
    if (n > q->data_len)
        n = q->data_len;
    if (r->rslt != 0 || r->residual_len != q->data_len - n)
        fail("REPORT LUNS rqid %#x: rslt %#x residual %u, expected 0 and %u", t->raw.rqid,
             (unsigned)r->rslt, r->residual_len, q->data_len - n);
    uint8_t got[32];
    gather(q, 0, n, got);
    if (!o.reads_unreliable && memcmp(got, want, n) != 0)
        fail("REPORT LUNS rqid %#x: wrong LUN list", t->raw.rqid);
}

static void answered_inquiry(struct taken *t, const struct vscsiif_response *r)
{
    const struct o_req *q = &t->req;
    if (q->addr >= W_NR_LUNS) {
        expect_rslt(t, r, vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_NO_CONNECT, 0), "INQUIRY");
        return;
    }
    if (ended_by_tmf(t, r))
        return;
    if (r->rslt != 0 || r->residual_len > q->data_len)
        fail("INQUIRY rqid %#x: rslt %#x residual %u", t->raw.rqid, (unsigned)r->rslt,
             r->residual_len);
    uint32_t n = q->data_len - r->residual_len;
    uint8_t got[36];
    if (n > sizeof(got))
        n = sizeof(got);
    gather(q, 0, n, got);
    const char *product = q->addr == W_LUN_FILE ? "FILE DISK" : "NULL DISK";
    if (o.reads_unreliable)
        return;
    if ((n >= 1 && got[0] != 0x00) || (n >= 25 && memcmp(got + 16, product, 9) != 0))
        fail("INQUIRY rqid %#x: not the %s", t->raw.rqid, product);
}

static void answered_tmf(struct taken *t, const struct vscsiif_response *r)
{
    const struct o_req *q = &t->req;
    if (q->kind == K_RESET) {
        bool exists = q->addr < W_NR_LUNS;
        if (r->rslt != (exists ? XEN_VSCSIIF_RSLT_RESET_SUCCESS : XEN_VSCSIIF_RSLT_RESET_FAILED))
            fail("RESET rqid %#x of LUN %u: rslt %#x", t->raw.rqid, q->addr, (unsigned)r->rslt);
        if (!exists || o.weak)
            return;
        /* Answered after every command on its LUN that came before it
         * (REPORT LUNS is the backend's own, not the LUN's), but those an
         * earlier ABORT/RESET holds already (tmf.h). */
        for (unsigned i = 0; i < o.nr_taken; i++) {
            const struct taken *u = &o.taken[i];
            if (u->seq < t->seq && u->first_tmf == t->seq &&
                u->raw.act == VSCSIIF_ACT_SCSI_CDB && u->raw.cmnd[0] != 0xa0 &&
                w_lun_at(u->raw.channel, u->raw.id, u->raw.lun) == q->addr)
                fail("RESET rqid %#x answered before rqid %#x on its LUN", t->raw.rqid,
                     u->raw.rqid);
        }
        return;
    }
    if (r->rslt == XEN_VSCSIIF_RSLT_RESET_SUCCESS) {
        if (!t->abort_satisfied && !o.weak)
            fail("ABORT rqid %#x of rqid %#x succeeded, but that command was not answered "
                 "ABORT", t->raw.rqid, q->victim);
    } else if (r->rslt == XEN_VSCSIIF_RSLT_RESET_FAILED) {
        if (t->victim_expected && !o.weak)
            fail("ABORT rqid %#x failed while rqid %#x was running", t->raw.rqid, q->victim);
    } else {
        fail("ABORT rqid %#x: rslt %#x", t->raw.rqid, (unsigned)r->rslt);
    }
}

/* A write to the file is over: the model knows its blocks again only when
 * it succeeded and no other write ran beside it. */
static void settle_write(const struct taken *t, const struct vscsiif_response *r)
{
    uint32_t first = 0, end = 0;
    if (!t->file_write_all && !(t->req.kind == K_WRITE && file_blocks(&t->req, &first, &end)))
        return;
    if (t->file_write_all)
        end = W_FILE_BLOCKS;
    bool good = !t->file_write_all && !t->conflicted && !o.weak && r->rslt == 0 &&
                r->residual_len == 0;
    static uint8_t data[32 * W_BLOCK];
    if (good)
        gather(&t->req, 0, t->req.data_len, data);
    for (uint32_t b = first; b < end; b++) {
        o.wpending[b]--;
        o.epoch[b]++;
        o.known[b] = good;
        if (good)
            memcpy(o.model + (size_t)b * W_BLOCK, data + (b - first) * W_BLOCK, W_BLOCK);
    }
}

static void answered(struct taken *t, const struct vscsiif_response *r)
{
    const struct o_req *q = &t->req;
    settle_write(t, r);
    if (r->sense_len > VSCSIIF_SENSE_BUFFERSIZE)
        fail("rqid %#x: sense_len %u", t->raw.rqid, r->sense_len);
    if (host_of(r->rslt) == XEN_VSCSIIF_RSLT_HOST_ABORT)
        for (unsigned i = 0; i < o.nr_taken; i++)
            if (o.taken[i].req.kind == K_ABORT && o.taken[i].req.victim == t->raw.rqid &&
                o.taken[i].seq > t->seq)
                o.taken[i].abort_satisfied = true;
    if (o.weak)
        return;
    switch (q->kind) {
    case K_RAW:
        /* Still: a command was only ended by an ABORT/RESET taken after it. */
        if (!t->tmf_seen && r->rslt == vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_RESET, 0))
            fail("rqid %#x answered RESET with no RESET taken after it", t->raw.rqid);
        return;
    case K_READ:
    case K_WRITE:
        answered_rw(t, r);
        return;
    case K_INQUIRY:
        answered_inquiry(t, r);
        return;
    case K_REPORT_LUNS:
        answered_report_luns(t, r);
        return;
    case K_TUR:
    case K_SYNC:
        expect_rslt(t, r, q->addr < W_NR_LUNS ? 0 : vscsi_rslt(XEN_VSCSIIF_RSLT_HOST_NO_CONNECT, 0),
                    q->kind == K_TUR ? "TEST UNIT READY" : "SYNCHRONIZE CACHE");
        return;
    case K_READ_CAP: {
        expect_rslt(t, r, 0, "READ CAPACITY");
        uint8_t got[8];
        gather(q, 0, 8, got);
        uint32_t last = (q->addr == W_LUN_FILE ? W_FILE_BLOCKS : W_NULL_BLOCKS) - 1;
        uint8_t want[8] = {last >> 24, (uint8_t)(last >> 16), (uint8_t)(last >> 8), (uint8_t)last,
                           0, 0, W_BLOCK >> 8, W_BLOCK & 0xff};
        if (r->rslt == 0 && !o.reads_unreliable && memcmp(got, want, 8) != 0)
            fail("READ CAPACITY rqid %#x: wrong capacity", t->raw.rqid);
        return;
    }
    case K_ABORT:
    case K_RESET:
        answered_tmf(t, r);
        return;
    }
}

static void response(const struct vscsiif_response *r)
{
    if (o.trace)
        fprintf(stderr, "turn %u: answer rqid %#x rslt %#x residual %u sense %u\n", o.turn,
                r->rqid, (unsigned)r->rslt, r->residual_len, r->sense_len);
    unsigned first = MAX_TAKEN, same = 0;
    for (unsigned i = 0; i < o.nr_taken; i++) {
        if (o.taken[i].raw.rqid == r->rqid) {
            if (first == MAX_TAKEN)
                first = i;
            same++;
        }
    }
    if (same == 0)
        fail("answer for rqid %#x, which no request in flight has", r->rqid);
    if (same > 1 && !o.weak) {
        /* Which of them is answered cannot be told: counts only. */
        o.weak = o.reads_unreliable = true;
        memset(o.known, 0, sizeof(o.known));
    }
    struct taken t = o.taken[first];
    memmove(&o.taken[first], &o.taken[first + 1], (o.nr_taken - first - 1) * sizeof(o.taken[0]));
    o.nr_taken--;
    answered(&t, r);
}

void oracle_reaped(unsigned n)
{
    if (n)
        o.reaped = true;
}

void oracle_responses(struct world *w)
{
    o.reaped = false;
    if (o.chaos || o.lossy)
        return;
    RING_IDX prod = __atomic_load_n(&w->sring->rsp_prod, __ATOMIC_ACQUIRE);
    if ((RING_IDX)(prod - o.rsp_cons) > o.nr_taken)
        fail("%u answers published, %u requests in flight", prod - o.rsp_cons, o.nr_taken);
    int ev = xensim_evtchn_pending(w->dom);
    if (prod != o.rsp_cons && ev < 0)
        fail("answers published without notifying the frontend");
    if (ev >= 0)
        (void)xensim_evtchn_unmask(w->dom, (uint32_t)ev);
    for (; o.rsp_cons != prod; o.rsp_cons++) {
        struct vscsiif_response r = w_ring_entry(w->sring, o.rsp_cons)->rsp;
        response(&r);
    }
    /* As a frontend before it sleeps: the next answer is to notify. */
    w->sring->rsp_event = prod + 1;
}

void oracle_end(struct world *w)
{
    struct ring_state *rs = w->rs;
    if (!o.chaos && !o.lossy && o.nr_taken)
        fail("%u requests taken and never answered (first rqid %#x)", o.nr_taken,
             o.taken[0].raw.rqid);
    if (rs->inflight || rs->nr_finishing || rs->copy_in.n || rs->copy_out.n)
        fail("backend not idle after the drain: inflight %u, finishing %u",
             (unsigned)rs->inflight, rs->nr_finishing);
    for (unsigned i = 0; i < VSCSI_RING_SIZE; i++)
        if (rs->slots[i].busy || rs->slots[i].data.mapped)
            fail("slot %u still busy or mapped after the drain", i);
    for (unsigned i = 0; i < rs->nr_luns; i++)
        if (rs->luns[i]->inflight)
            fail("LUN %u counts %u commands after the drain", i, rs->luns[i]->inflight);
    int maps = xensim_count_mappings(w->domid);
    if (maps != 1)
        fail("%d grant mappings after the drain (the ring page only expected)", maps);
    for (unsigned i = 0; i < W_POOL_A; i++)
        if (memcmp(world_page(w, w->a_gfn[i]), o.a_copy[i], PAGE) != 0)
            fail("read-only granted page A%u was written", i);
    for (unsigned i = 0; i < W_LIST; i++)
        if (memcmp(world_page(w, w->l_gfn[i]), o.l_copy[i], PAGE) != 0)
            fail("read-only granted list page %u was written", i);
    const uint8_t *u = world_page(w, w->ungranted_gfn);
    for (unsigned i = 0; i < PAGE; i++)
        if (u[i] != 0x5a)
            fail("a page never granted writable was written");
}

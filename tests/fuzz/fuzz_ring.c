/*
 * Fuzz target for the whole ring path: dispatch, both data paths (grant
 * copy and grant map), the file and null handlers' SCSI emulation on an
 * io_uring, REPORT LUNS, ABORT and RESET, over the hypervisor simulator
 * (ring_world.c). The input is a program a hostile guest runs against a
 * fresh ring: write well-formed requests (data in granted pages, direct or
 * indirect segments) or anything at all (grant refs from a table of
 * granted, read-only, ungranted, foreign and out-of-range refs), publish,
 * set req_prod to nonsense, rewrite slots after publishing them, change
 * grant entries and page contents; in between, the backend runs worker
 * loop turns (dispatch_ring, CQEs to the handlers, dispatch_flush) and the
 * guest reads and checks the answers (ring_oracle.c). Then everything is
 * drained and checked idle.
 *
 * Input: flags (bit 0 grant map; bits 1-3 all set: the ring page itself is
 * in the hostile ref table; bit 4: the ring is detached before the drain,
 * as worker.c's MSG_DETACH does, with answers if bit 5), the ring's start
 * index (4 bytes), then operations (see run()).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring_oracle.h"
#include "ring_world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 200
#define PAGE 4096u

static struct world world;

/* The guest's own state during one input. */
static struct {
    uint32_t req_prod_pvt;
    uint16_t next_rqid;
    unsigned b_used;          /* pool B pages handed to requests */
    uint32_t list_used;       /* bytes of the list pages handed out */
    uint8_t grants_changed;   /* scratch refs not in their initial mode */
} g;

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t rd8(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint16_t rd16(struct input *in)
{
    uint16_t lo = rd8(in);
    return (uint16_t)(lo | (uint16_t)rd8(in) << 8);
}

static uint32_t rd32(struct input *in)
{
    uint32_t lo = rd16(in);
    return lo | (uint32_t)rd16(in) << 16;
}

static void put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

/* A piece [off, off+len) of a page, len >= 1, shaped by two input bytes. */
static void shape(struct input *in, uint32_t min_len, uint32_t max_len, uint16_t *off,
                  uint16_t *len)
{
    uint32_t l = min_len + (uint32_t)rd8(in) * (max_len - min_len) / 255u;
    *len = (uint16_t)l;
    *off = (uint16_t)((uint32_t)rd8(in) * (PAGE - l) / 255u);
}

/* Lays out total bytes of data in pool 'A' or 'B' pages, direct or
 * indirect (the list in the list pages). false: no room left. */
static bool make_data(struct input *in, struct vscsiif_request *r, struct o_req *q,
                      uint32_t total, char pool)
{
    unsigned min = (total + PAGE - 1) / PAGE;
    unsigned n = min + rd8(in) % (W_MAX_SEGS - min + 1);
    if (n > total)
        n = total;
    if (pool == 'B' && g.b_used + n > W_POOL_B)
        return false;
    bool indirect = n > VSCSIIF_SG_TABLESIZE || (rd8(in) & 1);
    uint32_t list_bytes = n * (uint32_t)sizeof(struct scsiif_request_segment);
    uint32_t list_at = (g.list_used + 8u * (rd8(in) % 64u) + 7u) & ~7u;
    if (indirect && list_at + list_bytes > W_LIST * PAGE)
        return false;
    uint8_t a_base = rd8(in);
    uint32_t left = total;
    q->nsegs = n;
    q->data_len = total;
    for (unsigned i = 0; i < n; i++) {
        unsigned after = n - 1 - i;
        uint32_t lo = left > after * PAGE ? left - after * PAGE : 1;
        uint32_t hi = left - after < PAGE ? left - after : PAGE;
        struct o_seg *s = &q->segs[i];
        shape(in, lo, hi, &s->off, &s->len);
        left -= s->len;
        s->pool = (uint8_t)pool;
        s->page = pool == 'A' ? (uint8_t)((a_base + i) % W_POOL_A) : (uint8_t)g.b_used++;
        uint32_t ref = pool == 'A' ? world.a_ref[s->page] : world.b_ref[s->page];
        struct scsiif_request_segment seg = {.gref = ref, .offset = s->off, .length = s->len};
        if (!indirect) {
            r->seg[i] = seg;
        } else {
            uint32_t at = list_at + i * (uint32_t)sizeof(seg);
            memcpy(world_page(&world, world.l_gfn[at / PAGE]) + at % PAGE, &seg, sizeof(seg));
        }
    }
    if (!indirect) {
        r->nr_segments = (uint8_t)n;
        return true;
    }
    /* Descriptors of the list's pages, split where a page ends. */
    unsigned d = 0;
    for (uint32_t at = list_at, end = list_at + list_bytes; at < end; d++) {
        uint32_t chunk = PAGE - at % PAGE < end - at ? PAGE - at % PAGE : end - at;
        r->seg[d] = (struct scsiif_request_segment){
            .gref = world.l_ref[at / PAGE], .offset = (uint16_t)(at % PAGE),
            .length = (uint16_t)chunk};
        oracle_list_written(at / PAGE);
        at += chunk;
    }
    r->nr_segments = (uint8_t)(VSCSIIF_SG_GRANT | d);
    g.list_used = list_at + list_bytes;
    return true;
}

static void put_request(const struct vscsiif_request *r, const struct o_req *q)
{
    w_ring_entry(world.sring, g.req_prod_pvt)->req = *r;
    oracle_put(g.req_prod_pvt, q);
    g.req_prod_pvt++;
}

static void set_addr(struct vscsiif_request *r, struct o_req *q, unsigned addr)
{
    q->addr = (uint8_t)addr;
    r->channel = w_addrs[addr].channel;
    r->id = w_addrs[addr].target;
    r->lun = w_addrs[addr].lun;
}

/* A well-formed request whose answer the oracle knows. */
static void put_wellformed(struct input *in)
{
    struct vscsiif_request r;
    static struct o_req q;
    memset(&r, 0, sizeof(r));
    memset(&q, 0, sizeof(q));
    q.rqid = r.rqid = (uint16_t)(0x8000u | (g.next_rqid++ & 0x7fffu));
    r.act = VSCSIIF_ACT_SCSI_CDB;
    r.sc_data_direction = VSCSI_DIR_NONE;
    uint8_t sel = rd8(in);
    switch (sel % 13) {
    case 0: case 1: case 2:
    case 3: case 4: case 5: {
        q.kind = sel % 13 < 3 ? K_READ : K_WRITE;
        uint8_t which = rd8(in);
        set_addr(&r, &q, which % 4 ? W_LUN_FILE : W_LUN_NULL + which / 4 % 3);
        uint32_t cap = q.addr == W_LUN_FILE ? W_FILE_BLOCKS : W_NULL_BLOCKS;
        q.nblocks = 1 + rd8(in) % 32;
        q.lba = q.addr == W_LUN_FILE ? rd8(in) % W_FILE_BLOCKS : rd16(in) % W_NULL_BLOCKS;
        q.out_of_range = q.lba + q.nblocks > cap;
        bool sixteen = which & 0x80;
        r.cmnd[0] = q.kind == K_READ ? (sixteen ? 0x88 : 0x28) : (sixteen ? 0x8a : 0x2a);
        r.cmnd[1] = q.kind == K_WRITE && (which & 0x40) ? 0x08 : 0;   /* FUA */
        if (sixteen) {
            put_be(r.cmnd + 2, q.lba, 8);
            put_be(r.cmnd + 10, q.nblocks, 4);
            r.cmd_len = 16;
        } else {
            put_be(r.cmnd + 2, q.lba, 4);
            put_be(r.cmnd + 7, q.nblocks, 2);
            r.cmd_len = 10;
        }
        r.sc_data_direction = q.kind == K_READ ? VSCSI_DIR_FROM_DEVICE : VSCSI_DIR_TO_DEVICE;
        if (!make_data(in, &r, &q, q.nblocks * W_BLOCK, q.kind == K_READ ? 'B' : 'A'))
            return;
        break;
    }
    case 6:
    case 7: {
        q.kind = sel % 13 == 6 ? K_INQUIRY : K_REPORT_LUNS;
        set_addr(&r, &q, rd8(in) % W_NR_ADDRS);
        uint32_t buf = 1 + rd8(in) % 96;
        if (q.kind == K_INQUIRY) {
            q.alloc_len = rd8(in);
            r.cmnd[0] = 0x12;
            put_be(r.cmnd + 3, q.alloc_len, 2);
            r.cmd_len = 6;
        } else {
            q.alloc_len = rd16(in) % 300;
            r.cmnd[0] = 0xa0;
            put_be(r.cmnd + 6, q.alloc_len, 4);
            r.cmd_len = 12;
        }
        r.sc_data_direction = VSCSI_DIR_FROM_DEVICE;
        if (!make_data(in, &r, &q, buf, 'B'))
            return;
        break;
    }
    case 8:
        q.kind = K_TUR;
        set_addr(&r, &q, rd8(in) % W_NR_ADDRS);
        r.cmd_len = 6;
        break;
    case 9:
        q.kind = K_READ_CAP;
        set_addr(&r, &q, rd8(in) % 2 ? W_LUN_FILE : W_LUN_NULL);
        r.cmnd[0] = 0x25;
        r.cmd_len = 10;
        r.sc_data_direction = VSCSI_DIR_FROM_DEVICE;
        if (!make_data(in, &r, &q, 8, 'B'))
            return;
        break;
    case 10:
        q.kind = K_SYNC;
        set_addr(&r, &q, W_LUN_FILE);
        r.cmnd[0] = 0x35;
        r.cmd_len = 10;
        break;
    case 11:
        q.kind = K_ABORT;
        r.act = VSCSIIF_ACT_SCSI_ABORT;
        set_addr(&r, &q, W_LUN_FILE);
        /* Mostly a command in flight; else the latest one written. */
        q.victim = r.ref_rqid = oracle_inflight_rqid(rd8(in), (uint16_t)(q.rqid - 1));
        break;
    default:
        q.kind = K_RESET;
        r.act = VSCSIIF_ACT_SCSI_RESET;
        set_addr(&r, &q, rd8(in) % W_NR_ADDRS);
        break;
    }
    put_request(&r, &q);
}

/* Anything: fields from the input, grant refs from the hostile table. */
static void put_hostile(struct input *in)
{
    static const uint8_t opcodes[] = {0x28, 0x2a, 0x08, 0x0a, 0x88, 0x8a, 0xa8, 0xaa, 0x12,
                                      0xa0, 0x00, 0x25, 0x9e, 0x1a, 0x5a, 0x35, 0x91, 0x03,
                                      0x1b, 0x2f, 0x41, 0x93, 0x04, 0x55};
    struct vscsiif_request r;
    memset(&r, 0, sizeof(r));
    r.rqid = rd16(in) & 0x7fff;
    uint8_t act = rd8(in);
    r.act = act < 240 ? (uint8_t)(1 + act % 3) : act;
    uint8_t len = rd8(in);
    r.cmd_len = len < 200 ? (uint8_t)(1 + len % 16) : len;
    uint8_t op = rd8(in);
    r.cmnd[0] = op < 200 ? opcodes[op % sizeof(opcodes)] : op;
    for (unsigned i = 1; i < r.cmd_len && i < VSCSIIF_MAX_COMMAND_SIZE; i++)
        r.cmnd[i] = rd8(in);
    uint8_t addr = rd8(in);
    if (addr < 240) {
        r.channel = w_addrs[addr % W_NR_ADDRS].channel;
        r.id = w_addrs[addr % W_NR_ADDRS].target;
        r.lun = w_addrs[addr % W_NR_ADDRS].lun;
    } else {
        r.channel = rd16(in);
        r.id = rd16(in);
        r.lun = rd16(in);
    }
    r.ref_rqid = oracle_inflight_rqid(rd8(in), rd16(in));
    uint8_t dir = rd8(in);
    r.sc_data_direction = dir < 250 ? dir % 4 : dir;
    r.nr_segments = rd8(in);
    unsigned n = r.nr_segments & (unsigned)~VSCSIIF_SG_GRANT;
    for (unsigned i = 0; i < n && i < VSCSIIF_SG_TABLESIZE; i++) {
        uint8_t how = rd8(in);
        r.seg[i].gref = world.refs[how % W_NREFS];
        if (how < 0xe0) {
            shape(in, 1, PAGE, &r.seg[i].offset, &r.seg[i].length);
            if (r.nr_segments & VSCSIIF_SG_GRANT) {   /* whole entries */
                r.seg[i].offset &= (uint16_t)~7u;
                r.seg[i].length = (uint16_t)((r.seg[i].length & ~7u) ? r.seg[i].length & ~7u : 8u);
                if (r.seg[i].offset + r.seg[i].length > PAGE)
                    r.seg[i].offset = (uint16_t)(PAGE - r.seg[i].length);
            }
        } else {
            r.seg[i].offset = rd16(in);
            r.seg[i].length = rd16(in);
        }
    }
    put_request(&r, NULL);
}

/* Segment entries in a scratch page, for hostile indirect requests. */
static void write_segs(struct input *in)
{
    unsigned k = rd8(in) % W_SCRATCH, at = (rd8(in) % 512u) * 8u, n = 1 + rd8(in) % 16;
    uint8_t *page = world_page(&world, world.s_gfn[k]);
    for (unsigned i = 0; i < n && at + 8 <= PAGE; i++, at += 8) {
        struct scsiif_request_segment s = {.gref = world.refs[rd8(in) % W_NREFS]};
        shape(in, 1, PAGE, &s.offset, &s.length);
        memcpy(page + at, &s, sizeof(s));
    }
}

static void turn_end(void)
{
    world_flush(&world);
    oracle_responses(&world);
}

enum op { OP_PUT, OP_HOSTILE, OP_PUBLISH, OP_TURN, OP_REAP, OP_PROD, OP_REWRITE, OP_GRANT,
          OP_PAGE, OP_SEGS };
static const uint8_t op_table[] = {OP_PUT, OP_PUT, OP_PUT, OP_PUT, OP_HOSTILE, OP_HOSTILE,
                                   OP_PUBLISH, OP_PUBLISH, OP_TURN, OP_TURN, OP_TURN,
                                   OP_REAP, OP_REAP, OP_PROD, OP_REWRITE, OP_GRANT, OP_PAGE,
                                   OP_SEGS};

static void run(struct input *in)
{
    for (unsigned ops = 0; in->n && ops < MAX_OPS; ops++) {
        switch (op_table[rd8(in) % sizeof(op_table)]) {
        case OP_PUT:
            put_wellformed(in);
            break;
        case OP_HOSTILE:
            put_hostile(in);
            break;
        case OP_PUBLISH:
            __atomic_store_n(&world.sring->req_prod, g.req_prod_pvt, __ATOMIC_RELEASE);
            break;
        case OP_TURN: {
            /* A worker loop turn: CQEs and/or the ring, then the flush. */
            uint8_t f = rd8(in);
            if (f & 1)
                oracle_reaped(world_reap(&world, 1u + (f >> 4), false));
            oracle_dispatch(&world);
            if (f & 2)
                oracle_reaped(world_reap(&world, 1u + (f >> 4), false));
            turn_end();
            break;
        }
        case OP_REAP:
            oracle_reaped(world_reap(&world, 1u + rd8(in) % 8u, false));
            turn_end();
            break;
        case OP_PROD:
            __atomic_store_n(&world.sring->req_prod, g.req_prod_pvt + (uint32_t)(int8_t)rd8(in),
                             __ATOMIC_RELEASE);
            break;
        case OP_REWRITE: {
            unsigned slot = rd8(in) % VSCSI_RING_SIZE, off = rd8(in) % 252u, n = 1 + rd8(in) % 8;
            uint8_t *p = (uint8_t *)w_ring_entry(world.sring, slot);
            for (unsigned i = 0; i < n && off + i < 252; i++)
                p[off + i] = rd8(in);
            oracle_put(slot, NULL);
            break;
        }
        case OP_GRANT: {
            unsigned k = rd8(in) % W_SCRATCH;
            world_set_scratch_grant(&world, k, rd8(in) % 7u);
            g.grants_changed |= (uint8_t)(1u << k);
            break;
        }
        case OP_PAGE: {
            uint8_t *p = world_page(&world, world.s_gfn[rd8(in) % W_SCRATCH]);
            unsigned at = rd16(in) % PAGE, n = 1 + rd8(in) % 32;
            for (unsigned i = 0; i < n && at + i < PAGE; i++)
                p[at + i] = rd8(in);
            break;
        }
        case OP_SEGS:
            write_segs(in);
            break;
        }
    }
}

/* Whatever is published is taken; every command runs to its answer. A
 * detached ring takes nothing more and answers only if told to. */
static void drain(bool detach, bool answer)
{
    if (detach) {
        world.rs->detaching = true;
        world.rs->answer_on_detach = answer;
        oracle_detached(answer);
    }
    oracle_dispatch(&world);
    turn_end();
    for (unsigned i = 0; world.rs->inflight; i++) {
        if (i > 100000) {
            fprintf(stderr, "fuzz_ring: hang: %u commands never finish\n",
                    (unsigned)world.rs->inflight);
            abort();
        }
        oracle_reaped(world_reap(&world, ~0u, true));
        turn_end();
    }
}

/* The guest's pages as a fresh input expects them. */
static void reset_guest(void)
{
    for (unsigned i = 0; i < g.b_used; i++)
        memset(world_page(&world, world.b_gfn[i]), 0xee, PAGE);
    for (unsigned i = 0; i < W_SCRATCH; i++) {
        memset(world_page(&world, world.s_gfn[i]), 0, PAGE);
        if (g.grants_changed & (1u << i))
            world_set_scratch_grant(&world, i, 0);
    }
    for (unsigned i = 0; i < W_LIST && i * PAGE < g.list_used; i++)
        memset(world_page(&world, world.l_gfn[i]), 0, PAGE);
    memset(&g, 0, sizeof(g));
}

static void fini(void)
{
    world_fini(&world);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    world_init(&world);
    atexit(fini);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    uint8_t flags = rd8(&in);
    uint32_t start = rd32(&in);
    bool chaos = (flags & 0x0e) == 0x0e;
    reset_guest();
    world_connect(&world, start, flags & 1 ? DATAPATH_MAP : DATAPATH_COPY, chaos);
    g.req_prod_pvt = start;
    oracle_begin(&world, chaos);
    run(&in);
    drain(flags & 0x10, flags & 0x20);
    oracle_end(&world);
    world_disconnect(&world);
    return 0;
}

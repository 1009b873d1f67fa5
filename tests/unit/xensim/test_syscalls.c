/*
 * xensim: the syscalls each simulated call makes, counted with ptrace.
 *
 * The daemon links the simulator, so every syscall the simulator makes is
 * counted as the daemon's in the bench (issue #16). A child runs each call
 * many times between marker syscalls (close() of an impossible fd); this
 * process traces it and counts the syscalls inside the markers. The figures
 * are printed per call next to what the real library makes (xensim.h has
 * the table); the real-API calls must not make more than the real ones.
 */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "sim_fixture.h"

#define ITERS 100
#define MARK_BASE 0x7ff00000u    /* close(MARK_BASE + 2*phase [+1]): start [end] */
#define MAX_NR 512
#define MAX_PER_ITER 64

enum phase {
    P_NOTIFY, P_NOTIFY_MASKED, P_PENDING_EVENT, P_PENDING_EMPTY, P_UNMASK_IDLE,
    P_UNMASK_PENDING, P_COPY_1, P_COPY_8, P_MAP_1, P_UNMAP_1, P_MAP_8, P_UNMAP_8,
    P_MAP_8_SCATTERED, P_G_NOTIFY, P_G_PENDING_EVENT, P_G_PENDING_EMPTY, P_G_UNMASK,
    P_G_GRANT, P_G_END_ACCESS, P_COUNT
};

/* sim: what the simulator makes per call (exact, the usual case); real: what
 * the real library makes (-1: no real counterpart, the guest side). */
static const struct {
    const char *name;
    int sim, real;
    const char *real_what;
} phases[P_COUNT] = {
    [P_NOTIFY] = {"xenevtchn_notify (peer unmasked)", 1, 1, "ioctl"},
    [P_NOTIFY_MASKED] = {"xenevtchn_notify (peer masked)", 0, 1, "ioctl"},
    [P_PENDING_EVENT] = {"xenevtchn_pending (an event)", 1, 1, "read"},
    [P_PENDING_EMPTY] = {"xenevtchn_pending (none)", 1, 1, "read"},
    [P_UNMASK_IDLE] = {"xenevtchn_unmask (nothing pending)", 0, 1, "write"},
    [P_UNMASK_PENDING] = {"xenevtchn_unmask (pending)", 1, 1, "write"},
    [P_COPY_1] = {"xengnttab_grant_copy (1 segment)", 0, 1, "ioctl"},
    [P_COPY_8] = {"xengnttab_grant_copy (8 segments)", 0, 1, "ioctl"},
    [P_MAP_1] = {"xengnttab_map_domain_grant_refs (1 page)", 2, 2, "ioctl, mmap"},
    [P_UNMAP_1] = {"xengnttab_unmap (1 page)", 1, 3, "ioctl, munmap, ioctl"},
    [P_MAP_8] = {"xengnttab_map_domain_grant_refs (8 contiguous frames)", 2, 2, "ioctl, mmap"},
    [P_UNMAP_8] = {"xengnttab_unmap (8 pages)", 1, 3, "ioctl, munmap, ioctl"},
    [P_MAP_8_SCATTERED] = {"xengnttab_map_domain_grant_refs (8 scattered frames)", 10, 2,
                           "ioctl, mmap"},
    [P_G_NOTIFY] = {"guest: xensim_evtchn_notify", 1, -1, NULL},
    [P_G_PENDING_EVENT] = {"guest: xensim_evtchn_pending (an event)", 1, -1, NULL},
    [P_G_PENDING_EMPTY] = {"guest: xensim_evtchn_pending (none)", 1, -1, NULL},
    [P_G_UNMASK] = {"guest: xensim_evtchn_unmask (nothing pending)", 0, -1, NULL},
    [P_G_GRANT] = {"guest: xensim_grant_access", 0, -1, NULL},
    [P_G_END_ACCESS] = {"guest: xensim_end_access", 0, -1, NULL},
};

static void mark(enum phase p, bool end)
{
    syscall(SYS_close, (long)(MARK_BASE + 2u * p + (end ? 1u : 0u)));
}

#define MEASURE(p, stmt)    \
    do {                    \
        mark((p), false);   \
        stmt;               \
        mark((p), true);    \
    } while (0)

/* ---- the traced child: exits 0, or the line of the first wrong result ---- */
#define EXPECT(c)                \
    do {                         \
        if (!(c))                \
            _exit(__LINE__ % 250 + 1); \
    } while (0)

static void run_calls(void)
{
    struct xensim_domain *d = xensim_domain_create(1, 64);
    EXPECT(d);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    EXPECT(xce && xgt);
    int gp = xensim_evtchn_alloc_unbound(d, 0);
    EXPECT(gp > 0);
    int lp = xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gp);
    EXPECT(lp > 0);
    EXPECT(xenevtchn_pending(xce) == lp);        /* the bind-time event */
    EXPECT(xenevtchn_unmask(xce, (evtchn_port_t)lp) == 0);

    /* 16 pages at gfn 0..15 (contiguous), granted to dom0 */
    uint32_t refs[16];
    for (unsigned i = 0; i < 16; i++) {
        int64_t gfn = xensim_alloc_page(d);
        EXPECT(gfn == (int64_t)i);
        sim_fill(xensim_page(d, (uint32_t)gfn), i);
        int64_t ref = xensim_grant_access(d, 0, (uint32_t)gfn, false);
        EXPECT(ref > 0);
        refs[i] = (uint32_t)ref;
    }
    uint32_t scattered[8];
    for (unsigned i = 0; i < 8; i++)
        scattered[i] = refs[2 * i];

    for (int i = 0; i < ITERS; i++) {           /* backend -> guest */
        int r;
        MEASURE(P_NOTIFY, r = xenevtchn_notify(xce, (evtchn_port_t)lp));
        EXPECT(r == 0);
        EXPECT(xensim_evtchn_pending(d) == gp);
        EXPECT(xensim_evtchn_unmask(d, (uint32_t)gp) == 0);
    }
    EXPECT(xenevtchn_notify(xce, (evtchn_port_t)lp) == 0);
    EXPECT(xensim_evtchn_pending(d) == gp);     /* guest's port now masked */
    for (int i = 0; i < ITERS; i++) {
        int r;
        MEASURE(P_NOTIFY_MASKED, r = xenevtchn_notify(xce, (evtchn_port_t)lp));
        EXPECT(r == 0);
    }
    EXPECT(xensim_evtchn_unmask(d, (uint32_t)gp) == 0);
    EXPECT(xensim_evtchn_pending(d) == gp);     /* once for all of them */
    EXPECT(xensim_evtchn_unmask(d, (uint32_t)gp) == 0);

    for (int i = 0; i < ITERS; i++) {           /* guest -> backend */
        int r;
        MEASURE(P_G_NOTIFY, r = xensim_evtchn_notify(d, (uint32_t)gp));
        EXPECT(r == 0);
        MEASURE(P_PENDING_EVENT, r = xenevtchn_pending(xce));
        EXPECT(r == lp);
        int e = 0;
        MEASURE(P_PENDING_EMPTY, r = xenevtchn_pending(xce); e = errno);  /* mark() sets errno */
        EXPECT(r == -1 && e == EAGAIN);
        EXPECT(xenevtchn_unmask(xce, (evtchn_port_t)lp) == 0);
        MEASURE(P_UNMASK_IDLE, r = xenevtchn_unmask(xce, (evtchn_port_t)lp));
        EXPECT(r == 0);
    }
    for (int i = 0; i < ITERS; i++) {
        int r;
        EXPECT(xensim_evtchn_notify(d, (uint32_t)gp) == 0);
        EXPECT(xenevtchn_pending(xce) == lp);   /* masked now */
        EXPECT(xensim_evtchn_notify(d, (uint32_t)gp) == 0);  /* pending */
        MEASURE(P_UNMASK_PENDING, r = xenevtchn_unmask(xce, (evtchn_port_t)lp));
        EXPECT(r == 0);
        EXPECT(xenevtchn_pending(xce) == lp);   /* delivered by the unmask */
        EXPECT(xenevtchn_unmask(xce, (evtchn_port_t)lp) == 0);
    }
    for (int i = 0; i < ITERS; i++) {           /* the guest's own port */
        int r;
        EXPECT(xenevtchn_notify(xce, (evtchn_port_t)lp) == 0);
        MEASURE(P_G_PENDING_EVENT, r = xensim_evtchn_pending(d));
        EXPECT(r == gp);
        MEASURE(P_G_PENDING_EMPTY, r = xensim_evtchn_pending(d));
        EXPECT(r == -EAGAIN);
        EXPECT(xensim_evtchn_unmask(d, (uint32_t)gp) == 0);
        MEASURE(P_G_UNMASK, r = xensim_evtchn_unmask(d, (uint32_t)gp));
        EXPECT(r == 0);
    }

    static unsigned char buf[8][XENSIM_PAGE_SIZE];
    xengnttab_grant_copy_segment_t seg[8];
    for (int i = 0; i < ITERS; i++) {
        for (unsigned s = 0; s < 8; s++)
            seg[s] = (xengnttab_grant_copy_segment_t){
                .source.foreign = {.ref = refs[s], .offset = 0, .domid = 1},
                .dest.virt = buf[s], .len = XENSIM_PAGE_SIZE,
                .flags = GNTCOPY_source_gref};
        int r;
        MEASURE(P_COPY_1, r = xengnttab_grant_copy(xgt, 1, seg));
        EXPECT(r == 0 && seg[0].status == GNTST_okay);
        MEASURE(P_COPY_8, r = xengnttab_grant_copy(xgt, 8, seg));
        EXPECT(r == 0);
        for (unsigned s = 0; s < 8; s++)
            EXPECT(seg[s].status == GNTST_okay &&
                   memcmp(buf[s], xensim_page(d, s), XENSIM_PAGE_SIZE) == 0);
    }

    for (int i = 0; i < ITERS; i++) {
        unsigned char *m;
        int r;
        MEASURE(P_MAP_1, m = xengnttab_map_domain_grant_refs(xgt, 1, 1, refs, PROT_READ | PROT_WRITE));
        EXPECT(m && memcmp(m, xensim_page(d, 0), XENSIM_PAGE_SIZE) == 0);
        MEASURE(P_UNMAP_1, r = xengnttab_unmap(xgt, m, 1));
        EXPECT(r == 0);
        MEASURE(P_MAP_8, m = xengnttab_map_domain_grant_refs(xgt, 8, 1, refs, PROT_READ | PROT_WRITE));
        EXPECT(m && memcmp(m + 7 * XENSIM_PAGE_SIZE, xensim_page(d, 7), XENSIM_PAGE_SIZE) == 0);
        MEASURE(P_UNMAP_8, r = xengnttab_unmap(xgt, m, 8));
        EXPECT(r == 0);
        MEASURE(P_MAP_8_SCATTERED,
                m = xengnttab_map_domain_grant_refs(xgt, 8, 1, scattered, PROT_READ));
        EXPECT(m && memcmp(m + 7 * XENSIM_PAGE_SIZE, xensim_page(d, 14), XENSIM_PAGE_SIZE) == 0);
        EXPECT(xengnttab_unmap(xgt, m, 8) == 0);
    }

    int64_t gfn = xensim_alloc_page(d);
    EXPECT(gfn >= 0);
    for (int i = 0; i < ITERS; i++) {
        int64_t ref;
        int r;
        MEASURE(P_G_GRANT, ref = xensim_grant_access(d, 0, (uint32_t)gfn, false));
        EXPECT(ref > 0);
        MEASURE(P_G_END_ACCESS, r = xensim_end_access(d, (uint32_t)ref));
        EXPECT(r == 0);
    }
    EXPECT(xengnttab_close(xgt) == 0);
    EXPECT(xenevtchn_close(xce) == 0);
    xensim_domain_destroy(d);
}

/* ---- the tracer ---- */
struct counts {
    int iters;
    long total;
    long per_nr[MAX_NR];
    int hist[MAX_PER_ITER + 1];  /* iterations by their syscall count */
};

static struct counts counts[P_COUNT];

static const char *nr_name(long nr)
{
    switch (nr) {
    case SYS_read: return "read";
    case SYS_write: return "write";
    case SYS_ioctl: return "ioctl";
    case SYS_sendto: return "sendto";
    case SYS_recvfrom: return "recvfrom";
    case SYS_flock: return "flock";
    case SYS_getpid: return "getpid";
    case SYS_mmap: return "mmap";
    case SYS_munmap: return "munmap";
    case SYS_madvise: return "madvise";
    case SYS_futex: return "futex";
    case SYS_openat: return "openat";
    case SYS_close: return "close";
    case SYS_fstat: return "fstat";
    default: return "other";
    }
}

/* Traces pid to its exit; 0, or -1 when tracing failed. *status: its exit. */
static int trace(pid_t pid, int *status)
{
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
        return -1;
    if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) < 0)
        return -1;
    int phase = -1, in_iter = 0;
    int sig = 0;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, 0, sig) < 0)
            return -1;
        sig = 0;
        if (waitpid(pid, &st, 0) != pid)
            return -1;
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            *status = st;
            return 0;
        }
        if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
            sig = WSTOPSIG(st);
            continue;
        }
        struct __ptrace_syscall_info info;
        if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) <= 0)
            return -1;
        if (info.op != PTRACE_SYSCALL_INFO_ENTRY)
            continue;
        long nr = (long)info.entry.nr;
        unsigned long a0 = (unsigned long)info.entry.args[0];
        if (nr == SYS_close && a0 >= MARK_BASE && a0 < MARK_BASE + 2u * P_COUNT) {
            unsigned m = (unsigned)(a0 - MARK_BASE);
            if (m % 2 == 0) {
                phase = (int)(m / 2);
                in_iter = 0;
            } else if (phase >= 0) {
                counts[phase].iters++;
                counts[phase].hist[in_iter < MAX_PER_ITER ? in_iter : MAX_PER_ITER]++;
                phase = -1;
            }
            continue;
        }
        if (phase < 0)
            continue;
        in_iter++;
        counts[phase].total++;
        counts[phase].per_nr[nr >= 0 && nr < MAX_NR ? nr : 0]++;
    }
}

static int mode_of(const struct counts *c)
{
    int best = 0;
    for (int i = 1; i <= MAX_PER_ITER; i++)
        if (c->hist[i] > c->hist[best])
            best = i;
    return best;
}

SIM_TEST(syscalls_per_simulated_call)
{
    memset(counts, 0, sizeof(counts));
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
            _exit(254);
        raise(SIGSTOP);
        run_calls();
        _exit(0);    /* no atexit: LeakSanitizer does not run under ptrace */
    }
    int status = 0;
    if (trace(pid, &status) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        TAP_SKIP("ptrace is not permitted here (PTRACE_TRACEME / PTRACE_SYSCALL failed)");
    }
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 254)
        TAP_SKIP("ptrace is not permitted here (PTRACE_TRACEME failed)");
    CHECK_INT_EQ(WEXITSTATUS(status), 0);  /* else: line % 250 + 1 of the wrong result */

    for (int p = 0; p < P_COUNT; p++) {
        const struct counts *c = &counts[p];
        char what[256] = "";
        size_t off = 0;
        for (long nr = 0; nr < MAX_NR; nr++) {
            if (!c->per_nr[nr] || off >= sizeof(what))
                continue;
            int n = snprintf(what + off, sizeof(what) - off, "%s%s(%ld) %.2f", off ? ", " : "",
                             nr_name(nr), nr, c->iters ? (double)c->per_nr[nr] / c->iters : 0.0);
            off += n > 0 ? (size_t)n : 0;
        }
        int mode = mode_of(c);
        if (phases[p].real >= 0)
            TAP_DIAG("%-56s sim %d (mean %.2f: %s)  real %d (%s)", phases[p].name, mode,
                     c->iters ? (double)c->total / c->iters : 0.0, off ? what : "none",
                     phases[p].real, phases[p].real_what);
        else
            TAP_DIAG("%-56s sim %d (mean %.2f: %s)", phases[p].name, mode,
                     c->iters ? (double)c->total / c->iters : 0.0, off ? what : "none");
        CHECK_INT_EQ(c->iters, ITERS);
        /* The usual cost is exact; a sanitizer's own mmap may add to a rare
         * iteration, so the most frequent count is what is compared. */
        CHECK_INT_EQ(mode, phases[p].sim);
        if (phases[p].real >= 0 && p != P_MAP_8_SCATTERED)
            CHECK(mode <= phases[p].real);
    }
}

TAP_MAIN(syscalls_per_simulated_call)

/*
 * xensim: what dies with a process (lease.c). A backend process binds a
 * guest's event channel and maps its grants (the ring page among them),
 * then dies: SIGKILL, exit without closing anything, or killed after the
 * thread that did it all has exited. As on Xen + Linux, its ports are
 * closed (the guest's end is unbound, offered to dom0 again), its mappings
 * are gone (counts 0, GTF_reading/GTF_writing clear), and a new process
 * binds and maps the same again.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared.h"
#include "sim_fixture.h"

#define GUEST 1
#define RING_GFN 0
#define DATA_GFN 1
#define RING_MARK 0xB7   /* the backend writes it through its mapping */
#define RW (PROT_READ | PROT_WRITE)

/* The guest: a ring page and a data page granted to dom0, an unbound port. */
struct world {
    struct xensim_domain *d;
    uint32_t ring_ref, data_ref;
    int gp;
};

static bool world_make(struct world *w)
{
    w->d = xensim_domain_create(GUEST, 8);
    if (!w->d || xensim_alloc_page(w->d) != RING_GFN || xensim_alloc_page(w->d) != DATA_GFN)
        return false;
    sim_fill(xensim_page(w->d, RING_GFN), 4);
    sim_fill(xensim_page(w->d, DATA_GFN), 5);
    int64_t ring = xensim_grant_access(w->d, 0, RING_GFN, false);
    int64_t data = xensim_grant_access(w->d, 0, DATA_GFN, false);
    w->gp = xensim_evtchn_alloc_unbound(w->d, 0);
    w->ring_ref = (uint32_t)ring;
    w->data_ref = (uint32_t)data;
    return ring > 0 && data > 0 && w->gp > 0;
}

/* ---- the backend process (static: still reachable when it exits) ---- */
static struct {
    xenevtchn_handle *xce;
    xengnttab_handle *xgt;
    unsigned char *ring, *data;
    int lp;
    const struct world *w;
} bk;

/* Opens the handles, binds the guest's port, maps both grants. 0 or a
 * distinct failure code. */
static int backend_connect(const struct world *w)
{
    bk.xce = xenevtchn_open(NULL, 0);
    bk.xgt = xengnttab_open(NULL, 0);
    if (!bk.xce || !bk.xgt)
        return 20;
    bk.lp = xenevtchn_bind_interdomain(bk.xce, GUEST, (evtchn_port_t)w->gp);
    if (bk.lp <= 0)
        return 21;
    if (!sim_readable(xenevtchn_fd(bk.xce), 5000) || xenevtchn_pending(bk.xce) != bk.lp ||
        xenevtchn_unmask(bk.xce, (evtchn_port_t)bk.lp) != 0)
        return 22;
    bk.ring = xengnttab_map_grant_ref(bk.xgt, GUEST, w->ring_ref, RW);
    bk.data = xengnttab_map_grant_ref(bk.xgt, GUEST, w->data_ref, RW);
    if (!bk.ring || !bk.data)
        return 23;
    unsigned char want[XENSIM_PAGE_SIZE];
    sim_fill(want, 5);
    if (memcmp(bk.data, want, sizeof(want)) != 0)
        return 24;
    bk.ring[0] = RING_MARK;
    return 0;
}

static void *connect_thread(void *arg)
{
    return (void *)(intptr_t)backend_connect(arg);
}

enum death { DIE_SIGKILL, DIE_EXIT, DIE_THREAD_SIGKILL };

struct backend_args {
    const struct world *w;
    enum death how;
};

/* Child: connects, writes its local port to `up`, then dies as told. */
static int backend_main(void *arg, int up, int down)
{
    const struct world *w = ((const struct backend_args *)arg)->w;
    enum death how = ((const struct backend_args *)arg)->how;
    int rc;
    if (how == DIE_THREAD_SIGKILL) {
        /* Another thread does everything and exits; the process lives on
         * with the handles, as a process's fds outlive its threads. */
        pthread_t t;
        void *ret = NULL;
        if (pthread_create(&t, NULL, connect_thread, (void *)w) != 0 || pthread_join(t, &ret) != 0)
            _exit(30);
        rc = (int)(intptr_t)ret;
    } else {
        rc = backend_connect(w);
    }
    int msg[2] = {rc, bk.lp};
    if (write(up, msg, sizeof(msg)) != sizeof(msg) || rc)
        _exit(31);
    if (how == DIE_THREAD_SIGKILL) {
        /* The handle the thread left still receives the guest's events. */
        int got = sim_readable(xenevtchn_fd(bk.xce), 5000) ? xenevtchn_pending(bk.xce) : -1;
        if (write(up, &got, sizeof(got)) != sizeof(got))
            _exit(32);
    }
    char c;
    if (read(down, &c, 1) != 1)   /* blocks until killed or told */
        _exit(33);
    exit(0);                      /* DIE_EXIT: a clean exit, nothing closed */
}

/* Forks a backend that connects and dies as told (backend_main). */
static bool backend_spawn(const struct world *w, enum death how, struct sim_child *c)
{
    struct backend_args a = {.w = w, .how = how};
    return sim_fork(c, backend_main, &a);
}

/* The guest and a backend connected to it that waits to be killed; what
 * it sent ({0, its local port} when it connected) in msg. */
static bool world_with_backend(struct world *w, struct sim_child *c, int msg[2])
{
    msg[0] = msg[1] = -1;
    return world_make(w) && backend_spawn(w, DIE_SIGKILL, c) &&
           sim_read_msg(c->up, msg, 2 * sizeof(int));
}

/* Closes our pipe ends and frees the guest. */
static void child_done(struct sim_child *c, struct world *w)
{
    sim_child_close(c);
    xensim_domain_destroy(w->d);
}

static void check_status(uint16_t domid, uint32_t port, int state, uint16_t rdom, uint32_t rport)
{
    struct xensim_evtchn_status st = {.state = -1};
    CHECK_INT_EQ(xensim_evtchn_status(domid, port, &st), 0);
    CHECK_INT_EQ(st.state, state);
    CHECK_INT_EQ(st.remote_dom, rdom);
    CHECK_INT_EQ(st.remote_port, rport);
}

/* While the backend lives: connected and mapped. */
static void check_connected(const struct world *w, int lp)
{
    check_status(GUEST, (uint32_t)w->gp, XENSIM_EVTCHN_INTERDOMAIN, 0, (uint32_t)lp);
    check_status(0, (uint32_t)lp, XENSIM_EVTCHN_INTERDOMAIN, GUEST, (uint32_t)w->gp);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);
    CHECK_INT_EQ(xensim_count_grant_mappings(GUEST, w->ring_ref), 1);
    CHECK_INT_EQ(xensim_count_grant_mappings(GUEST, w->data_ref), 1);
    CHECK_INT_EQ(xensim_count_mappings(GUEST), 2);
    CHECK_INT_EQ(xensim_grant_flags(w->d, w->ring_ref),
                 GTF_permit_access | GTF_reading | GTF_writing);
    CHECK_INT_EQ(xensim_end_access(w->d, w->data_ref), -EBUSY);
    CHECK_INT_EQ(((unsigned char *)xensim_page(w->d, RING_GFN))[0], RING_MARK);
}

/* After the backend died: what Xen and Linux leave, then a new backend. */
static void check_released_and_rebind(const struct world *w, int lp)
{
    /* The guest notifies before anyone looked: dropped, no error. */
    CHECK_INT_EQ(xensim_evtchn_notify(w->d, (uint32_t)w->gp), 0);
    CHECK_INT_EQ(xensim_evtchn_notify(w->d, (uint32_t)w->gp), 0);
    check_status(0, (uint32_t)lp, XENSIM_EVTCHN_CLOSED, 0, 0);
    check_status(GUEST, (uint32_t)w->gp, XENSIM_EVTCHN_UNBOUND, 0, 0);
    CHECK_INT_EQ(xensim_evtchn_notify(w->d, (uint32_t)w->gp), 0);   /* unbound: dropped */
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(GUEST), 1);
    CHECK_INT_EQ(xensim_count_grant_mappings(GUEST, w->ring_ref), 0);
    CHECK_INT_EQ(xensim_count_grant_mappings(GUEST, w->data_ref), 0);
    CHECK_INT_EQ(xensim_count_mappings(GUEST), 0);
    CHECK_INT_EQ(xensim_grant_flags(w->d, w->ring_ref), GTF_permit_access);
    CHECK_INT_EQ(xensim_grant_flags(w->d, w->data_ref), GTF_permit_access);
    CHECK_INT_EQ(xensim_end_access(w->d, w->data_ref), 0);
    CHECK_INT_EQ(xensim_grant_flags(w->d, w->data_ref), 0);

    /* A new backend: binds the same guest port and gets the dead one's
     * local port back (Xen hands out the lowest free port). */
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    REQUIRE(xce && xgt);
    int lp2 = xenevtchn_bind_interdomain(xce, GUEST, (evtchn_port_t)w->gp);
    CHECK_INT_EQ(lp2, lp);
    check_status(GUEST, (uint32_t)w->gp, XENSIM_EVTCHN_INTERDOMAIN, 0, (uint32_t)lp2);
    /* One event, the one Xen raises at bind time for what was lost. */
    sim_check_one_event(xce, lp2);
    CHECK_INT_EQ(xensim_evtchn_notify(w->d, (uint32_t)w->gp), 0);
    CHECK(sim_readable(xenevtchn_fd(xce), 5000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp2);
    CHECK_INT_EQ(xenevtchn_unmask(xce, (evtchn_port_t)lp2), 0);
    while (xensim_evtchn_pending(w->d) > 0)   /* what the guest had queued */
        CHECK_INT_EQ(xensim_evtchn_unmask(w->d, (uint32_t)w->gp), 0);
    CHECK_INT_EQ(xenevtchn_notify(xce, (evtchn_port_t)lp2), 0);
    CHECK(sim_readable(xensim_evtchn_fd(w->d), 5000));
    CHECK_INT_EQ(xensim_evtchn_pending(w->d), w->gp);
    CHECK_INT_EQ(xensim_evtchn_unmask(w->d, (uint32_t)w->gp), 0);

    /* The same ring page again, with what the dead backend wrote. */
    unsigned char *ring = xengnttab_map_grant_ref(xgt, GUEST, w->ring_ref, RW);
    REQUIRE(ring);
    unsigned char want[XENSIM_PAGE_SIZE];
    sim_fill(want, 4);
    want[0] = RING_MARK;
    CHECK_MEM_EQ(ring, want, sizeof(want));
    CHECK_INT_EQ(xensim_count_grant_mappings(GUEST, w->ring_ref), 1);
    CHECK_INT_EQ(xensim_grant_flags(w->d, w->ring_ref),
                 GTF_permit_access | GTF_reading | GTF_writing);
    CHECK_INT_EQ(xengnttab_unmap(xgt, ring, 1), 0);
    CHECK_INT_EQ(xensim_count_grant_mappings(GUEST, w->ring_ref), 0);
    CHECK_INT_EQ(xensim_end_access(w->d, w->ring_ref), 0);
    CHECK_INT_EQ(xengnttab_close(xgt), 0);
    CHECK_INT_EQ(xenevtchn_close(xce), 0);
    check_status(GUEST, (uint32_t)w->gp, XENSIM_EVTCHN_UNBOUND, 0, 0);
}

static void backend_dies(enum death how)
{
    struct world w;
    REQUIRE(world_make(&w));
    struct sim_child c;
    REQUIRE(backend_spawn(&w, how, &c));
    int msg[2] = {-1, -1};
    if (!sim_read_msg(c.up, msg, sizeof(msg)) || msg[0] != 0) {
        CHECK_INT_EQ(msg[0], 0);   /* the backend failed to connect */
        kill(c.pid, SIGKILL);
        waitpid(c.pid, NULL, 0);
        child_done(&c, &w);
        return;
    }
    int lp = msg[1];
    CHECK_INT_EQ(lp, 1);   /* the first port of dom0 */
    if (how == DIE_THREAD_SIGKILL) {
        /* The connecting thread is gone; the handle lives with the process. */
        CHECK_INT_EQ(xensim_evtchn_notify(w.d, (uint32_t)w.gp), 0);
        int got = -1;
        CHECK(sim_read_msg(c.up, &got, sizeof(got)));
        CHECK_INT_EQ(got, lp);
    }
    check_connected(&w, lp);

    int status = -1;
    if (how == DIE_EXIT)
        CHECK_INT_EQ(write(c.down, "x", 1), 1);
    else
        CHECK_INT_EQ(kill(c.pid, SIGKILL), 0);
    CHECK_INT_EQ(waitpid(c.pid, &status, 0), c.pid);
    if (how == DIE_EXIT) {
        CHECK(WIFEXITED(status));
        CHECK_INT_EQ(WEXITSTATUS(status), 0);
    } else {
        CHECK(WIFSIGNALED(status));
        CHECK_INT_EQ(WTERMSIG(status), SIGKILL);
    }
    check_released_and_rebind(&w, lp);
    child_done(&c, &w);
}

SIM_TEST(sigkilled_backend_releases_ports_and_mappings)
{
    backend_dies(DIE_SIGKILL);
}

SIM_TEST(backend_exiting_without_close_releases_them)
{
    backend_dies(DIE_EXIT);
}

SIM_TEST(thread_of_killed_process_released_at_process_death)
{
    backend_dies(DIE_THREAD_SIGKILL);
}

/* Whatever looks first after the death sees what Xen would show: each
 * observing call reaps on its own (lease.c), with no other call before. */
enum observer {
    O_END_ACCESS, O_GRANT_FLAGS, O_GRANT_MAPPINGS, O_MAPPINGS, O_BOUND_PORTS, O_GUEST_STATUS,
    O_OWN_STATUS, O_BIND_INTERDOMAIN, O_BIND_UNBOUND, O_COUNT
};

static void observe_first(const struct world *w, enum observer o, int lp)
{
    struct xensim_evtchn_status st = {.state = -1};
    xenevtchn_handle *xce = NULL;
    switch (o) {
    case O_END_ACCESS:
        CHECK_INT_EQ(xensim_end_access(w->d, w->data_ref), 0);
        break;
    case O_GRANT_FLAGS:
        CHECK_INT_EQ(xensim_grant_flags(w->d, w->ring_ref), GTF_permit_access);
        break;
    case O_GRANT_MAPPINGS:
        CHECK_INT_EQ(xensim_count_grant_mappings(GUEST, w->ring_ref), 0);
        break;
    case O_MAPPINGS:
        CHECK_INT_EQ(xensim_count_mappings(GUEST), 0);
        break;
    case O_BOUND_PORTS:
        CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
        break;
    case O_GUEST_STATUS:
        CHECK_INT_EQ(xensim_evtchn_status(GUEST, (uint32_t)w->gp, &st), 0);
        CHECK_INT_EQ(st.state, XENSIM_EVTCHN_UNBOUND);
        CHECK_INT_EQ(st.remote_dom, 0);
        break;
    case O_OWN_STATUS:
        CHECK_INT_EQ(xensim_evtchn_status(0, (uint32_t)lp, &st), 0);
        CHECK_INT_EQ(st.state, XENSIM_EVTCHN_CLOSED);
        break;
    case O_BIND_INTERDOMAIN:
        xce = xenevtchn_open(NULL, 0);
        CHECK_INT_EQ(xenevtchn_bind_interdomain(xce, GUEST, (evtchn_port_t)w->gp), lp);
        break;
    case O_BIND_UNBOUND:   /* the dead port was freed: the lowest again */
        xce = xenevtchn_open(NULL, 0);
        CHECK_INT_EQ(xenevtchn_bind_unbound_port(xce, GUEST), lp);
        break;
    case O_COUNT:
        break;
    }
    if (xce)
        CHECK_INT_EQ(xenevtchn_close(xce), 0);
}

SIM_TEST(first_observation_after_death_sees_it)
{
    for (int o = 0; o < O_COUNT; o++) {
        struct world w;
        struct sim_child c;
        int msg[2];
        REQUIRE(world_with_backend(&w, &c, msg));
        CHECK_INT_EQ(msg[0], 0);
        CHECK_INT_EQ(msg[1], 1);
        int status = -1;
        CHECK_INT_EQ(kill(c.pid, SIGKILL), 0);
        CHECK_INT_EQ(waitpid(c.pid, &status, 0), c.pid);
        observe_first(&w, (enum observer)o, msg[1]);
        child_done(&c, &w);
        CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    }
}

/* A backend killed after masking the guest's port for an event but before
 * sending it (notify sends after dropping the lock) must not leave that
 * port masked with nothing queued: Xen's send is atomic. The state is made
 * by hand here, as the kill would leave it. */
SIM_TEST(killed_between_masking_and_sending)
{
    struct world w;
    struct sim_child c;
    int msg[2];
    REQUIRE(world_with_backend(&w, &c, msg));
    CHECK_INT_EQ(msg[0], 0);
    int lp = msg[1];
    REQUIRE(xs_lock() == 0);
    struct xs_evt_file *dom0 = xs_evt_get(0, false);
    if (dom0 && lp > 0) {
        w.d->evt->ports[w.gp].masked = 1;     /* raise_event done ... */
        dom0->ports[lp].sending = 1;           /* ... the sendto not */
    }
    xs_evt_put(dom0);
    xs_unlock();
    CHECK_INT_EQ(kill(c.pid, SIGKILL), 0);
    CHECK_INT_EQ(waitpid(c.pid, NULL, 0), c.pid);

    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    REQUIRE(xce);
    int lp2 = xenevtchn_bind_interdomain(xce, GUEST, (evtchn_port_t)w.gp);
    CHECK_INT_EQ(lp2, lp);
    CHECK_INT_EQ(xenevtchn_notify(xce, (evtchn_port_t)lp2), 0);
    CHECK(sim_readable(xensim_evtchn_fd(w.d), 5000));
    CHECK_INT_EQ(xensim_evtchn_pending(w.d), w.gp);
    CHECK_INT_EQ(xensim_evtchn_pending(w.d), -EAGAIN);
    CHECK_INT_EQ(xenevtchn_close(xce), 0);
    child_done(&c, &w);
}

/* P connects and forks C, which shares P's event channel fd but not P's
 * mappings (gntdev's are VM_DONTCOPY). P dies: its mappings go, the
 * channel stays bound while C has the fd; C exits: the channel is closed. */
SIM_TEST(forked_child_shares_channels_not_mappings)
{
    struct world w;
    REQUIRE(world_make(&w));
    REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);   /* C comes back to us */
    int up[2], cup[2], down[2];   /* P -> us, C -> us, us -> C */
    REQUIRE(pipe(up) == 0 && pipe(cup) == 0 && pipe(down) == 0);
    fflush(stdout);
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        close(up[0]);
        close(cup[0]);
        close(down[1]);
        int rc = backend_connect(&w);
        pid_t c = rc ? -1 : fork();
        if (c == 0) {
            /* C: P's mapping is not in this process: gntdev says EINVAL. */
            errno = 0;
            int r = xengnttab_unmap(bk.xgt, bk.ring, 1);
            int msg[2] = {r, errno};
            char x;
            if (write(cup[1], msg, sizeof(msg)) != sizeof(msg) || read(down[0], &x, 1) != 1)
                _exit(40);
            _exit(0);
        }
        int msg[3] = {rc, bk.lp, (int)c};
        if (write(up[1], msg, sizeof(msg)) != sizeof(msg))
            _exit(41);
        for (;;)
            pause();   /* until killed */
    }
    close(up[1]);
    close(cup[1]);
    close(down[0]);
    int pmsg[3] = {-1, -1, -1}, cmsg[2] = {0, 0};
    bool ok = sim_read_msg(up[0], pmsg, sizeof(pmsg)) && pmsg[0] == 0 && pmsg[2] > 0 &&
              sim_read_msg(cup[0], cmsg, sizeof(cmsg));
    if (!ok) {
        CHECK(ok);   /* P or C failed */
        if (pmsg[2] > 0)
            kill(pmsg[2], SIGKILL);
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        prctl(PR_SET_CHILD_SUBREAPER, 0);
        xensim_domain_destroy(w.d);
        return;
    }
    CHECK_INT_EQ(cmsg[0], -1);
    CHECK_INT_EQ(cmsg[1], EINVAL);
    int lp = pmsg[1];
    pid_t c = pmsg[2];
    check_connected(&w, lp);   /* C's unmap took nothing from P */

    int status = -1;
    CHECK_INT_EQ(kill(p, SIGKILL), 0);
    CHECK_INT_EQ(waitpid(p, &status, 0), p);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK_INT_EQ(xensim_count_mappings(GUEST), 0);
    CHECK_INT_EQ(xensim_grant_flags(w.d, w.ring_ref), GTF_permit_access);
    check_status(GUEST, (uint32_t)w.gp, XENSIM_EVTCHN_INTERDOMAIN, 0, (uint32_t)lp);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);

    CHECK_INT_EQ(write(down[1], "x", 1), 1);   /* C exits */
    CHECK_INT_EQ(waitpid(c, &status, 0), c);
    CHECK(WIFEXITED(status));
    CHECK_INT_EQ(WEXITSTATUS(status), 0);
    CHECK_INT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
    check_released_and_rebind(&w, lp);
    close(up[0]);
    close(cup[0]);
    close(down[1]);
    xensim_domain_destroy(w.d);
}

/* Lease ids restart in every directory: a handle this process holds in
 * one directory says nothing about a dead one with the same id in another. */
SIM_TEST(leases_of_another_directory_are_not_ours)
{
    char first[128];
    snprintf(first, sizeof(first), "%s", xensim_dir());
    struct xensim_domain *d = xensim_domain_create(GUEST, 1);   /* id 1: its socket */
    xenevtchn_handle *ours = xenevtchn_open(NULL, 0);              /* id 2 */
    REQUIRE(d && ours);
    int gp0 = xensim_evtchn_alloc_unbound(d, 0);
    CHECK(xenevtchn_bind_interdomain(ours, GUEST, (evtchn_port_t)gp0) > 0);

    REQUIRE(xensim_setup(NULL) == 0);   /* a second directory */
    backend_dies(DIE_SIGKILL);          /* its backend's handle is id 2 too */
    CHECK_INT_EQ(xensim_teardown(), 0);

    REQUIRE(xensim_setup(first) == 0);  /* back: ours is untouched */
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);
    CHECK_INT_EQ(xenevtchn_close(ours), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    xensim_domain_destroy(d);
}

TAP_MAIN(sigkilled_backend_releases_ports_and_mappings,
         backend_exiting_without_close_releases_them,
         thread_of_killed_process_released_at_process_death,
         first_observation_after_death_sees_it, killed_between_masking_and_sending,
         forked_child_shares_channels_not_mappings,
         leases_of_another_directory_are_not_ours)

/* xensim: event channels through the real xenevtchn API and the guest API. */
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim_fixture.h"

/* A backend handle bound to a fresh unbound port of d, the event Xen
 * raises on the new local port at bind time eaten: the handle, with the
 * ports in *guest_port and *local_port; NULL on failure. */
static xenevtchn_handle *open_bound(struct xensim_domain *d, int *guest_port, int *local_port)
{
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    if (!xce)
        return NULL;
    int gp = xensim_evtchn_alloc_unbound(d, 0);
    int lp = gp > 0 ? xenevtchn_bind_interdomain(xce, xensim_domain_id(d), (evtchn_port_t)gp) : -1;
    if (lp <= 0 || !sim_readable(xenevtchn_fd(xce), 1000) || xenevtchn_pending(xce) != lp ||
        xenevtchn_unmask(xce, (evtchn_port_t)lp) != 0) {
        xenevtchn_close(xce);
        return NULL;
    }
    *guest_port = gp;
    *local_port = lp;
    return xce;
}

SIM_DOMAIN_TEST(bind_interdomain_connects_both_ends, 1)
{
    int gp = xensim_evtchn_alloc_unbound(d, 0);
    CHECK(gp > 0);
    CHECK_INT_EQ(xensim_count_bound_ports(1), 1);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    REQUIRE(xce);
    int lp = xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gp);
    CHECK(lp > 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);
    CHECK_INT_EQ(xensim_count_bound_ports(1), 1);
    /* As Xen: the new local port is set pending at bind time. */
    sim_check_one_event(xce, lp);
    CHECK(!sim_readable(xensim_evtchn_fd(d), 0));
    CHECK_INT_EQ(xenevtchn_close(xce), 0);
}

SIM_DOMAIN_TEST(bind_interdomain_denials, 1)
{
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    REQUIRE(xce);
    int for_other = xensim_evtchn_alloc_unbound(d, 5);
    REQUIRE(for_other > 0);
    errno = 0;
    CHECK_INT_EQ(xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)for_other), -1);
    CHECK_INT_EQ(errno, EINVAL);
    int gp = xensim_evtchn_alloc_unbound(d, 0);
    REQUIRE(gp > 0);
    CHECK(xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gp) > 0);
    errno = 0;  /* already bound: not unbound any more */
    CHECK_INT_EQ(xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gp), -1);
    CHECK_INT_EQ(errno, EINVAL);
    const evtchn_port_t bad_ports[] = {0, 200 /* free */, XENSIM_NR_PORTS, UINT32_MAX};
    for (size_t i = 0; i < sizeof(bad_ports) / sizeof(bad_ports[0]); i++) {
        errno = 0;
        CHECK_INT_EQ(xenevtchn_bind_interdomain(xce, 1, bad_ports[i]), -1);
        CHECK_INT_EQ(errno, EINVAL);
    }
    errno = 0;
    CHECK_INT_EQ(xenevtchn_bind_interdomain(xce, 9, 1), -1);  /* no domain */
    CHECK_INT_EQ(errno, ESRCH);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);
    errno = 0;
    CHECK_INT_EQ(xenevtchn_bind_virq(xce, 0), -1);
    CHECK_INT_EQ(errno, ENOSYS);
    CHECK(xenevtchn_fdopen(NULL, 0, 0) == NULL);
    CHECK_INT_EQ(xenevtchn_restrict(xce, 1), 0);
    xenevtchn_close(xce);
}

SIM_DOMAIN_TEST(notify_wakes_both_directions, 1)
{
    int gp, lp;
    xenevtchn_handle *xce = open_bound(d, &gp, &lp);
    REQUIRE(xce);
    CHECK(!sim_readable(xensim_evtchn_fd(d), 0));
    CHECK_INT_EQ(xenevtchn_notify(xce, (evtchn_port_t)lp), 0);
    CHECK(sim_readable(xensim_evtchn_fd(d), 1000));
    CHECK_INT_EQ(xensim_evtchn_pending(d), gp);
    CHECK_INT_EQ(xensim_evtchn_pending(d), -EAGAIN);
    CHECK_INT_EQ(xensim_evtchn_unmask(d, (uint32_t)gp), 0);

    CHECK(!sim_readable(xenevtchn_fd(xce), 0));
    CHECK_INT_EQ(xensim_evtchn_notify(d, (uint32_t)gp), 0);
    CHECK(sim_readable(xenevtchn_fd(xce), 1000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp);
    CHECK_INT_EQ(xenevtchn_unmask(xce, (evtchn_port_t)lp), 0);
    CHECK(!sim_readable(xenevtchn_fd(xce), 0));
    xenevtchn_close(xce);
}

SIM_DOMAIN_TEST(masked_port_delivers_once_after_unmask, 1)
{
    int gp, lp;
    xenevtchn_handle *xce = open_bound(d, &gp, &lp);
    REQUIRE(xce);
    int fd = xenevtchn_fd(xce);
    CHECK_INT_EQ(xensim_evtchn_notify(d, (uint32_t)gp), 0);
    CHECK(sim_readable(fd, 1000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp);       /* now masked */
    CHECK_INT_EQ(xensim_evtchn_notify(d, (uint32_t)gp), 0);
    CHECK_INT_EQ(xensim_evtchn_notify(d, (uint32_t)gp), 0);
    CHECK(!sim_readable(fd, 50));
    errno = 0;
    CHECK_INT_EQ(xenevtchn_pending(xce), -1);
    CHECK_INT_EQ(errno, EAGAIN);
    CHECK_INT_EQ(xenevtchn_unmask(xce, (evtchn_port_t)lp), 0);
    CHECK(sim_readable(fd, 1000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp);       /* once for both */
    CHECK_INT_EQ(xenevtchn_pending(xce), -1);
    CHECK_INT_EQ(xenevtchn_unmask(xce, (evtchn_port_t)lp), 0);
    CHECK(!sim_readable(fd, 50));                   /* nothing was pending */
    /* unmasking a port that is not ours is ignored, as by the Linux driver */
    CHECK_INT_EQ(xenevtchn_unmask(xce, 77), 0);
    xenevtchn_close(xce);
}

SIM_DOMAIN_TEST(unbind_frees_ports, 1)
{
    int gp, lp;
    xenevtchn_handle *xce = open_bound(d, &gp, &lp);
    REQUIRE(xce);
    CHECK_INT_EQ(xenevtchn_unbind(xce, (evtchn_port_t)lp), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(1), 1);   /* back to unbound */
    errno = 0;
    CHECK_INT_EQ(xenevtchn_unbind(xce, (evtchn_port_t)lp), -1);
    CHECK_INT_EQ(errno, ENOTCONN);
    errno = 0;  /* the Linux driver: not a port of this fd */
    CHECK_INT_EQ(xenevtchn_notify(xce, (evtchn_port_t)lp), -1);
    CHECK_INT_EQ(errno, ENOTCONN);
    /* the guest's end is unbound: its notify is silently dropped */
    CHECK_INT_EQ(xensim_evtchn_notify(d, (uint32_t)gp), 0);
    CHECK(!sim_readable(xenevtchn_fd(xce), 50));
    /* and, as in Xen, it may be bound again */
    int lp2 = xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gp);
    CHECK(lp2 > 0);
    CHECK_INT_EQ(xensim_evtchn_close(d, (uint32_t)gp), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(1), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);   /* our end is unbound now */
    CHECK_INT_EQ(xenevtchn_notify(xce, (evtchn_port_t)lp2), 0);
    CHECK_INT_EQ(xensim_evtchn_close(d, (uint32_t)gp), -ENOTCONN);
    CHECK_INT_EQ(xenevtchn_unbind(xce, (evtchn_port_t)lp2), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    xenevtchn_close(xce);
}

SIM_TEST(close_unbinds_all_ports_of_handle)
{
    struct xensim_domain *d = xensim_domain_create(1, 1);
    REQUIRE(d);
    xenevtchn_handle *a = xenevtchn_open(NULL, 0), *b = xenevtchn_open(NULL, 0);
    REQUIRE(a && b);
    for (int i = 0; i < 3; i++) {
        int gp = xensim_evtchn_alloc_unbound(d, 0);
        REQUIRE(gp > 0);
        CHECK(xenevtchn_bind_interdomain(a, 1, (evtchn_port_t)gp) > 0);
    }
    CHECK(xenevtchn_bind_unbound_port(a, 1) > 0);
    int gp = xensim_evtchn_alloc_unbound(d, 0);
    REQUIRE(gp > 0);
    int lb = xenevtchn_bind_interdomain(b, 1, (evtchn_port_t)gp);
    CHECK(lb > 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 5);
    CHECK_INT_EQ(xenevtchn_close(a), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);   /* b's port stays */
    CHECK_INT_EQ(xensim_count_bound_ports(1), 4);   /* guest ends unbound */
    /* b's channel still works */
    CHECK_INT_EQ(xensim_evtchn_notify(d, (uint32_t)gp), 0);
    CHECK(sim_readable(xenevtchn_fd(b), 1000));
    CHECK_INT_EQ(xenevtchn_pending(b), lb);  /* the bind-time event: masked since */
    CHECK_INT_EQ(xenevtchn_pending(b), -1);  /* so the notify only set pending */
    CHECK_INT_EQ(xenevtchn_unmask(b, (evtchn_port_t)lb), 0);
    CHECK_INT_EQ(xenevtchn_pending(b), lb);
    xenevtchn_close(b);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    xensim_domain_destroy(d);
    CHECK_INT_EQ(xensim_count_bound_ports(1), 0);
}

SIM_TEST(many_ports_overflowing_the_socket_queue)
{
    enum { N = 60 };
    struct xensim_domain *d = xensim_domain_create(1, 1);
    REQUIRE(d);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    REQUIRE(xce);
    int gps[N], lps[N];
    for (int i = 0; i < N; i++) {
        gps[i] = xensim_evtchn_alloc_unbound(d, 0);
        REQUIRE(gps[i] > 0);
        lps[i] = xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gps[i]);
        REQUIRE(lps[i] > 0);
    }
    /* N bind-time events, then N notifies: each port once (masked), read
     * one per poll wake-up as an event loop would. */
    bool seen[XENSIM_NR_PORTS] = {false};
    int n = 0;
    while (n < 2 * N && sim_readable(xenevtchn_fd(xce), 1000)) {
        int p = xenevtchn_pending(xce);
        if (p < 0)
            break;
        REQUIRE(p > 0 && p < (int)XENSIM_NR_PORTS);
        CHECK(!seen[p]);
        seen[p] = true;
        n++;
        if (n == N) {   /* all bind-time events in: unmask and notify all */
            for (int i = 0; i < N; i++) {
                seen[lps[i]] = false;
                CHECK_INT_EQ(xenevtchn_unmask(xce, (evtchn_port_t)lps[i]), 0);
                CHECK_INT_EQ(xensim_evtchn_notify(d, (uint32_t)gps[i]), 0);
            }
        }
    }
    CHECK_INT_EQ(n, 2 * N);
    for (int i = 0; i < N; i++)
        CHECK(seen[lps[i]]);
    CHECK(!sim_readable(xenevtchn_fd(xce), 0));
    xenevtchn_close(xce);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    xensim_domain_destroy(d);
}

SIM_TEST(destroy_closes_guest_ports)
{
    struct xensim_domain *d = xensim_domain_create(1, 1);
    REQUIRE(d);
    int gp, lp;
    xenevtchn_handle *xce = open_bound(d, &gp, &lp);
    REQUIRE(xce);
    xensim_domain_destroy(d);
    CHECK_INT_EQ(xensim_count_bound_ports(1), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);
    CHECK_INT_EQ(xenevtchn_notify(xce, (evtchn_port_t)lp), 0);  /* silently */
    errno = 0;
    CHECK_INT_EQ(xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gp), -1);
    CHECK_INT_EQ(errno, ESRCH);
    CHECK_INT_EQ(xenevtchn_unbind(xce, (evtchn_port_t)lp), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
    xenevtchn_close(xce);
}

/* Child: guest domain 3 in its own process. Protocol over two pipes. */
static int child_guest(void *arg, int to_parent, int from_parent)
{
    (void)arg;
    struct xensim_domain *d = xensim_domain_create(3, 4);
    if (!d)
        return 10;
    int rc = 0;
    sim_fill(xensim_page(d, 2), 77);
    int64_t ref = xensim_grant_access(d, 0, 2, false);
    int gp = xensim_evtchn_alloc_unbound(d, 0);
    uint32_t msg[2] = {(uint32_t)gp, (uint32_t)ref};
    if (ref < 0 || gp <= 0 || write(to_parent, msg, sizeof(msg)) != sizeof(msg)) {
        rc = 11;
        goto out;
    }
    /* wait for the backend's notify, answer with ours */
    if (!sim_readable(xensim_evtchn_fd(d), 5000) || xensim_evtchn_pending(d) != gp) {
        rc = 12;
        goto out;
    }
    if (((unsigned char *)xensim_page(d, 2))[5] != 0xC5) { /* backend wrote it */
        rc = 13;
        goto out;
    }
    if (xensim_evtchn_unmask(d, (uint32_t)gp) != 0 || xensim_evtchn_notify(d, (uint32_t)gp) != 0) {
        rc = 14;
        goto out;
    }
    char done;
    if (read(from_parent, &done, 1) != 1)
        rc = 15;
out:
    xensim_domain_destroy(d);
    return rc;
}

SIM_TEST(guest_in_another_process)
{
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    REQUIRE(xce && xgt);
    struct sim_child c;
    REQUIRE(sim_fork(&c, child_guest, NULL));
    uint32_t msg[2];
    CHECK_INT_EQ(read(c.up, msg, sizeof(msg)), sizeof(msg));
    int lp = xenevtchn_bind_interdomain(xce, 3, msg[0]);
    CHECK(lp > 0);
    CHECK(sim_readable(xenevtchn_fd(xce), 1000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp);           /* bind-time event */
    CHECK_INT_EQ(xenevtchn_unmask(xce, (evtchn_port_t)lp), 0);
    unsigned char *m = xengnttab_map_grant_ref(xgt, 3, msg[1], PROT_READ | PROT_WRITE);
    CHECK(m != NULL);
    if (m) {
        unsigned char want[XENSIM_PAGE_SIZE];
        sim_fill(want, 77);
        CHECK_MEM_EQ(m, want, sizeof(want));
        m[5] = 0xC5;
        CHECK_INT_EQ(xensim_count_mappings(3), 1);
        CHECK_INT_EQ(xengnttab_unmap(xgt, m, 1), 0);
    }
    CHECK_INT_EQ(xenevtchn_notify(xce, (evtchn_port_t)lp), 0);
    CHECK(sim_readable(xenevtchn_fd(xce), 5000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp);
    CHECK_INT_EQ(write(c.down, "x", 1), 1);
    int status = -1;
    CHECK_INT_EQ(waitpid(c.pid, &status, 0), c.pid);
    CHECK(WIFEXITED(status));
    CHECK_INT_EQ(WEXITSTATUS(status), 0);
    CHECK_INT_EQ(xensim_count_bound_ports(3), 0);       /* guest destroyed */
    CHECK_INT_EQ(xensim_count_bound_ports(0), 1);       /* our end: unbound */
    sim_child_close(&c);
    xengnttab_close(xgt);
    xenevtchn_close(xce);
    CHECK_INT_EQ(xensim_count_bound_ports(0), 0);
}

SIM_TEST(backend_as_other_domid)
{
    /* XENSIM_DOMID makes the real-API user another domain (driver domain). */
    REQUIRE(setenv("XENSIM_DOMID", "4", 1) == 0);
    struct xensim_domain *d = xensim_domain_create(1, 2);
    REQUIRE(d);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    REQUIRE(xce && xgt);
    int to0 = xensim_evtchn_alloc_unbound(d, 0), to4 = xensim_evtchn_alloc_unbound(d, 4);
    CHECK_INT_EQ(xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)to0), -1);
    CHECK(xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)to4) > 0);
    CHECK_INT_EQ(xensim_count_bound_ports(4), 1);
    int64_t r0 = xensim_grant_access(d, 0, 0, false), r4 = xensim_grant_access(d, 4, 1, false);
    CHECK(xengnttab_map_grant_ref(xgt, 1, (uint32_t)r0, PROT_READ) == NULL);
    CHECK(xengnttab_map_grant_ref(xgt, 1, (uint32_t)r4, PROT_READ) != NULL);
    xengnttab_close(xgt);
    xenevtchn_close(xce);
    xensim_domain_destroy(d);
    unsetenv("XENSIM_DOMID");
}

TAP_MAIN(bind_interdomain_connects_both_ends, bind_interdomain_denials,
         notify_wakes_both_directions, masked_port_delivers_once_after_unmask,
         unbind_frees_ports, close_unbinds_all_ports_of_handle,
         many_ports_overflowing_the_socket_queue, destroy_closes_guest_ports,
         guest_in_another_process, backend_as_other_domid)

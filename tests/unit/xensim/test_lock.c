/* xensim: the simulator-wide lock (lock.c) and its ids, across processes,
 * including a holder killed inside the lock. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared.h"
#include "sim_fixture.h"

/* Child: takes the lock, breaks a derived counter as a holder killed
 * half-way through an update would, says so on `up`, then waits to die. */
static int child_holds_lock(void *arg, int up, int down)
{
    struct xensim_domain *d = arg;
    (void)down;
    if (xs_lock() != 0)
        _exit(20);
    d->evt->undelivered += 5;
    if (write(up, "L", 1) != 1)
        _exit(21);
    for (;;)
        pause();
}

static void *lock_in_thread(void *arg)
{
    (void)arg;
    intptr_t r = xs_lock();
    if (r == 0)
        xs_unlock();
    return (void *)r;
}

static void holder_dies(bool waiter_blocked)
{
    struct xensim_domain *d = xensim_domain_create(1, 1);
    REQUIRE(d);
    struct sim_child child;
    REQUIRE(sim_fork(&child, child_holds_lock, d));
    char c = 0;
    REQUIRE(sim_read_msg(child.up, &c, 1) && c == 'L');
    pthread_t t;
    if (waiter_blocked) {   /* a thread of ours waits on the futex meanwhile */
        REQUIRE(pthread_create(&t, NULL, lock_in_thread, NULL) == 0);
        usleep(100 * 1000);
    }
    CHECK_INT_EQ(kill(child.pid, SIGKILL), 0);
    int status = -1;
    CHECK_INT_EQ(waitpid(child.pid, &status, 0), child.pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    if (waiter_blocked) {
        void *ret = (void *)-1;
        CHECK_INT_EQ(pthread_join(t, &ret), 0);
        CHECK_INT_EQ((intptr_t)ret, 0);
    }
    /* The next holder recovered the lock and recomputed the counter. */
    CHECK_INT_EQ(xs_lock(), 0);
    CHECK_INT_EQ(d->evt->undelivered, 0);
    xs_unlock();
    /* and the simulator goes on working */
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    REQUIRE(xce);
    int gp = xensim_evtchn_alloc_unbound(d, 0);
    int lp = xenevtchn_bind_interdomain(xce, 1, (evtchn_port_t)gp);
    CHECK_INT_EQ(lp, 1);
    CHECK(sim_readable(xenevtchn_fd(xce), 5000));
    CHECK_INT_EQ(xenevtchn_pending(xce), lp);
    CHECK_INT_EQ(xenevtchn_close(xce), 0);
    sim_child_close(&child);
    xensim_domain_destroy(d);
}

SIM_TEST(holder_killed_inside_the_lock)
{
    holder_dies(false);
}

SIM_TEST(waiter_wakes_when_the_holder_is_killed)
{
    holder_dies(true);
}

static uint32_t new_id(void)
{
    if (xs_lock() != 0)
        return 0;
    uint32_t id = xs_new_id();
    xs_unlock();
    return id;
}

/* Child: takes an id and sends it up. */
static int child_new_id(void *arg, int up, int down)
{
    (void)arg;
    (void)down;
    uint32_t id = new_id();
    return write(up, &id, sizeof(id)) == sizeof(id) ? 0 : 1;
}

SIM_TEST(ids_are_unique_across_processes)
{
    uint32_t a = new_id();
    CHECK_INT_EQ(a, 1);
    struct sim_child c;
    REQUIRE(sim_fork(&c, child_new_id, NULL));
    uint32_t child = 0;
    CHECK(sim_read_msg(c.up, &child, sizeof(child)));
    int status = -1;
    CHECK_INT_EQ(waitpid(c.pid, &status, 0), c.pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT_EQ(child, 2);
    CHECK_INT_EQ(new_id(), 3);
    sim_child_close(&c);
}

TAP_MAIN(holder_killed_inside_the_lock, waiter_wakes_when_the_holder_is_killed,
         ids_are_unique_across_processes)

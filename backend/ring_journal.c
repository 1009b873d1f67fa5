#include "ring_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int journal_path(char out[PATH_MAX], const char *dir, unsigned domid, unsigned devid)
{
    int n = snprintf(out, PATH_MAX, "%s/ring-%u-%u.journal", dir, domid, devid);
    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

struct ring_journal *ring_journal_map(const char *dir, unsigned domid, unsigned devid)
{
    char path[PATH_MAX];
    int r = journal_path(path, dir, domid, devid);
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return NULL;
    /* A file of another size is of no use: it starts over, empty. */
    struct stat st;
    if (fstat(fd, &st) < 0 || (st.st_size != sizeof(struct ring_journal) &&
                               (ftruncate(fd, 0) < 0 ||
                                ftruncate(fd, sizeof(struct ring_journal)) < 0))) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    void *p = mmap(NULL, sizeof(struct ring_journal), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        errno = e;
        return NULL;
    }
    return p;
}

void ring_journal_unmap(struct ring_journal *j)
{
    if (j)
        munmap(j, sizeof(*j));
}

int ring_journal_remove(const char *dir, unsigned domid, unsigned devid)
{
    char path[PATH_MAX];
    int r = journal_path(path, dir, domid, devid);
    if (r < 0)
        return r;
    return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

void ring_journal_reset(struct ring_journal *j, const struct journal_identity *id,
                        const struct journal_recovery *rec)
{
    /* Invalid first, so a process dying half-way leaves no journal. */
    __atomic_store_n(&j->magic, 0, __ATOMIC_RELEASE);
    memset(j->slots, 0, sizeof(j->slots));
    j->version = RING_JOURNAL_VERSION;
    j->id = *id;
    j->req_cons = rec->req_cons;
    j->unknown = rec->nr_unknown;
    for (unsigned i = 0; i < rec->nr_pending; i++) {
        const struct journal_pending *p = &rec->pending[i];
        j->slots[p->slot] = (struct journal_slot){
            .state = p->started ? JOURNAL_STARTED : JOURNAL_TAKEN, .ring_idx = p->ring_idx,
            .req = p->req};
    }
    __atomic_store_n(&j->magic, RING_JOURNAL_MAGIC, __ATOMIC_RELEASE);
}

static bool same_ring(const struct journal_identity *a, const struct journal_identity *b)
{
    return a->domid == b->domid && a->devid == b->devid && a->ring_ref == b->ring_ref &&
           a->remote_port == b->remote_port && a->max_segments == b->max_segments &&
           strncmp(a->vm, b->vm, sizeof(a->vm)) == 0;
}

int ring_journal_recover(const struct ring_journal *j, const struct journal_identity *id,
                         uint32_t req_prod, uint32_t rsp_prod, struct journal_recovery *out)
{
    if (__atomic_load_n(&j->magic, __ATOMIC_ACQUIRE) != RING_JOURNAL_MAGIC)
        return -ENOENT;
    if (j->version != RING_JOURNAL_VERSION || !same_ring(&j->id, id))
        return -ESTALE;
    uint32_t req_cons = j->req_cons;
    out->nr_pending = 0;
    /* The unanswered requests: slots in use whose take was recorded (a
     * slot filled by a process that died before req_cons moved was never
     * taken), in ring order. */
    for (uint32_t back = VSCSI_RING_SIZE; back > 0; back--) {
        uint32_t idx = req_cons - back;
        for (unsigned s = 0; s < VSCSI_RING_SIZE; s++) {
            const struct journal_slot *js = &j->slots[s];
            uint32_t st = __atomic_load_n(&js->state, __ATOMIC_ACQUIRE);
            if (st == JOURNAL_FREE || js->ring_idx != idx)
                continue;
            if (st != JOURNAL_TAKEN && st != JOURNAL_STARTED)
                return -EINVAL;
            out->pending[out->nr_pending++] = (struct journal_pending){
                .slot = s, .ring_idx = idx, .started = st == JOURNAL_STARTED, .req = js->req};
            break;
        }
    }
    /* Two slots claiming one request: not a journal this code wrote. */
    unsigned in_window = 0;
    for (unsigned s = 0; s < VSCSI_RING_SIZE; s++)
        if (__atomic_load_n(&j->slots[s].state, __ATOMIC_ACQUIRE) != JOURNAL_FREE &&
            (uint32_t)(req_cons - 1 - j->slots[s].ring_idx) < VSCSI_RING_SIZE)
            in_window++;
    if (in_window != out->nr_pending)
        return -EINVAL;
    /* Every answer wrote the next response, then freed its slot. */
    out->nr_unknown = j->unknown;
    if (out->nr_unknown > VSCSI_RING_SIZE - out->nr_pending)
        return -EINVAL;
    uint32_t rsp_prod_pvt = req_cons - out->nr_pending - out->nr_unknown;
    /* They must fit the shared ring: rsp_prod <= rsp_prod_pvt <= req_cons
     * <= req_prod, the whole at most one ring. */
    if ((uint32_t)(rsp_prod_pvt - rsp_prod) > VSCSI_RING_SIZE ||
        (uint32_t)(req_prod - req_cons) > VSCSI_RING_SIZE ||
        (uint32_t)(req_prod - rsp_prod) > VSCSI_RING_SIZE)
        return -EINVAL;
    out->req_cons = req_cons;
    out->rsp_prod_pvt = rsp_prod_pvt;
    return 0;
}

int ring_recover_from_ring(const struct vscsiif_sring *sring, uint32_t req_prod,
                           uint32_t rsp_prod, struct journal_recovery *out)
{
    uint32_t n = req_prod - rsp_prod;
    if (n > VSCSI_RING_SIZE)
        return -EINVAL;
    /* Each slot copied once: the guest may write the ring meanwhile. */
    union vscsiif_sring_entry copy[VSCSI_RING_SIZE];
    for (uint32_t i = 0; i < n; i++)
        memcpy(&copy[i], (const void *)&sring->ring[(rsp_prod + i) % VSCSI_RING_SIZE],
               sizeof(copy[i]));
    uint32_t written = 0;
    while (written < n && copy[written].req.act == 0)
        written++;
    out->req_cons = req_prod;
    out->rsp_prod_pvt = rsp_prod + written;
    out->nr_pending = 0;
    unsigned answered_again = 0;
    for (uint32_t i = written; i < n; i++) {
        bool answered = false;
        for (uint32_t k = 0; k < written && !answered; k++)
            answered = copy[k].rsp.rqid == copy[i].req.rqid;
        if (answered) {
            answered_again++;
            continue;
        }
        out->pending[out->nr_pending] = (struct journal_pending){
            .slot = out->nr_pending, .ring_idx = rsp_prod + i, .started = true,
            .req = copy[i].req};
        out->nr_pending++;
    }
    /* Each request a written response answers from a later slot stands for
     * one request of an overwritten slot that is still unanswered. */
    out->nr_unknown = answered_again;
    return 0;
}

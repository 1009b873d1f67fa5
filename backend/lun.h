/*
 * The LUN handler interface: the one narrow seam between the vscsiif
 * transport (rings, grants, xenstore) and whatever answers SCSI commands.
 * One file per handler under backend/handlers/ (sg passthrough, file-backed
 * emulated disk, null), each exporting one `const struct lun_ops`.
 *
 * Threading: a LUN belongs to one vscsi device, hence to one ring, hence to
 * one worker thread; its handler is only ever called from that thread and
 * needs no locking. Handlers run asynchronously on the worker's io_uring.
 */
#ifndef PVSCSID_LUN_H
#define PVSCSID_LUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <liburing.h>

#include "lun_policy.h"
#include "wire.h"

/* io_uring user_data of every SQE points at one of these; the worker looks
 * at `kind` to route the CQE (a command's I/O, a ring's event channel...). */
enum uring_tag_kind {
    URING_TAG_LUN_CMD = 1,   /* a struct lun_cmd: handler->complete() */
    URING_TAG_LUN,           /* a struct lun's own SQE: handler->event() */
    URING_TAG_EVTCHN,        /* a ring's event channel fd became readable */
    URING_TAG_QOS,           /* a throttled ring's tokens are back */
    URING_TAG_WAKE,          /* the worker's control eventfd */
};
struct uring_tag {
    enum uring_tag_kind kind;
};

/* Scratch space a handler may use per command (an sg_io_hdr is 88 bytes). */
#define LUN_CMD_PRIV_SIZE 192

/*
 * One SCSI command on its way to a handler. Lives in a ring slot
 * (preallocated, never per request on the hot path). The core fills the
 * inputs, zeroes the outputs, and calls start(); the handler fills the
 * outputs before it reports LUN_DONE.
 */
struct lun_cmd {
    /* In. */
    uint8_t cdb[VSCSIIF_MAX_COMMAND_SIZE];
    uint8_t cdb_len;               /* 1..16 */
    enum vscsi_dir dir;            /* Linux DMA direction values */
    const struct iovec *iov;       /* the data buffer(s), in guest order */
    unsigned iov_cnt;              /* 0 when there is no data */
    uint32_t data_len;             /* sum of the iov lengths */
    uint32_t timeout_ms;           /* 0: the handler's default */
    bool iov_private;              /* the buffers are pvscsid's own memory
                                      (grant copy), not the guest's mapped
                                      pages: a device may keep references
                                      to them past the command (zero-copy
                                      network stacks), which would hold a
                                      grant mapped after the answer */
    /* Out. */
    uint8_t status;                /* SCSI status byte (GOOD, CHECK CONDITION...) */
    uint8_t host;                  /* XEN_VSCSIIF_RSLT_HOST_* */
    uint8_t sense_len;
    uint8_t sense[VSCSIIF_SENSE_BUFFERSIZE];
    uint32_t residual;             /* bytes of data_len not transferred */
    /* The handler's own per-command state. */
    _Alignas(16) unsigned char priv[LUN_CMD_PRIV_SIZE];
    /* Owned by the core: SQEs of this command carry &tag as user_data. */
    struct uring_tag tag;
};

enum lun_step {
    LUN_DONE = 0,      /* outputs are final; the core answers the guest */
    LUN_PENDING,       /* SQEs queued; complete() will be called per CQE */
};

struct lun;

/* What a handler learns when a LUN is opened. */
struct lun_params {
    /* The core's: a command that finished outside start() and complete()
     * (from event()) is reported here. */
    void (*finished)(struct lun_cmd *cmd);
    uint32_t block_size;           /* emulated disks: 512 (default) or 4096 */
    bool read_only;                /* emulated disks: refuse writes */
    const char *sysfs_root;        /* "/sys" unless tests point elsewhere */
    uint32_t cmd_timeout_ms;       /* passthrough: when the guest gives no
                                      timeout; 0 = by device type */
};

struct lun_ops {
    const char *name;              /* "sg", "file", "null" */
    /* True when this handler serves this p-dev string (e.g. "file:/x"). */
    bool (*claims)(const char *pdev);
    /* Opens the LUN. On failure returns -errno and writes a one-line reason
     * (for the log and the management API) into err. */
    int (*open)(const char *pdev, const struct lun_params *params, struct lun **out,
                char *err, size_t err_len);
    /* Only called with no command outstanding. */
    void (*close)(struct lun *lun);
    /* Starts a command: either finishes at once (LUN_DONE) or queues SQEs
     * on `ring` whose user_data is lun_cmd_user_data(cmd) (LUN_PENDING). */
    enum lun_step (*start)(struct lun *lun, struct lun_cmd *cmd, struct io_uring *ring);
    /* One CQE of this command; may queue more SQEs and say LUN_PENDING. */
    enum lun_step (*complete)(struct lun *lun, struct lun_cmd *cmd,
                              const struct io_uring_cqe *cqe, struct io_uring *ring);
    /* Optional: a LUN reset requested by the guest. 0 on success, -errno. */
    int (*reset)(struct lun *lun);
    /* Optional: a CQE of one of the LUN's own SQEs (user_data
     * lun_user_data(lun)), e.g. its device became readable. Commands that
     * finish through it go to lun->finished(cmd). */
    void (*event)(struct lun *lun, const struct io_uring_cqe *cqe, struct io_uring *ring);
};

/* Every handler's LUN begins with this. */
struct lun {
    const struct lun_ops *ops;
    int peripheral_type;           /* SCSI peripheral device type (0 disk,
                                      1 tape, 5 CD/DVD, 8 changer...), -1 unknown */
    void (*finished)(struct lun_cmd *cmd);   /* lun_params.finished */
    struct uring_tag tag;          /* owned by the core (lun_user_data) */
    /* Which commands reach the device (policy/lun_policy.h): set by the
     * core once the LUN is open; zeroed (off) by the handler's calloc. */
    struct lun_policy policy;
};

/* May cdb run a second time on lun without harm, e.g. because a restart
 * cannot tell whether it ran? Commands that only report (TEST UNIT READY,
 * INQUIRY, MODE/LOG SENSE, READ POSITION...) may on any device; reads and
 * writes of a disk may (the guest has no answer yet, so nothing it did
 * since depends on them); anything else on a tape, changer, optical or
 * unknown device may not, nor disk commands that change state beyond the
 * blocks they name (reservations, COMPARE AND WRITE, firmware, format). */
bool lun_cmd_repeatable(const struct lun *lun, const uint8_t *cdb);

/* user_data for a command's SQEs. */
static inline uint64_t lun_cmd_user_data(struct lun_cmd *cmd)
{
    cmd->tag.kind = URING_TAG_LUN_CMD;
    return (uint64_t)(uintptr_t)&cmd->tag;
}

/* user_data for the LUN's own SQEs (not any one command's). */
static inline uint64_t lun_user_data(struct lun *lun)
{
    lun->tag.kind = URING_TAG_LUN;
    return (uint64_t)(uintptr_t)&lun->tag;
}

/* An SQE from `ring`, submitting what is queued first if the SQ is full.
 * NULL only if the kernel refuses the submission. */
struct io_uring_sqe *lun_get_sqe(struct io_uring *ring);

/* Finishes cmd with GOOD status and `residual` untransferred bytes. */
void lun_cmd_good(struct lun_cmd *cmd, uint32_t residual);
/* Finishes cmd with CHECK CONDITION and fixed-format sense (key, asc,
 * ascq), no data transferred. */
void lun_cmd_check_condition(struct lun_cmd *cmd, uint8_t key, uint8_t asc, uint8_t ascq);
/* Finishes cmd with a host byte (XEN_VSCSIIF_RSLT_HOST_*) and no data. */
void lun_cmd_host_error(struct lun_cmd *cmd, uint8_t host);

/* The handler for a p-dev string (registry of all handlers), or NULL. */
const struct lun_ops *lun_ops_for_pdev(const char *pdev);

#endif

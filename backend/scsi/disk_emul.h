/*
 * An emulated direct-access disk (SBC-3): everything but the data path.
 * A handler describes its disk once (struct disk_emul), then hands every
 * command to disk_emul_dispatch(), which answers the emulated commands
 * (INQUIRY, READ CAPACITY, MODE SENSE...) into the command's iovecs, refuses
 * bad ones with sense, and validates READ/WRITE/SYNCHRONIZE CACHE for the
 * handler to carry out. Shared by the file and null handlers.
 */
#ifndef PVSCSID_DISK_EMUL_H
#define PVSCSID_DISK_EMUL_H

#include <stdbool.h>
#include <stdint.h>

#include "lun.h"

#define DISK_EMUL_VENDOR   "PVSCSID "   /* INQUIRY T10 vendor, 8 chars */
#define DISK_EMUL_REVISION "0001"       /* INQUIRY product revision, 4 chars */
#define DISK_EMUL_PRODUCT_LEN 16
#define DISK_EMUL_SERIAL_LEN  16

/* Largest transfer advertised in the Block Limits VPD page. */
#define DISK_EMUL_MAX_TRANSFER_BYTES (4u << 20)

struct disk_emul_params {
    uint64_t nr_blocks;        /* at least 1 */
    uint32_t block_size;       /* 512 or 4096 */
    bool read_only;            /* WRITE refused, WP reported */
    bool write_cache;          /* WCE in the caching mode page */
    const char *product;       /* 1..16 printable ASCII characters */
    const char *identity;      /* stable string the serial number and the
                                * designators derive from (a path...) */
};

struct disk_emul {
    uint64_t nr_blocks;
    uint32_t block_size;
    bool read_only;
    bool write_cache;
    char product[DISK_EMUL_PRODUCT_LEN];  /* space padded, not terminated */
    char serial[DISK_EMUL_SERIAL_LEN];    /* upper-case hex, not terminated */
    uint64_t naa;                         /* NAA 3 (locally assigned) name */
};

/* Fills d from p. -EINVAL if a parameter is out of range. */
int disk_emul_init(struct disk_emul *d, const struct disk_emul_params *p);

/* The block size for a lun_params value: 0 means 512; 512 and 4096 are
 * accepted as they are. -EINVAL for anything else. */
int disk_emul_block_size(uint32_t requested, uint32_t *out);

/* What the handler has to do after disk_emul_dispatch(). */
enum disk_action {
    DISK_DONE = 0,    /* cmd is finished (answered or refused) */
    DISK_READ,        /* read io->len bytes at io->offset into cmd->iov */
    DISK_WRITE,       /* write io->len bytes of cmd->iov at io->offset */
    DISK_SYNC,        /* make written data durable */
};

struct disk_io {
    uint64_t offset;  /* byte offset on the backing store */
    uint32_t len;     /* bytes to move, > 0 for DISK_READ/DISK_WRITE,
                       * 0 for DISK_SYNC */
    bool fua;         /* DISK_WRITE: durable before GOOD */
};

/* Classifies and, where possible, answers cmd. For DISK_READ/WRITE/SYNC
 * the handler finishes the command on success with
 * lun_cmd_good(cmd, cmd->data_len - io->len). */
enum disk_action disk_emul_dispatch(const struct disk_emul *d, struct lun_cmd *cmd,
                                    struct disk_io *io);

#endif

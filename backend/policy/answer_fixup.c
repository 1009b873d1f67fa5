#include "answer_fixup.h"

#include <string.h>

#include "be_bytes.h"
#include "cmd_class.h"
#include "iov_buf.h"

#define MS_WP 0x80

void fixup_mode_sense_wp(const struct iovec *iov, unsigned iov_cnt, uint32_t got, bool ten)
{
    /* SPC-4 7.5.5: the device-specific parameter is byte 2 of the MODE
     * SENSE(6) header, byte 3 of the MODE SENSE(10) one. */
    size_t at = ten ? 3 : 2;
    uint8_t b;
    if (got <= at || iov_read_at(iov, iov_cnt, at, &b, 1) != 1)
        return;
    b |= MS_WP;
    (void)iov_write_at(iov, iov_cnt, at, &b, 1);
}

/* Reporting options (SPC-4 6.35, CDB byte 2 bits 0-2). */
#define RSOC_ALL          0
#define RSOC_ONE_NO_SA    1
#define RSOC_ONE_SA       2
#define RSOC_ONE_SA_MAYBE 3

#define DESC_LEN     8       /* command descriptor */
#define TIMEOUTS_LEN 12      /* command timeouts descriptor */
#define DESC_CTDP    0x02    /* byte 5: timeouts descriptor follows */
#define DESC_SERVACTV 0x01   /* byte 5: the service action field is valid */

static void zero_from(const struct iovec *iov, unsigned iov_cnt, uint32_t from, uint32_t to)
{
    static const uint8_t zeros[64];
    while (from < to) {
        uint32_t n = to - from < sizeof(zeros) ? to - from : (uint32_t)sizeof(zeros);
        (void)iov_write_at(iov, iov_cnt, from, zeros, n);
        from += n;
    }
}

/* A one-command answer (SPC-4 6.35.3) for a hidden command: SUPPORT 001b
 * ("not supported"), CDB SIZE 0, no timeouts descriptor: 4 bytes. */
static uint32_t one_command(const struct lun_policy *p, const uint8_t *cdb,
                            const struct iovec *iov, unsigned iov_cnt, uint32_t got)
{
    unsigned opt = cdb[2] & 0x07;
    uint8_t q[16] = {cdb[3]};
    if (opt == RSOC_ONE_SA || opt == RSOC_ONE_SA_MAYBE)
        cmd_put_service_action(q, get_be16(cdb + 4));
    if (!lun_policy_hidden(p, q, sizeof(q)))
        return got;
    uint8_t hdr[4] = {0, 0x01, 0, 0};
    uint32_t keep = got < sizeof(hdr) ? got : (uint32_t)sizeof(hdr);
    (void)iov_write_at(iov, iov_cnt, 0, hdr, keep);
    zero_from(iov, iov_cnt, keep, got);
    return keep;
}

/* The all-commands list (SPC-4 6.35.2): descriptors compacted in place,
 * the hidden ones dropped, COMMAND DATA LENGTH lowered by what was. */
static uint32_t all_commands(const struct lun_policy *p, const struct iovec *iov,
                             unsigned iov_cnt, uint32_t got)
{
    uint8_t hdr[4];
    if (got < sizeof(hdr) || iov_read_at(iov, iov_cnt, 0, hdr, sizeof(hdr)) != sizeof(hdr))
        return got;
    uint32_t listed = get_be32(hdr);
    /* Descriptors lie between byte 4 and the end of what came back or of
     * what the header claims, whichever is first. */
    uint32_t end = listed < got - 4 ? 4 + listed : got;
    uint32_t in = 4, out = 4, removed = 0;
    while (in < end) {
        uint8_t d[DESC_LEN + TIMEOUTS_LEN] = {0};
        uint32_t have = end - in < sizeof(d) ? end - in : (uint32_t)sizeof(d);
        if (iov_read_at(iov, iov_cnt, in, d, have) != have)
            break;
        /* A descriptor cut short by the allocation length keeps the size
         * it says it has (or the plain one, if that part is cut too). */
        uint32_t size = DESC_LEN + (have > 5 && (d[5] & DESC_CTDP) ? TIMEOUTS_LEN : 0);
        uint32_t here = end - in < size ? end - in : size;
        uint8_t q[16] = {d[0]};
        if (have > 5 && (d[5] & DESC_SERVACTV))
            cmd_put_service_action(q, get_be16(d + 2));
        if (lun_policy_hidden(p, q, sizeof(q))) {
            removed += size;
        } else {
            if (out != in)
                (void)iov_write_at(iov, iov_cnt, out, d, here);
            out += here;
        }
        in += here;
    }
    if (!removed)
        return got;
    put_be32(listed > removed ? listed - removed : 0, hdr);
    (void)iov_write_at(iov, iov_cnt, 0, hdr, sizeof(hdr));
    zero_from(iov, iov_cnt, out, got);
    return out;
}

uint32_t fixup_report_opcodes(const struct lun_policy *p, const uint8_t *cdb,
                              const struct iovec *iov, unsigned iov_cnt, uint32_t got)
{
    unsigned opt = cdb[2] & 0x07;
    if (opt == RSOC_ALL)
        return all_commands(p, iov, iov_cnt, got);
    if (opt <= RSOC_ONE_SA_MAYBE)
        return one_command(p, cdb, iov, iov_cnt, got);
    return got;   /* a reporting option of a later standard: as it came */
}

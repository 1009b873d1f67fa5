#include "scsi_id.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

enum { ID_VENDOR_SPECIFIC = 0, ID_T10_VENDOR = 1, ID_EUI64 = 2, ID_NAA = 3 };
enum { CODE_BINARY = 1, CODE_ASCII = 2 };
enum { NAA_ANY = 0xff, NAA_REG = 5, NAA_REG_EXT = 6 };
enum { VENDOR_LEN = 8, MODEL_LEN = 16 };

struct search {
    uint8_t id_type, naa_type, code_set;
};

/* udev's priority list, minus its first entry (target port group): with the
 * group buffer udev always passes, that entry never yields an id. */
static const struct search order[] = {
    {ID_NAA, NAA_REG_EXT, CODE_BINARY},        {ID_NAA, NAA_REG_EXT, CODE_ASCII},
    {ID_NAA, NAA_REG, CODE_BINARY},            {ID_NAA, NAA_REG, CODE_ASCII},
    {ID_NAA, NAA_ANY, CODE_BINARY},            {ID_NAA, NAA_ANY, CODE_ASCII},
    {ID_EUI64, NAA_ANY, CODE_BINARY},          {ID_EUI64, NAA_ANY, CODE_ASCII},
    {ID_T10_VENDOR, NAA_ANY, CODE_BINARY},     {ID_T10_VENDOR, NAA_ANY, CODE_ASCII},
    {ID_VENDOR_SPECIFIC, NAA_ANY, CODE_BINARY}, {ID_VENDOR_SPECIFIC, NAA_ANY, CODE_ASCII},
};

static const char hex[] = "0123456789abcdef";

/* udev requires exactly 8 + 16 non-NUL bytes. */
static bool vendor_model_ok(const char *vendor8, const char *model16)
{
    return vendor8 && model16 && strnlen(vendor8, VENDOR_LEN) == VENDOR_LEN &&
           strnlen(model16, MODEL_LEN) == MODEL_LEN;
}

/* One descriptor d (room bytes available) against one search entry. */
static bool fill_designator(const uint8_t *d, size_t room, const struct search *s,
                            const char *vendor8, const char *model16, char serial[SCSI_ID_MAX])
{
    if ((d[1] & 0x30) != 0)                 /* associated with the LU only */
        return false;
    if ((d[1] & 0x0f) != s->id_type)
        return false;
    if (s->naa_type != NAA_ANY && s->naa_type != (d[4] & 0xf0) >> 4)
        return false;
    if ((d[0] & 0x0f) != s->code_set)
        return false;
    size_t idlen = d[3];
    if (4 + idlen > room)                   /* past what udev could have read */
        return false;
    size_t need = (s->code_set == CODE_ASCII ? idlen : idlen * 2) + 2;
    if (s->id_type == ID_VENDOR_SPECIFIC)
        need += VENDOR_LEN + MODEL_LEN;
    if (need > SCSI_ID_MAX)
        return false;
    if (s->id_type == ID_VENDOR_SPECIFIC && !vendor_model_ok(vendor8, model16))
        return false;

    size_t j = 0;
    memset(serial, 0, SCSI_ID_MAX);
    serial[j++] = hex[s->id_type];
    if (s->id_type == ID_VENDOR_SPECIFIC) {
        memcpy(serial + j, vendor8, VENDOR_LEN);
        memcpy(serial + j + VENDOR_LEN, model16, MODEL_LEN);
        j += VENDOR_LEN + MODEL_LEN;
    }
    for (size_t i = 0; i < idlen; i++) {
        if (s->code_set == CODE_ASCII) {
            serial[j++] = (char)d[4 + i];
        } else {
            serial[j++] = hex[d[4 + i] >> 4];
            serial[j++] = hex[d[4 + i] & 0x0f];
        }
    }
    return true;
}

int scsi_id_from_pg83(const uint8_t *pg, size_t len, const char *vendor8,
                      const char *model16, char out[SCSI_ID_MAX])
{
    uint8_t p[SCSI_ID_INQ_LEN] = {0};      /* zero beyond the reply, as udev's */

    memcpy(p, pg, len < sizeof(p) ? len : sizeof(p));
    out[0] = '\0';
    if (len < 4 || p[1] != 0x83)
        return -EINVAL;

    if (p[6] != 0) {
        /* SCSI-2 format (old EMC Symmetrix): "3" + the raw bytes in hex. */
        size_t j = 0;
        char serial[SCSI_ID_MAX] = {0};
        serial[j++] = hex[ID_NAA];
        for (size_t i = 0; i < p[3] && j < SCSI_ID_MAX - 3 && 4 + i < sizeof(p); i++) {
            serial[j++] = hex[p[4 + i] >> 4];
            serial[j++] = hex[p[4 + i] & 0x0f];
        }
        memcpy(out, serial, SCSI_ID_MAX);
        scsi_id_reformat(out);
        return 0;
    }

    size_t end = ((size_t)p[2] << 8) + p[3] + 3;    /* last byte of the page */
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        /* j + 5: fill_designator reads up to d[4] (the NAA nibble). */
        for (size_t j = 4; j <= end && j + 5 <= sizeof(p); j += (size_t)p[j + 3] + 4) {
            if (fill_designator(p + j, sizeof(p) - j, &order[k], vendor8, model16, out)) {
                scsi_id_reformat(out);
                return 0;
            }
        }
    }
    out[0] = '\0';
    return -ENOENT;
}

int scsi_id_from_pg80(const uint8_t *pg, size_t len, const char *vendor8,
                      const char *model16, char out[SCSI_ID_MAX])
{
    uint8_t p[SCSI_ID_INQ_LEN] = {0};

    memcpy(p, pg, len < sizeof(p) ? len : sizeof(p));
    out[0] = '\0';
    if (len < 4 || p[1] != 0x80)
        return -EINVAL;
    size_t n = p[3];
    if (1 + VENDOR_LEN + MODEL_LEN + n > SCSI_ID_MAX || 4 + n > sizeof(p))
        return -ENOENT;
    if (!vendor_model_ok(vendor8, model16))
        return -ENOENT;
    memset(out, 0, SCSI_ID_MAX);
    out[0] = 'S';
    memcpy(out + 1, vendor8, VENDOR_LEN);
    memcpy(out + 1 + VENDOR_LEN, model16, MODEL_LEN);
    memcpy(out + 1 + VENDOR_LEN + MODEL_LEN, p + 4, n);
    scsi_id_reformat(out);
    return 0;
}

/* Length of the valid UTF-8 sequence at s (systemd's rules), 0 if invalid. */
static int utf8_valid_len(const unsigned char *s)
{
    int len;
    uint32_t c;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        c = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        c = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        c = s[0] & 0x07;
    } else if ((s[0] & 0xfc) == 0xf8) {
        len = 5;
        c = s[0] & 0x03;
    } else if ((s[0] & 0xfe) == 0xfc) {
        len = 6;
        c = s[0] & 0x01;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;       /* also stops at the NUL */
        c = (c << 6) | (s[i] & 0x3f);
    }
    int enc = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : c < 0x200000 ? 4
              : c < 0x4000000 ? 5 : 6;
    if (enc != len)
        return 0;           /* overlong */
    if (c >= 0x110000 || (c & 0xfffff800) == 0xd800 || (c >= 0xfdd0 && c <= 0xfdef) ||
        (c & 0xfffe) == 0xfffe)
        return 0;
    return len;
}

void scsi_id_reformat(char s[SCSI_ID_MAX])
{
    /* udev_replace_whitespace(str, to, 255): trim, runs of space -> '_'. */
    char to[SCSI_ID_MAX];
    const size_t lim = SCSI_ID_MAX - 1;
    size_t i = strspn(s, " \t\n\r"), j = 0;
    bool space = false;

    for (; j < lim && i < lim && s[i] != '\0'; i++) {
        if (isspace((unsigned char)s[i])) {
            space = true;
            continue;
        }
        if (space) {
            if (j + 1 >= lim)
                break;
            to[j++] = '_';
            space = false;
        }
        to[j++] = s[i];
    }
    to[j] = '\0';

    /* udev_replace_chars(str, NULL): keep [0-9A-Za-z#+-.:=@_], "\x"
     * escapes and valid UTF-8; everything else becomes '_'. */
    for (i = 0; to[i] != '\0';) {
        unsigned char c = (unsigned char)to[i];
        if ((c < 0x80 && isalnum(c)) || (c != '\0' && strchr("#+-.:=@_", c))) {
            i++;
            continue;
        }
        if (c == '\\' && to[i + 1] == 'x') {
            i += 2;
            continue;
        }
        int n = utf8_valid_len((const unsigned char *)to + i);
        if (n > 1) {
            i += (size_t)n;
            continue;
        }
        to[i++] = '_';
    }
    memcpy(s, to, j + 1);
}

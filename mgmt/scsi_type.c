#include "scsi_type.h"

/* lsscsi's short names without its column padding (SPC-6 table 6). */
static const char *const names[32] = {
    "disk",    "tape",    "printer", "process", "worm",    "cd/dvd",  "scanner", "optical",
    "mediumx", "comms",   "(0xa)",   "(0xb)",   "storage", "enclosu", "sim dsk", "opti rd",
    "bridge",  "osd",     "adi",     "sec man", "zbc",     "(0x15)",  "(0x16)",  "(0x17)",
    "(0x18)",  "(0x19)",  "(0x1a)",  "(0x1b)",  "(0x1c)",  "(0x1d)",  "wlun",    "no dev",
};

const char *scsi_type_name(int type_id)
{
    if (type_id < 0 || type_id >= 32)
        return (void *)0;
    return names[type_id];
}

/*
 * What the VM tests (test_sg_real, test_tape_real) read from the real
 * kernel's SCSI sysfs, and their shared data pattern.
 */
#ifndef PVSCSI_VM_SCSI_H
#define PVSCSI_VM_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /sys/bus/scsi/devices/<hctl>/<attr>, first line, trailing blanks cut.
 * 0, or -1 when it cannot be read. */
int vm_read_attr(const char *hctl, const char *attr, char *out, size_t size);
/* The first SCSI device (readdir order) of peripheral type `type` (-1:
 * any) whose vendor and model are these (NULL: any): its H:C:T:L in out. */
bool vm_find_device(int type, const char *vendor, const char *model, char *out, size_t size);
/* The sg node name of a device ("sgN") into out; "" when it has none. */
void vm_sg_name(const char *hctl, char *out, size_t size);
/* Cuts trailing blanks and newlines (sysfs attributes, INQUIRY strings). */
void vm_trim(char *s);

#include "testdata.h"   /* testdata_fill: the data pattern */

#endif

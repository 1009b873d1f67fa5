/*
 * Commands a previous opener left running on an sg device. When pvscsid
 * dies with commands in flight, sg lets them run to completion in the
 * background, but lets a new process open the device (even O_EXCL) at
 * once. A command the new pvscsid then runs again (a disk write) could be
 * overtaken by the old one, and a later write of the guest with it. Until
 * those are done, /proc/scsi/sg/debug still lists the dead opener's file
 * for the device (besides ours).
 */
#ifndef PVSCSID_SG_LEFTOVERS_H
#define PVSCSID_SG_LEFTOVERS_H

#define SG_LEFTOVERS_PROC "/proc/scsi/sg/debug"

/* In the text of /proc/scsi/sg/debug: the files of device sg_name ("sg3")
 * besides one (ours). 0 when it is not listed. */
unsigned sg_leftovers_count(const char *debug_text, const char *sg_name);

/* Waits, polling `proc` every 20 ms for at most max_ms, until device
 * sg_name has no other file than ours. The number still there (0: none),
 * or -errno when proc cannot be read (no CONFIG_SCSI_PROC_FS). */
int sg_leftovers_wait(const char *proc, const char *sg_name, unsigned max_ms);

#endif

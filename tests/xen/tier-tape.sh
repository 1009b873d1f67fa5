#!/bin/bash
# Tape tier: tape drive, media changer and optical drive passthrough on a
# real kernel, without Xen. Debian's kernel boots under qemu-system-x86_64
# -accel tcg with a tgt virtual tape library on iSCSI loopback
# (guest/vtl-up.sh: one drive, one changer, two cartridges) and QEMU's
# scsi-cd holding an ISO image; inside it tests/vm/test_tape_real runs
# pvscsid over the hypervisor simulator with the simulated guest against the
# real /dev/sgN of each (see that file for what it checks).
#
#   tests/xen/tier-tape.sh            run it; TAP lines, exit 1 on any failure
#   XT_SHELL=1 tests/xen/tier-tape.sh a root shell in the VM instead (sh /vt/run-test)
#   XT_VERBOSE=1                      the serial console live on stdout too
#   SG_LOG_LEVEL=debug                the daemon's log level (default info)
#   SG_DATAPATH=map                   the daemon with --datapath map (default copy)
# Build: $XT_SRC/build-vm (release, simulator). Log: $XT_CACHE/tape.log.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
xt_fetch
xt_build_vm test_tape_real

W=$XT_CACHE/work-tape
R=$W/root
rm -rf "$W"; mkdir -p "$R/vt"
cp "$XT_SRC/tests/vm/tape-init" "$R/init"
xt_add_vtl "$R"
xt_add_bins "$R" /usr/lib/xen-4.17/bin/xenstored \
    "$VB/tests/integration/pvscsid-sim" "$VB/mgmt/pvscsictl" \
    "$VB/tests/xenstored/xsshim.so" "$VB/tests/vm/test_tape_real" \
    /usr/bin/sg_inq /lib/x86_64-linux-gnu/libgcc_s.so.1
# the optical medium; the test compares every block the guest reads with it
xt_make_iso "$W/cd.iso"
cp "$W/cd.iso" "$R/vt/cd.iso"
cat > "$R/vt/run-test" <<RUN
export PVSCSID_SIM=$VB/tests/integration/pvscsid-sim
export PVSCSICTL=$VB/mgmt/pvscsictl
export SG_LOG_LEVEL=${SG_LOG_LEVEL:-info}
export SG_DATAPATH=${SG_DATAPATH:-copy}
export VT_REQUIRE=1
cd /tmp
$VB/tests/vm/test_tape_real | awk '{ print "VT " \$0; fflush() }'
RUN
xt_initramfs "$W/initrd.gz" "$R" "sg st ch sr_mod crc32c_generic iscsi_tcp virtio_pci virtio_scsi scsi_debug" ||
    xt_die "initramfs"

QARGS=(-cpu "$XT_CPU" -smp 2 -m 1024 -kernel "$XT_VMLINUZ" -initrd "$W/initrd.gz"
       -device virtio-scsi-pci,id=vs0
       -drive file="$W/cd.iso",if=none,format=raw,media=cdrom,readonly=on,id=cd0
       -device scsi-cd,drive=cd0,bus=vs0.0)
CMD="console=ttyS0 loglevel=${XT_KLOGLEVEL:-4} panic=-1"
if [ "${XT_SHELL:-0}" = 1 ]; then
    echo "VM shell: the test is 'sh /vt/run-test'; Ctrl-a x quits QEMU"
    exec qemu-system-x86_64 -accel tcg -nographic -no-reboot "${QARGS[@]}" -append "$CMD vt.shell"
fi
LOG=$XT_CACHE/tape.log
t0=$(xt_now)
xt_qemu "$LOG" "${XT_TIMEOUT:-900}" "${QARGS[@]}" -append "$CMD"
qrc=$?
echo "# tape tier: QEMU exit $qrc after $(xt_since "$t0") s; serial log $LOG"
xt_vt_results "$LOG" "$qrc"

#!/bin/bash
# sg tier: sg passthrough on a real kernel, without Xen. Debian's kernel boots
# under qemu-system-x86_64 -accel tcg with scsi_debug (16 MiB) and sg; inside
# it tests/vm/test_sg_real runs pvscsid over the hypervisor simulator (as
# pvscsid-sim, a release build), a private real xenstored and the simulated
# guest against the real /dev/sgN: INQUIRY, READ CAPACITY, write/read/compare,
# 16 in flight, a bad LBA's sense, a command timeout, the device deleted
# mid-I/O, QEMU's virtio-scsi disk, and whole-HBA mode on a second scsi_debug
# host whose LUN is deleted and scanned back in (the kernel's uevents: no
# udevd runs in the VM).
#
#   tests/xen/tier-sg.sh            run it; TAP lines, exit 1 on any failure
#   XT_SHELL=1 tests/xen/tier-sg.sh a root shell in the VM instead (sh /vt/run-test)
#   XT_VERBOSE=1                    the serial console live on stdout too
#   SG_LOG_LEVEL=debug              the daemon's log level (default info)
#   XT_KLOGLEVEL=7                  kernel console log level (default 4; 7 shows the SCSI error handler)
# Build: $XT_SRC/build-vm (release, simulator). Log: $XT_CACHE/sg.log.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
xt_fetch
xt_build_vm test_sg_real

W=$XT_CACHE/work-sg
R=$W/root
rm -rf "$W"; mkdir -p "$R/vt"
cp "$XT_SRC/tests/vm/init" "$R/init"
# Every binary at its own absolute path (the test finds xsshim.so at its
# build path, compiled in), with its libraries.
xt_add_bins "$R" /usr/lib/xen-4.17/bin/xenstored \
    "$VB/tests/integration/pvscsid-sim" "$VB/mgmt/pvscsictl" \
    "$VB/tests/xenstored/xsshim.so" "$VB/tests/vm/test_sg_real" \
    /usr/bin/sg_inq /usr/bin/sg_readcap \
    /lib/x86_64-linux-gnu/libgcc_s.so.1   # glibc dlopens it for pthread_cancel
cat > "$R/vt/run-test" <<RUN
export PVSCSID_SIM=$VB/tests/integration/pvscsid-sim
export PVSCSICTL=$VB/mgmt/pvscsictl
export SG_LOG_LEVEL=${SG_LOG_LEVEL:-info}
export SG_DATAPATH=${SG_DATAPATH:-copy}
cd /tmp
$VB/tests/vm/test_sg_real | awk '{ print "VT " \$0; fflush() }'
RUN
truncate -s 64M "$W/disk.img"
xt_initramfs "$W/initrd.gz" "$R" "sg scsi_debug virtio_pci virtio_scsi" || xt_die "initramfs"

# a virtio-scsi disk too: a real HBA driver next to scsi_debug
QARGS=(-cpu "$XT_CPU" -smp 2 -m 1024 -kernel "$XT_VMLINUZ" -initrd "$W/initrd.gz"
       -device virtio-scsi-pci,id=vs0 -drive file="$W/disk.img",if=none,format=raw,id=d0
       -device scsi-hd,drive=d0,bus=vs0.0)
CMD="console=ttyS0 loglevel=${XT_KLOGLEVEL:-4} panic=-1"
if [ "${XT_SHELL:-0}" = 1 ]; then
    echo "VM shell: the test is 'sh /vt/run-test'; Ctrl-a x quits QEMU"
    exec qemu-system-x86_64 -accel tcg -nographic -no-reboot "${QARGS[@]}" -append "$CMD vt.shell"
fi
LOG=$XT_CACHE/sg.log
t0=$(xt_now)
xt_qemu "$LOG" "${XT_TIMEOUT:-900}" "${QARGS[@]}" -append "$CMD"
qrc=$?
echo "# sg tier: QEMU exit $qrc after $(xt_since "$t0") s; serial log $LOG"

xt_vt_results "$LOG" "$qrc"

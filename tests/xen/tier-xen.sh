#!/bin/bash
# Xen tier: Xen 4.17 + Debian's kernel as PV dom0 + a PV domU, all under
# qemu-system-x86_64 -accel tcg. pvscsid (release build, the real Xen
# libraries) runs in dom0 and serves the domU's xen-scsifront. Two scenarios:
#   XT_SCENARIO=e2e  (default) guest/dom0-e2e.sh + guest/domU-init: disks,
#                    hotplug, frontend reload, destroy with I/O in flight
#   XT_SCENARIO=tape guest/dom0-tape.sh + guest/domU-tape.sh: a tgt tape
#                    library and a CD-ROM used by the domU's st/ch/sr with
#                    mtx, mt-st, tar and mount (tier-xentape.sh runs this)
# Both restart pvscsid in dom0 under the guest's I/O (guest/dom0-restart.sh,
# guest/domU-restart.sh): SIGTERM and kill -9 under fio with verify; between
# and during tape commands.
#   XT_DOMU_KERNEL=6.12              the domU runs Debian's linux-image-6.12-amd64
#                                    (dom0 keeps the default; tier-xen612.sh,
#                                    tier-xentape612.sh)
#
#   tests/xen/tier-xen.sh            run it; TAP lines, exit 1 on any failure
#   XT_REF=1 tests/xen/tier-xen.sh   also time the in-kernel xen-scsiback reference
#   XT_SHELL=1 tests/xen/tier-xen.sh a root shell in dom0 instead of the scenario
#   XT_VERBOSE=1                     the serial console live on stdout too
# Log: $XT_CACHE/xen.log, xen-tape.log, xen-612.log, xen-tape-612.log (the
# serial console: Xen, dom0, [domU], [pvscsid]).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
xt_fetch
xt_build
xt_install fio
# the domU's kernel and modules: dom0's, or XT_DOMU_KERNEL's
[ -n "${XT_DOMU_KERNEL:-}" ] && xt_fetch_domU_kernel "$XT_DOMU_KERNEL"
G=$XT_DIR/guest
SCENARIO=${XT_SCENARIO:-e2e}
[ -f "$G/dom0-$SCENARIO.sh" ] || xt_die "no scenario $SCENARIO (guest/dom0-$SCENARIO.sh)"
W=$XT_CACHE/work-xen
rm -rf "$W"; mkdir -p "$W/domU" "$W/dom0/xt"

# domU: scsifront, sd, sg, st, ch, sr, ext4 (for ext2); sg3-utils, mt-st,
# mtx, tar, fio, xenstore-read (dom0's word on the restarts)
cp "$G/domU-init" "$W/domU/init"
mkdir -p "$W/domU/xt"; cp "$G/domU-tape.sh" "$G/domU-restart.sh" "$W/domU/xt/"
xt_add_bins "$W/domU" /usr/bin/sg_inq /usr/bin/sg_readcap /usr/bin/sg_luns /usr/bin/sg_dd /usr/bin/lsscsi \
    /usr/bin/sg_raw /usr/bin/sg_write_buffer /usr/bin/sg_format /usr/bin/sg_opcodes \
    /usr/bin/fio /usr/bin/xenstore-read
xt_add_tape_tools "$W/domU"
XT_KROOT=${XT_DOMU_KROOT:-$XT_KROOT} XT_KVER=${XT_DOMU_KVER:-$XT_KVER} \
    xt_initramfs "$W/initrd-domU.gz" "$W/domU" "xen-scsifront sd_mod sg st ch sr_mod isofs ext4" ||
    xt_die "domU initramfs"

# dom0: the Xen userspace, pvscsid, the scenario scripts, the tape library,
# the domU's kernel and initramfs
D0=$W/dom0
xt_xen_dom0 "$D0" "$W/initrd-domU.gz"
xt_make_iso "$W/cd.iso" # the CD-ROM's medium
xt_initramfs "$W/initrd-dom0.gz" "$D0" "$XT_DOM0_MODS" || xt_die "dom0 initramfs"

DOM0_CMD="xt.scenario=$SCENARIO"
[ "${XT_REF:-0}" = 1 ] && DOM0_CMD="$DOM0_CMD xt.ref"
[ "${XT_SHELL:-0}" = 1 ] && DOM0_CMD="$DOM0_CMD xt.shell"
xt_xen_qargs "$W/initrd-dom0.gz" "$DOM0_CMD"
QARGS+=(-device virtio-scsi-pci,id=vs0
        -drive file="$W/cd.iso",if=none,format=raw,media=cdrom,readonly=on,id=cd0
        -device scsi-cd,drive=cd0,bus=vs0.0)
if [ "${XT_SHELL:-0}" = 1 ]; then
    echo "dom0 shell: the scenario is 'sh /xt/dom0-$SCENARIO.sh'; Ctrl-a x quits QEMU"
    exec qemu-system-x86_64 -accel tcg -nographic -no-reboot "${QARGS[@]}"
fi
LOG=$XT_CACHE/xen.log
[ "$SCENARIO" = e2e ] || LOG=$XT_CACHE/xen-$SCENARIO.log
[ -n "${XT_DOMU_KERNEL:-}" ] && LOG=${LOG%.log}-${XT_DOMU_KERNEL//./}.log
t0=$(xt_now)
xt_qemu "$LOG" "${XT_TIMEOUT:-1500}" "${QARGS[@]}"
qrc=$?
echo "# xen tier ($SCENARIO): QEMU exit $qrc after $(xt_since "$t0") s; serial log $LOG"
echo "# domU kernel: $(sed -n 's/.*XU: domU init, mode [a-z]*, kernel \([^ ]*\).*/\1/p' "$LOG" | head -1)"

# results: every "XT PASS|FAIL" line of dom0 and the guests, plus completion
n=0 bad=0
while IFS= read -r line; do
    n=$((n + 1))
    case $line in
        PASS*) echo "ok $n - ${line#PASS }" ;;
        *) echo "not ok $n - ${line#FAIL }"; bad=$((bad + 1)) ;;
    esac
done < <(sed -n 's/.*XT \(PASS\|FAIL\) \(.*\)$/\1 \2/p' "$LOG")
n=$((n + 1))
if grep -q "XT0: XT-END" "$LOG" && [ "$qrc" = 0 ]; then echo "ok $n - scenario ran to its end, QEMU exited"
else echo "not ok $n - scenario did not complete (QEMU exit $qrc; last lines:)"; tail -15 "$LOG" | sed 's/^/#   /'; bad=$((bad + 1)); fi
# the tape scenario's reference: each step's outcome against xen-scsiback,
# reported (not counted: the kernel backend's failures are not ours)
if grep -q "XR \(PASS\|FAIL\)" "$LOG"; then
    echo "# the same domU workflow against the in-kernel xen-scsiback + LIO pscsi (reference, not counted):"
    sed -n 's/.*XR \(PASS\|FAIL\) \(.*\)$/#   \1 \2/p' "$LOG"
    echo "# reference: $(grep -c 'XR PASS' "$LOG") steps passed, $(grep -c 'XR FAIL' "$LOG") failed" |
        tee "${LOG%.log}-reference.txt"
fi
# the same guest I/O through pvscsid and through the in-kernel xen-scsiback
sed -n 's/.*XU TIME \([^ ]*\) \([^ ]*\) \([0-9.]*\)$/\1 \2 \3/p' "$LOG" | awk '
    { t[$1 " " $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } }
    END {
        if (k == 0) exit
        printf "# %-24s %10s %14s %7s\n", "guest I/O (TCG)", "pvscsid s", "xen-scsiback s", "ratio"
        for (i = 1; i <= k; i++) {
            p = t["pvscsid " order[i]]; r = t["xen-scsiback " order[i]]
            printf "# %-24s %10s %14s %7s\n", order[i], p, (r == "" ? "-" : r),
                   (p != "" && r + 0 > 0 ? sprintf("%.2f", p / r) : "-")
        }
    }' | tee "${LOG%.log}-timing.txt"
echo "1..$n"
echo "# xen tier ($SCENARIO): $((n - bad)) passed, $bad failed"
[ "$bad" = 0 ]

#!/bin/bash
# Performance tier (a benchmark, not a pass/fail test; not in run.sh's
# default tiers nor in .ci/run): Xen 4.17 + PV dom0 + one PV domU under QEMU
# TCG, as the xen tier. The domU runs fio on dom0's scsi_debug disk
# (delay=0) and streams to a tgt tape drive (cartridge on tmpfs), served in
# turn by pvscsid and by the in-kernel xen-scsiback + LIO pscsi in the same
# boot: round 1 pvscsid, round 1 xen-scsiback, round 2 pvscsid, ... dom0's
# CPU is sampled around every job. Prints the tables (perf-report.sh), keeps
# the log and the tables under $XT_CACHE/perf/<date>/. Exit 0 when every run
# completed and every data check (fio verify=crc32c, tape md5) passed.
#
#   tests/xen/run.sh perf              setup + this tier
#   tests/xen/tier-perf.sh             this tier alone (after one run.sh)
#   XT_PERF_ROUNDS=3                   rounds per backend
#   XT_PERF_JOBS="4k-randread-qd1 ..." fio jobs, SIZE-RW-qdN (default: all eight below)
#   XT_PERF_RUNTIME=10                 seconds per fio job (time-based)
#   XT_PERF_TAPE=1                     the tape stream (0: fio only)
#   XT_PERF_TAPE_MB=30                 MiB per tape stream (a multiple of 15: whole records of each size)
#   XT_PERF_TAPE_BS="65536 262144 491520"   tape record sizes (bytes)
#   XT_PERF_STRACE=1                   strace -c of pvscsid over an extra QD1 and QD16 run
#   XT_PERF_PROFILE=1                  perf record -a (cpu-clock) of dom0 over an extra 4 KiB QD16
#                                      and 1 MiB QD4 run, each backend, last round
#   XT_PERF_IDLE=5                     seconds of idle CPU sampled per round
#   XT_PERF_PVSCSID_ARGS="..."         pvscsid's options (default: none but -f)
#   XT_PERF_SG_DIO=1                   dom0's sg allow_dio during pvscsid's rounds (1, as
#                                      pvscsid.service sets it; 0: sg copies, the kernel's default)
#   XT_VERBOSE=1                       the serial console live
set -uo pipefail
. "$(dirname "$0")/lib.sh"
xt_fetch
xt_build
xt_install fio strace linux-perf   # their binaries and libraries go into the VM
G=$XT_DIR/guest
W=$XT_CACHE/work-perf
rm -rf "$W"; mkdir -p "$W/domU/xt" "$W/dom0/xt"
ALL_JOBS="4k-randread-qd1 4k-randread-qd16 4k-randwrite-qd16 64k-read-qd1 1m-read-qd1 1m-read-qd4 1m-write-qd1 1m-write-qd4"
ROUNDS=${XT_PERF_ROUNDS:-3}
JOBS=${XT_PERF_JOBS:-$ALL_JOBS}
RUNTIME=${XT_PERF_RUNTIME:-10}
TAPE=${XT_PERF_TAPE:-1}
for j in $JOBS; do
    [[ $j =~ ^[0-9]+[km]-(read|write|randread|randwrite)-qd[0-9]+$ ]] || xt_die "bad job name $j (SIZE-RW-qdN, e.g. 4k-randread-qd16)"
done

# domU: xen-scsifront, sd, sg, st; fio and its libraries, the xenstore tools
# (dom0's commands come through xenstore), mt-st
cp "$G/domU-init" "$W/domU/init"
cp "$G/domU-perf.sh" "$W/domU/xt/"
xt_add_bins "$W/domU" /usr/bin/fio /usr/bin/xenstore-{read,write,watch} /usr/bin/lsscsi
xt_add_tape_tools "$W/domU"
xt_initramfs "$W/initrd-domU.gz" "$W/domU" "xen-scsifront sd_mod sg st" || xt_die "domU initramfs"

# dom0: as the xen tier's, plus strace, mtx, and the settings
D0=$W/dom0
xt_xen_dom0 "$D0" "$W/initrd-domU.gz"
xt_add_bins "$D0" /usr/bin/strace /usr/bin/perf
xt_add_tape_tools "$D0"
cat > "$D0/xt/perf.conf" <<EOF
PERF_ROUNDS='$ROUNDS'
PERF_JOBS='$JOBS'
PERF_RUNTIME='$RUNTIME'
PERF_TAPE='$TAPE'
PERF_TAPE_MB='${XT_PERF_TAPE_MB:-30}'
PERF_TAPE_BS='${XT_PERF_TAPE_BS:-65536 262144 491520}'
PERF_STRACE='${XT_PERF_STRACE:-1}'
PERF_STRACE_JOBS='4k-randread-qd1 4k-randread-qd16'
PERF_PROFILE='${XT_PERF_PROFILE:-1}'
PERF_PROFILE_JOBS='4k-randread-qd16 1m-read-qd4'
PERF_IDLE='${XT_PERF_IDLE:-5}'
PERF_PVSCSID_ARGS='${XT_PERF_PVSCSID_ARGS:-}'
PERF_SG_DIO='${XT_PERF_SG_DIO:-1}'
PERF_DISK_MB=128
PERF_DOMU_MB=512
EOF
xt_initramfs "$W/initrd-dom0.gz" "$D0" "$XT_DOM0_MODS" || xt_die "dom0 initramfs"
xt_xen_qargs "$W/initrd-dom0.gz" "xt.scenario=perf"

LOG=$XT_CACHE/xen-perf.log
njobs=$(echo "$JOBS" | wc -w)
# the bound: boot, then per backend and round the jobs, verify, tape, switching
tmo=$((900 + ROUNDS * 2 * (njobs * (RUNTIME + 30) + 600)))
echo "# perf tier: $ROUNDS rounds per backend, jobs: $JOBS; ${RUNTIME} s each; tape ${TAPE}; bound ${tmo} s"
echo "# pvscsid: $XT_BUILD/backend/pvscsid ($(cd "$XT_SRC" && git describe --always --dirty 2>/dev/null))"
# the host is shared: its load says how much the figures can be trusted
echo "# host: $(nproc) CPUs, $(uname -r), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(xt_now)
xt_qemu "$LOG" "$tmo" "${QARGS[@]}"
qrc=$?
echo "# perf tier: QEMU exit $qrc after $(xt_since "$t0") s; serial log $LOG; host load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

OUT=$XT_CACHE/perf/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
cp "$LOG" "$OUT/xen-perf.log"
"$XT_DIR/perf-report.sh" "$LOG" | tee "$OUT/results.md"
grep -a 'XP \|XT \(PASS\|FAIL\)' "$LOG" > "$OUT/raw.txt"

# complete? every run answered, every check passed, the scenario reached its end
bad=0
fails=$(grep -ac 'XT FAIL' "$LOG")
[ "$fails" = 0 ] || { echo "# FAILED steps:"; grep -a 'XT FAIL' "$LOG" | sed 's/^/#   /'; bad=1; }
want=$((ROUNDS * 2 * njobs))
got=$(grep -a 'XP FIO ' "$LOG" | grep -v ' strace \| profile ' | grep -c ' rc=0$')
[ "$got" = "$want" ] || { echo "# $got of $want fio runs completed"; bad=1; }
vok=$(grep -ac 'XT PASS domU: .* fio verify=crc32c' "$LOG")
[ "$vok" = $((ROUNDS * 2)) ] || { echo "# DATA VERIFY: $vok of $((ROUNDS * 2)) verify passes passed"; bad=1; }
if ! grep -aq "XT0: XT-END" "$LOG" || [ "$qrc" != 0 ]; then
    echo "# the scenario did not complete (QEMU exit $qrc); last lines:"; tail -15 "$LOG" | sed 's/^/#   /'; bad=1
fi
echo "# results: $OUT/results.md, raw lines $OUT/raw.txt, log $OUT/xen-perf.log"
if [ $bad = 0 ]; then echo "# perf tier: complete, data verified"; else echo "# perf tier: INCOMPLETE or a data check FAILED"; fi
exit $bad

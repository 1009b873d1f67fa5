#!/bin/sh
# The performance tier's dom0 side (xt.scenario=perf; tier-perf.sh): one PV
# domU, served in turn by pvscsid and by the in-kernel xen-scsiback + LIO
# pscsi (round 1 pvscsid, round 1 xen-scsiback, round 2 pvscsid, ...), runs
# fio on dom0's scsi_debug disk (delay=0) and streams to a tgt tape drive
# whose cartridge is in RAM. Around each job dom0 samples its CPU. Only one
# backend serves backend/vscsi at a time: between rounds the guest unbinds
# its frontend, the backend stops (pvscsid: SIGTERM; xen-scsiback: its LIO
# configuration removed, rmmod) and the device's xenstore trees are removed.
#
# Settings: /xt/perf.conf (written by tier-perf.sh). The guest runs the jobs
# (domU-perf.sh); commands go to it through xenstore (data/xt-cmd, answered
# in data/xt-done), so nothing in dom0 polls while a job runs.
# Output lines (parsed on the host by perf-report.sh):
#   XP CPU BE ROUND JOB wall=S proc=T vcs=N nvcs=N irqthr=T user=T nice=T sys=T irq=T softirq=T idle=T iowait=T steal=T
#      deltas over the job; T in clock ticks (USER_HZ, 100/s): proc = pvscsid's
#      utime+stime (all threads), vcs/nvcs = its threads' context switches,
#      irqthr = the irq/*-vscsiif threads' utime+stime, the rest /proc/stat's cpu line
#   XP FIO ..., XP TAPE ... (the guest), XP STRACE ... (pvscsid's syscalls)
#   XT PASS|FAIL dom0: ... (setup steps; a FAIL fails the tier)
. /xt/dom0-lib.sh
. /xt/perf.conf
NAME=domUperf
WWN=naa.6001405000000031 NEXUS=naa.6001405000000032
C=/sys/kernel/config/target

# ---- dom0's devices: scsi_debug with delay=0 (the answer in the submitter's
# context: the backend is what is measured), the tape library on a tmpfs
sdbg_ko=$(grep '/scsi_debug\.ko$' /etc/xt-modules)
rmmod scsi_debug 2>/dev/null
if insmod "$sdbg_ko" dev_size_mb="$PERF_DISK_MB" delay=0; then
    pass "scsi_debug dev_size_mb=$PERF_DISK_MB delay=0"
else fail "insmod scsi_debug delay=0"; say "XT-END"; exit 0; fi
sleep 1
SDBG=""
for d in /sys/bus/scsi/devices/[0-9]*:*:*:*; do
    grep -q scsi_debug "$d/model" 2>/dev/null && SDBG=${d##*/} && break
done
[ -n "$SDBG" ] || { fail "no scsi_debug device"; say "XT-END"; exit 0; }
SDBG_BLK=/dev/$(ls "/sys/bus/scsi/devices/$SDBG/block")
say "scsi_debug is $SDBG ($SDBG_BLK), $(cat /sys/bus/scsi/devices/$SDBG/queue_depth 2>/dev/null) queue depth"
TAPE=""
if [ "$PERF_TAPE" = 1 ]; then
    ip link set lo up
    mkdir -p /srv/vtl && mount -t tmpfs -o size=$((PERF_TAPE_MB * 2 + 64))m tmpfs /srv/vtl
    VTL_TAPE_MB=$((PERF_TAPE_MB + 32)) sh /xt/vtl-up.sh /srv/vtl > /tmp/vtl.log 2>&1; vrc=$?
    sed 's/^/XT0: /' /tmp/vtl.log
    for d in /sys/bus/scsi/devices/[0-9]*:*:*:*; do
        [ "$(cat "$d/type" 2>/dev/null)" = 1 ] && TAPE=${d##*/} && break
    done
    SCH=$(ls /sys/class/scsi_changer 2>/dev/null | head -1)
    # TAPE0001 into the drive: dom0's own ch driver, mtx
    if [ $vrc = 0 ] && [ -n "$TAPE" ] && [ -n "$SCH" ] && mtx -f "/dev/$SCH" load 1 0 >/tmp/mtx.log 2>&1; then
        pass "tape library up (backing store on tmpfs), TAPE0001 loaded in drive $TAPE"
    else
        cat /tmp/mtx.log; fail "tape library (vtl-up.sh exit $vrc, tape '$TAPE', changer '$SCH')"; TAPE=""
    fi
fi

# ---- the guest, empty: LUNs come and go with the backends. Its console is
# copied to ours at the end (no tail -F running in dom0 while jobs run).
xl create "$CFG" "name=\"$NAME\"" "memory=$PERF_DOMU_MB" \
    "extra=\"console=hvc0 loglevel=4 xt.mode=perf xt.tapemb=$PERF_TAPE_MB\"" > /tmp/xl-create.log 2>&1 ||
    { cat /tmp/xl-create.log; fail "xl create $NAME"; say "XT-END"; exit 0; }
D=$(xl domid $NAME)
GS=/local/domain/$D/data
BE_TREE=/local/domain/0/backend/vscsi/$D
FE_TREE=/local/domain/$D/device/vscsi

# The guest's answers: one xenstore watch on data/xt-done for the whole run,
# its events on fd 3 (registered before any command: no answer is missed,
# and nothing polls while a job runs)
mkfifo /tmp/xt-done.fifo
xenstore-watch "$GS/xt-done" > /tmp/xt-done.fifo 2>/dev/null &
exec 3< /tmp/xt-done.fifo
read -r _ <&3    # the watch's first event: it is registered
# gwait SEQ SECONDS: the guest's answer to command SEQ (GST: its status)
gwait() {
    t0=$(up)
    while :; do
        rep=$(xenstore-read "$GS/xt-done" 2>/dev/null)
        [ "${rep%% *}" = "$1" ] && { GST=${rep#* }; return 0; }
        [ "$(since "$t0" | cut -d. -f1)" -ge "$2" ] && { GST="timeout after $2 s"; return 1; }
        read -r -t 10 _ <&3
    done
}
SEQ=0
# gcmd SECONDS WORD...: a command to the guest; 0 when it answers "ok"
# (otherwise the end of the guest's console goes to ours)
gcmd() {
    tmo=$1; shift
    SEQ=$((SEQ + 1))
    xenstore-write "$GS/xt-cmd" "$SEQ $*"
    gwait $SEQ "$tmo" && [ "$GST" = ok ] && return 0
    # (its XP/XT lines defused: the guest's whole console is copied at the end)
    tail -n 30 "$LOGDIR/guest-$NAME.log" | sed "s/^/[$NAME tail] /; s/X\([PT]\) /x\1 /"
    return 1
}
if gwait 0 300 && [ "$GST" = ready ]; then pass "guest $NAME (domain $D) ready for commands"
else fail "guest $NAME not ready ($GST)"; say "XT-END"; exit 0; fi

# ---- CPU samples. cpu_sample reads a few files only (under TCG a fork
# and a read of every /proc/N/stat cost dom0 much CPU, and the sample is at
# the window's edge); ps_list, outside the window, lists every process.
# IRQPIDS: the kernel backend's irq/*-vscsiif threads (found after attach)
irq_pids() {
    IRQPIDS=""
    for c in /proc/[0-9]*/comm; do
        case $(cat "$c" 2>/dev/null) in irq/*-vscsi*) c=${c%/comm}; IRQPIDS="$IRQPIDS ${c#/proc/}" ;; esac
    done
}
# cpu_sample: "pvscsid-ticks vcs nvcs irqthread-ticks user nice system idle
# iowait irq softirq steal uptime" (ticks: utime+stime, USER_HZ)
cpu_sample() {
    f=/proc/stat
    [ -n "${PVSCSID:-}" ] && f="$f /proc/$PVSCSID/stat /proc/$PVSCSID/task/*/status"
    for q in $IRQPIDS; do f="$f /proc/$q/stat"; done
    # shellcheck disable=SC2086
    cat $f /proc/uptime 2>/dev/null | awk -v pv="${PVSCSID:-none}" '
        /^cpu / { c = $2 " " $3 " " $4 " " $5 " " $6 " " $7 " " $8 " " $9; next }
        /^voluntary_ctxt/ { v += $2; next }
        /^nonvoluntary_ctxt/ { n += $2; next }
        /^[0-9]+ \(/ {
            i = index($0, ") "); split(substr($0, i + 2), f, " ")   # f[1] is field 3: utime f[12], stime f[13]
            if ($1 == pv) p = f[12] + f[13]; else q += f[12] + f[13]
            next
        }
        NF == 2 && $1 ~ /^[0-9.]+$/ { u = $1 }
        END { print p + 0, v + 0, n + 0, q + 0, c, u }'
}
# ps_list a|b: /tmp/ps.a|b, every process's "pid/name utime+stime"
ps_list() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk '{ i = index($0, ") "); split(substr($0, i + 2), f, " ");
        print $1 "/" substr($0, length($1) + 3, i - length($1) - 3), f[12] + f[13] }' > "/tmp/ps.$1"
}
# top_line TAG: the dom0 processes that used the most CPU between the lists
# a and b (by pid; a process started in between counts whole)
top_line() {
    awk 'NR == FNR { split($1, k, "/"); a[k[1]] = $2; next }
        { split($1, k, "/"); d = $2 - a[k[1]]; if (d > 0) print d, $1 }' /tmp/ps.a /tmp/ps.b | sort -rn | head -8 |
        awk -v h="XP TOP $1" '{ s = s " " $2 "=" $1 } END { print h s }'
}
# cpu_line BE ROUND JOB "SAMPLE-BEFORE" "SAMPLE-AFTER"
cpu_line() {
    echo "$4 $5" | awk -v h="XP CPU $1 $2 $3" '{
        printf "%s wall=%.2f proc=%d vcs=%d nvcs=%d irqthr=%d user=%d nice=%d sys=%d idle=%d iowait=%d irq=%d softirq=%d steal=%d\n",
            h, $26 - $13, $14 - $1, $15 - $2, $16 - $3, $17 - $4, $18 - $5, $19 - $6, $20 - $7, $21 - $8,
            $22 - $9, $23 - $10, $24 - $11, $25 - $12 }'
}
# measured BE ROUND JOB SECONDS WORD...: a guest command with dom0's CPU around it
measured() {
    mbe=$1 mr=$2 mjob=$3 mtmo=$4; shift 4
    ps_list a; s0=$(cpu_sample)
    gcmd "$mtmo" "$@"; rc=$?
    s1=$(cpu_sample); ps_list b
    cpu_line "$mbe" "$mr" "$mjob" "$s0" "$s1"
    top_line "$mbe $mr $mjob"
    [ $rc = 0 ] || fail "$mbe round $mr: $mjob: guest answered '$GST'"
    return $rc
}

# ---- the two backends
LUNS=disk
[ -n "$TAPE" ] && LUNS="disk tape"
attach_pvscsid() {
    PLOG=/var/log/pvscsid-$1.log
    # sg's direct I/O, as pvscsid.service allows it (PERF_SG_DIO); it only
    # concerns programs asking for it: xen-scsiback's rounds do not
    echo "$PERF_SG_DIO" > /sys/module/sg/parameters/allow_dio ||
        fail "sg allow_dio=$PERF_SG_DIO"
    say "pvscsid with sg allow_dio=$(cat /sys/module/sg/parameters/allow_dio)"
    PVSCSID_ARGS="$PERF_PVSCSID_ARGS" start_pvscsid
    # paused: both LUNs go into the new device before the frontend sees it
    xl pause $NAME
    ok=1
    ctl vscsi-attach $NAME "$SDBG" 0:0:0:0 || ok=0
    [ -n "$TAPE" ] && { ctl vscsi-attach $NAME "$TAPE" 0:0:0:1 || ok=0; }
    xl unpause $NAME
    [ $ok = 1 ]
}
detach_pvscsid() {
    stop_pvscsid
    PVSCSID=""
}
insmod_all() { for m in $(grep -E "/($1)\.ko$" /etc/xt-modules); do insmod "$m" 2>/dev/null; done; }
attach_kernel() {
    insmod_all "configfs|target_core_mod|target_core_pscsi|xen-scsiback"
    mount -t configfs configfs /sys/kernel/config 2>/dev/null
    ok=1 n=0
    for hctl in $SDBG $TAPE; do
        IFS=: read -r h c t l <<EOT
$hctl
EOT
        # pscsi opens a disk by its block device, anything else by its sg node
        if [ $n = 0 ]; then path=$SDBG_BLK; else path=/dev/$(ls "/sys/bus/scsi/devices/$hctl/scsi_generic"); fi
        B=$C/core/pscsi_$n/dev$n
        { mkdir -p "$B" && echo "scsi_host_id=$h,scsi_channel_id=$c,scsi_target_id=$t,scsi_lun_id=$l" > "$B/control" &&
          echo "$path" > "$B/udev_path" && echo 1 > "$B/enable" &&
          mkdir -p "$C/xen-pvscsi/$WWN/tpgt_1/lun/lun_$n" &&
          ln -s "$B" "$C/xen-pvscsi/$WWN/tpgt_1/lun/lun_$n/port0"; } || ok=0
        n=$((n + 1))
    done
    echo $NEXUS > "$C/xen-pvscsi/$WWN/tpgt_1/nexus" || ok=0
    [ $ok = 1 ] || return 1
    # the device's trees as a toolstack writes them (see dom0-ref.sh)
    bp=$BE_TREE/0 fp=$FE_TREE/0
    xenstore-write $bp/frontend $fp $bp/frontend-id "$D" $bp/online 1 $bp/feature-host 0 \
        $bp/vscsi-devs/dev-0/p-dev $WWN:0 $bp/vscsi-devs/dev-0/v-dev 0:0:0:0 $bp/vscsi-devs/dev-0/state 1
    [ -n "$TAPE" ] && xenstore-write $bp/vscsi-devs/dev-1/p-dev $WWN:1 $bp/vscsi-devs/dev-1/v-dev 0:0:0:1 \
        $bp/vscsi-devs/dev-1/state 1
    xenstore-chmod -r $bp n0 r"$D"
    xenstore-write $fp/backend $bp $fp/backend-id 0
    xenstore-chmod -r $fp n"$D" r0
    xenstore-write $fp/state 1
    xenstore-chmod $fp/state n"$D" r0
    xenstore-write $bp/state 1
}
detach_kernel() {
    i=0; while [ -e "/sys/bus/xen-backend/devices/vscsi-$D-0" ] && [ $i -lt 40 ]; do sleep 0.25; i=$((i + 1)); done
    echo NULL > "$C/xen-pvscsi/$WWN/tpgt_1/nexus"
    for l in "$C/xen-pvscsi/$WWN/tpgt_1/lun"/lun_*; do rm -f "$l/port0"; rmdir "$l"; done
    rmdir "$C/xen-pvscsi/$WWN/tpgt_1" "$C/xen-pvscsi/$WWN" "$C/xen-pvscsi"
    for b in "$C"/core/pscsi_*; do rmdir "$b"/dev* "$b"; done
    rmmod xen_scsiback
}
# attach BE TAG / detach BE: one backend on, the guest's LUNs up / all off
attach() {
    if [ "$1" = pvscsid ]; then attach_pvscsid "$2"; else attach_kernel; fi ||
        { fail "$1: attach for $2"; return 1; }
    if gcmd 180 luns $LUNS; then pass "$1 $2: the guest sees its LUNs ($LUNS)"
    else fail "$1 $2: the guest's LUNs did not come ($GST)"; return 1; fi
    irq_pids
    [ "$1" = pvscsid ] || say "xen-scsiback's irq threads: $IRQPIDS"
}
detach() {
    gcmd 120 unbind || fail "$1: the guest did not unbind its frontend ($GST)"
    [ "$1" = pvscsid ] && detach_pvscsid
    IRQPIDS=""
    # the device nodes first: the guest's xenbus acts on device/vscsi/0 (a
    # removal of device/vscsi alone is an event it ignores)
    xenstore-rm "$FE_TREE/0"; xenstore-rm "$BE_TREE/0"
    xenstore-rm "$FE_TREE"; xenstore-rm "$BE_TREE"
    if [ "$1" = xen-scsiback ]; then
        detach_kernel && pass "xen-scsiback: LIO configuration removed, module unloaded" ||
            { fail "xen-scsiback: could not be unloaded: the next pvscsid round would share backend/vscsi with it"; return 1; }
    fi
    gcmd 120 gone || { fail "$1: the guest's vscsi device did not go ($GST)"; return 1; }
}

# ---- one backend's round: the fio jobs, the verify pass, the tape stream, idle
fio_jobs() {   # BE ROUND [TAG]
    for job in $PERF_JOBS; do
        set -- $(echo "$job" | sed 's/-qd/ /; s/^\([0-9]*[km]\)-/\1 /')   # 4k-randread-qd16 -> 4k randread 16
        measured "$be" "$r" "$job" $((PERF_RUNTIME + 120)) fio "$job" "$2" "$1" "$3" "$PERF_RUNTIME" "$be" "$r"
    done
}
round() {   # BE ROUND
    be=$1 r=$2
    say "round $r: $be"
    attach "$be" "round $r" || return 1
    fio_jobs
    if gcmd 600 verify "$be" "$r"; then pass "$be round $r: fio verify=crc32c passed"
    else fail "$be round $r: fio verify=crc32c: $GST"; fi
    if [ -n "$TAPE" ]; then
        gcmd 120 tapeprep $PERF_TAPE_BS || fail "$be round $r: tape rewind / setblk 0: $GST"
        for bs in $PERF_TAPE_BS; do
            measured "$be" "$r" "tape-write-$bs" 600 tapew "$bs" "$be" "$r"
            measured "$be" "$r" "tape-read-$bs" 600 taper "$bs" "$be" "$r"
            gcmd 300 tapecheck "$bs" "$be" "$r" || fail "$be round $r: tape $bs: $GST"
        done
        [ "$r" = 1 ] && gcmd 120 tape1m "$be" "$r"
    fi
    # idle, the guest connected: what the backend costs doing nothing
    ps_list a; s0=$(cpu_sample); sleep "$PERF_IDLE"; s1=$(cpu_sample); ps_list b
    cpu_line "$be" "$r" idle "$s0" "$s1"
    top_line "$be $r idle"
    [ "$be" = pvscsid ] && [ "$r" = "$PERF_ROUNDS" ] && [ "$PERF_STRACE" = 1 ] && strace_jobs
    [ "$r" = "$PERF_ROUNDS" ] && [ "$PERF_PROFILE" = 1 ] && profile_jobs
    detach "$be"
}
# strace_jobs: pvscsid's syscalls over one QD1 and one QD16 job (extra runs,
# not in the table: strace slows the daemon down)
strace_jobs() {
    command -v strace >/dev/null || { say "no strace in dom0: syscall counts skipped"; return; }
    for job in $PERF_STRACE_JOBS; do
        strace -c -f -p "$PVSCSID" -o "/tmp/strace-$job.txt" 2>/tmp/strace.err &
        sp=$!
        sleep 2
        set -- $(echo "$job" | sed 's/-qd/ /; s/^\([0-9]*[km]\)-/\1 /')
        measured pvscsid strace "$job" $((PERF_RUNTIME + 120)) fio "$job" "$2" "$1" "$3" "$PERF_RUNTIME" pvscsid strace
        kill -INT $sp; wait $sp
        sed "s/^/XP STRACE $job /" "/tmp/strace-$job.txt" "/tmp/strace.err"
    done
}

# profile_jobs: a profile of all of dom0 (perf record -a -g -e cpu-clock)
# over one QD16 and one 1 MiB job (extra runs, not in the tables), for both
# backends: where dom0's CPU goes, by process and function
profile_jobs() {
    command -v perf >/dev/null || { say "no perf in dom0: profiles skipped"; return; }
    for job in $PERF_PROFILE_JOBS; do
        perf record -a -g -e cpu-clock -F 499 -o "/tmp/perf-$job.data" >/tmp/perf.out 2>&1 &
        pp=$!
        sleep 2
        set -- $(echo "$job" | sed 's/-qd/ /; s/^\([0-9]*[km]\)-/\1 /')
        measured "$be" profile "$job" $((PERF_RUNTIME + 120)) fio "$job" "$2" "$1" "$3" "$PERF_RUNTIME" "$be" profile
        kill -INT $pp; wait $pp
        # by thread name and function, each with the call chains that led
        # there (in a PV dom0 most samples land on xen_hypercall_pv: the
        # timer's event is delivered as a hypercall returns, so the chains
        # say which hypercalls the time went to); the idle task left out
        perf report -i "/tmp/perf-$job.data" --stdio --no-children --sort comm,symbol --percent-limit 1 \
            -g callee,1,2 --max-stack 14 2>&1 | grep -v '^#' |
            awk 'BEGIN { RS = "" } !/^ *[0-9.]+% +swapper/ { print; print "" }' | grep -v '^$' | head -150 |
            sed "s/^/XP PROFILE $be $job /"
        tail -3 /tmp/perf.out | sed "s/^/XP PROFILE $be $job /"
        rm -f "/tmp/perf-$job.data"
    done
}

T0=$(up)
for r in $(seq 1 "$PERF_ROUNDS"); do
    for be in pvscsid xen-scsiback; do
        round "$be" "$r" || { fail "$be round $r did not complete: stopping"; break 2; }
    done
done
say "perf rounds done in $(since "$T0") s"
gcmd 30 quit
sed "s/^/[$NAME] /" "$LOGDIR/guest-$NAME.log"
xl destroy $NAME
say "XT-END"

# The performance tier's guest side (sourced by domU-init for xt.mode=perf;
# pass/fail/say/since/up/lun_dir/sd_of/wait_lun come from there). It runs
# what dom0 asks (dom0-perf.sh), one command at a time: dom0 writes
# "SEQ WORD ARGS..." to data/xt-cmd, the guest answers "SEQ STATUS" in
# data/xt-done (STATUS "ok", or what went wrong). Results are console lines:
#   XP FIO BE ROUND JOB ios=N bytes=N ms=N iops=X mbps=X p50=US p99=US err=N
#   XP TAPE BE ROUND write|read BS bytes=N secs=S mbps=X
#   XP CMD ...  the exact commands run
#   XT PASS|FAIL domU: ... (verify passes and the tape data compare)
# Virtual LUNs: 0:0:0:0 dom0's scsi_debug disk, 0:0:0:1 the tape drive.
TAPEDEV=/dev/nst0
TAPE_DATA=/tmp/tape.dat
xsdone() { xenstore-write data/xt-done "$1 $2"; }

# fio_summary FILE: one line of figures from fio's JSON output (the reads
# and writes of every job added up; clat percentiles of the last direction
# that did I/O)
fio_summary() {
    awk '
        /^ *"job options" : \{/ { dir = "" }
        /^ *"(read|write|trim|sync)" : \{/ { dir = $1; gsub(/"/, "", dir) }
        /"error" : / { v = $3; gsub(/,/, "", v); err += v }
        dir != "" && /^ *"io_bytes" : / { v = $3; gsub(/,/, "", v); bytes[dir] += v }
        dir != "" && /^ *"total_ios" : / { v = $3; gsub(/,/, "", v); ios[dir] += v }
        dir != "" && /^ *"runtime" : / { v = $3; gsub(/,/, "", v); if (v > ms) ms = v }
        dir != "" && /"clat_ns" : \{/ { inclat = 1 }
        dir != "" && inclat && /"50.000000" : / { v = $3; gsub(/,/, "", v); if (ios[dir] > 0) p50 = v }
        dir != "" && inclat && /"99.000000" : / { v = $3; gsub(/,/, "", v); if (ios[dir] > 0) p99 = v; inclat = 0 }
        END {
            n = ios["read"] + ios["write"]; b = bytes["read"] + bytes["write"]
            printf "ios=%d bytes=%d ms=%d iops=%.1f mbps=%.2f p50=%.1f p99=%.1f err=%d\n",
                n, b, ms, (ms > 0 ? n * 1000 / ms : 0), (ms > 0 ? b / ms / 1000 : 0), p50 / 1000, p99 / 1000, err
        }' "$1"
}

# run_fio JOB RW BS QD SECONDS BE ROUND: one time-based job on the raw disk
run_fio() {
    sd=$(sd_of 0)
    set -- "$@" "$sd"
    cmd="fio --name=$1 --filename=$8 --ioengine=libaio --direct=1 --rw=$2 --bs=$3 --iodepth=$4 --time_based --runtime=$5 --norandommap --randrepeat=0 --output-format=json --output=/tmp/fio.json"
    [ "$7" = 1 ] || [ "$7" = strace ] && echo "XP CMD $6 $cmd"
    $cmd > /tmp/fio.out 2>&1; rc=$?
    echo "XP FIO $6 $7 $1 $(fio_summary /tmp/fio.json) rc=$rc"
    [ $rc = 0 ] || { cat /tmp/fio.out; return 1; }
}

# run_verify BE ROUND: written with crc32c in every block, read back, checked
# (4 KiB random writes at QD16 in the first 16 MiB, then 1 MiB sequential
# writes at QD4 in the next 64 MiB)
run_verify() {
    sd=$(sd_of 0)
    cmd="fio --filename=$sd --ioengine=libaio --direct=1 --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0 --output-format=json --output=/tmp/verify.json --name=v4k --rw=randwrite --bs=4k --iodepth=16 --size=16m --offset=0 --name=v1m --stonewall --rw=write --bs=1m --iodepth=4 --size=64m --offset=16m"
    [ "$2" = 1 ] && echo "XP CMD $1 $cmd"
    $cmd > /tmp/verify.out 2>&1; rc=$?
    sum=$(fio_summary /tmp/verify.json)
    echo "XP VERIFY $1 $2 $sum rc=$rc"
    # the read-back happened: every job read what it wrote
    reads=$(awk '/^ *"read" : \{/ { r = 1 } r && /"io_bytes" : / { v = $3; gsub(/,/, "", v); t += v; r = 0 } END { print t + 0 }' /tmp/verify.json)
    if [ $rc = 0 ] && echo "$sum" | grep -q ' err=0' && [ "$reads" = $((80 * 1048576)) ]; then
        pass "$1 round $2: fio verify=crc32c: 80 MiB written and read back, every block checked ($sum)"
    else
        cat /tmp/verify.out
        fail "$1 round $2: fio verify=crc32c FAILED (rc $rc, $reads bytes read back of $((80 * 1048576)); $sum)"
        return 1
    fi
}

# wait_luns disk [tape]: the disk's sd and sg nodes, the tape's nst0
wait_luns() {
    wait_lun 0 present 120 || { echo "no disk LUN"; return 1; }
    if [ "${2:-}" = tape ]; then
        i=0; until [ -e "$TAPEDEV" ] && [ -n "$(lun_dir 1)" ]; do
            [ $i -ge 240 ] && { echo "no tape LUN"; return 1; }; sleep 0.5; i=$((i + 1))
        done
    fi
    lsscsi -g 2>/dev/null || ls /sys/bus/scsi/devices
    echo "XU: disk $(sd_of 0): $(cat /sys/block/$(basename "$(sd_of 0)")/queue/max_sectors_kb) KiB max per request, $(cat "$(lun_dir 0)/queue_depth") queue depth"
}

# ---- the tape stream: variable blocks, PERF data from RAM, timed by uptime
mt() { mt-st -f "$TAPEDEV" "$@"; }
tape_prep() {
    [ -f $TAPE_DATA ] || {
        dd if=/dev/urandom of=$TAPE_DATA bs=1048576 count="$TAPE_MB" 2>/dev/null
        # the md5 of the whole records of each size, before any tape I/O
        for bs in $TAPE_BS; do
            dd if=$TAPE_DATA bs="$bs" count=$((TAPE_MB * 1048576 / bs)) 2>/dev/null | md5sum |
                cut -d' ' -f1 > "$TAPE_DATA.md5-$bs"
        done
    }
    i=0; until mt status >/dev/null 2>&1; do [ $i -ge 60 ] && return 1; sleep 0.5; i=$((i + 1)); done
    mt rewind && mt setblk 0
}
# tape_xfer write|read BS BE ROUND: TAPE_MB MiB in BS-byte records from BOT
tape_xfer() {
    mt rewind || return 1
    n=$((TAPE_MB * 1048576 / $2))
    if [ "$1" = write ]; then c="dd if=$TAPE_DATA of=$TAPEDEV bs=$2 count=$n"
    # as many records as were written: xen-scsiback loses the filemark
    # (tests/README.md), a read to it would run on into older data
    else rm -f /tmp/tape.rb; c="dd if=$TAPEDEV of=/tmp/tape.rb bs=$2 count=$n"; fi
    [ "$4" = 1 ] && echo "XP CMD $3 $c"
    t=$(up)
    $c 2>/tmp/dd.err; rc=$?
    s=$(since "$t")
    b=$((n * $2))
    [ "$1" = read ] && b=$(wc -c < /tmp/tape.rb)
    echo "XP TAPE $3 $4 $1 $2 bytes=$b secs=$s mbps=$(awk -v b="$b" -v s="$s" 'BEGIN { printf "%.2f", (s > 0 ? b / s / 1e6 : 0) }') rc=$rc"
    [ $rc = 0 ] || { cat /tmp/dd.err; return 1; }
}
tape_check() {   # BS BE ROUND: what was read is what was written (whole records of the data)
    n=$((TAPE_MB * 1048576 / $1))
    want=$(cat "$TAPE_DATA.md5-$1"); got=$(md5sum < /tmp/tape.rb | cut -d' ' -f1)
    if [ -n "$want" ] && [ "$got" = "$want" ]; then
        pass "$2 round $3: tape, $1-byte records: $((n * $1)) bytes read back identical (md5)"
    else
        fail "$2 round $3: tape, $1-byte records: the data read back differs (md5 $got, want $want; $(wc -c < /tmp/tape.rb) bytes; first differences:)"
        dd if=$TAPE_DATA bs="$1" count=$n 2>/dev/null | cmp -l - /tmp/tape.rb 2>&1 | head -5
        return 1
    fi
}
# tape_1m BE ROUND: a 1 MiB record is more than xen-scsifront takes (128
# segments): st's write is expected to fail
tape_1m() {
    mt rewind
    if dd if=$TAPE_DATA of=$TAPEDEV bs=1048576 count=1 2>/tmp/dd.err; then
        echo "XP TAPE1M $1 $2 accepted: a 1 MiB record was written"
    else
        echo "XP TAPE1M $1 $2 refused: $(grep -v records /tmp/dd.err | head -1)"
    fi
    mt rewind
}

TAPE_MB=$(sed -n 's/.*xt\.tapemb=\([0-9]*\).*/\1/p' /proc/cmdline)
TAPE_MB=${TAPE_MB:-30}
say "perf: waiting for dom0's commands"
# one xenstore watch on data/xt-cmd for the whole run, its events on fd 3
mkfifo /tmp/xt-cmd.fifo
xenstore-watch data/xt-cmd > /tmp/xt-cmd.fifo 2>/dev/null &
exec 3< /tmp/xt-cmd.fifo
read -r _ <&3    # its first event: registered
xsdone 0 ready
last=0
while :; do
    c=$(xenstore-read data/xt-cmd 2>/dev/null)
    seq=${c%% *}
    if [ -z "$c" ] || [ "$seq" = "$last" ]; then
        read -r -t 30 _ <&3
        continue
    fi
    last=$seq
    # shellcheck disable=SC2086
    set -- ${c#* }
    st=ok
    case $1 in
        luns) shift; wait_luns "$@" > /tmp/cmd.out 2>&1 || st="$(tail -1 /tmp/cmd.out)"; cat /tmp/cmd.out ;;
        fio) shift; run_fio "$@" || st="fio failed" ;;
        verify) shift; run_verify "$@" || st="verify failed" ;;
        tapeprep) shift; TAPE_BS="$*"; tape_prep || st="tape not ready" ;;
        tapew) tape_xfer write "$2" "$3" "$4" || st="tape write failed" ;;
        taper) tape_xfer read "$2" "$3" "$4" || st="tape read failed" ;;
        tapecheck) tape_check "$2" "$3" "$4" || st="tape data differs" ;;
        tape1m) tape_1m "$2" "$3" ;;
        unbind)
            for d in /sys/bus/xen/drivers/vscsi/vscsi-*; do
                [ -e "$d" ] && echo "${d##*/}" > /sys/bus/xen/drivers/vscsi/unbind
            done
            wait_lun 0 absent 60 || st="LUN 0 still there" ;;
        gone)
            i=0; while ls -d /sys/bus/xen/devices/vscsi-* >/dev/null 2>&1; do
                [ $i -ge 120 ] && { st="vscsi device still there"; break; }; sleep 0.5; i=$((i + 1))
            done ;;
        quit) xsdone "$seq" ok; break ;;
        *) st="unknown command $1" ;;
    esac
    xsdone "$seq" "$st"
done
say "PERF-DONE"

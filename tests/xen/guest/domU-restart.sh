# The guest's side of pvscsid restarts in dom0 (sourced by domU-init and
# domU-tape.sh; pass/fail/say/since/up/lun_dir/sd_of come from domU-init).
# The guest keeps I/O going, says on its console when it is ready, and dom0
# answers through xenstore (data/xt-rs, dom0-restart.sh) when the restart
# is over.

# rs_said VALUE: dom0 has written VALUE to data/xt-rs
rs_said() { [ "$(xenstore-read data/xt-rs 2>/dev/null)" = "$1" ]; }
# rs_wait VALUE SECONDS
rs_wait() {
    i=0; until rs_said "$1"; do
        [ $i -ge $(($2 * 2)) ] && { fail "dom0 did not say '$1' within $2 s"; return 1; }
        sleep 0.5; i=$((i + 1))
    done
}
# sd_errors LUN: sd's counters of failed and timed-out commands
sd_errors() { d=$(lun_dir "$1"); echo "$(cat "$d/ioerr_cnt") $(cat "$d/iotmo_cnt")"; }

# ---- disks: one fio writes and verifies (crc32c, each block read back
# soon after it is written: verify_backlog) on LUNs 0 and 1 without a pause
# while dom0 restarts pvscsid (SIGTERM, then kill -9), until dom0 says
# disk-done. No verify error, fio still running when told to stop, sd
# counting no error and no timeout, the kernel logging no SCSI error.
restart_disks() {
    s0=$(sd_of 0); s1=$(sd_of 1)
    e0=$(sd_errors 0); e1=$(sd_errors 1)
    dmesg -c >/dev/null
    fio --ioengine=libaio --direct=1 --verify=crc32c --verify_backlog=32 --verify_fatal=1 \
        --randrepeat=0 --time_based --runtime=900 --output-format=json --output=/tmp/rs-fio.json \
        --name=lun0 --filename="$s0" --rw=randwrite --bs=4k --iodepth=8 --size=4m --offset=4m \
        --name=lun1 --filename="$s1" --rw=write --bs=64k --iodepth=4 --size=16m --offset=8m \
        >/dev/null 2>/tmp/rs-fio.err &
    fio=$!
    sleep 3   # fio is under way (it loads ~80 MB of libraries under TCG)
    say "RESTART-IO-RUNNING"
    rs_wait disk-done 600
    if kill -0 $fio 2>/dev/null; then
        kill -INT $fio; wait $fio
        errs=$(grep -c '"error" : [1-9]' /tmp/rs-fio.json)
        jobs=$(grep -c '"error" : 0' /tmp/rs-fio.json)
        # per job: read (the verify reads), write, trim
        mib=$(grep '"io_bytes"' /tmp/rs-fio.json | awk '{ gsub(",", "", $3); b[NR % 3] += $3 }
              END { printf "%d MiB written, %d MiB read back and checked", b[2] / 1048576, b[1] / 1048576 }')
        # the longest any of the guest's I/Os took, submission to completion:
        # what the guest saw of the restarts
        maxlat=$(awk '/"lat_ns"/ { f = 1 } f && /"max"/ { gsub(",", ""); if ($3 > m) m = $3; f = 0 }
                      END { printf "%.2f", m / 1e9 }' /tmp/rs-fio.json)
        echo "XU: the longest guest I/O during the restarts took $maxlat s (fio lat max)"
        mib="$mib, longest I/O $maxlat s"
        [ "$errs" = 0 ] && [ "$jobs" = 2 ] &&
            pass "fio verify=crc32c on LUNs 0 and 1 ran through the restarts: $mib, no error" ||
            { fail "fio through the restarts: $errs job(s) with an error"; head -20 /tmp/rs-fio.err; }
    else
        wait $fio; fail "fio ended (exit $?) before dom0 was done restarting"; head -20 /tmp/rs-fio.err
    fi
    f0=$(sd_errors 0); f1=$(sd_errors 1)
    [ "$e0 $e1" = "$f0 $f1" ] && pass "sd's ioerr_cnt and iotmo_cnt of LUNs 0 and 1 unchanged ($f0, $f1)" ||
        fail "sd error counters changed: LUN 0 $e0 -> $f0, LUN 1 $e1 -> $f1"
    msgs=$(dmesg | grep -iE 'I/O error|FAILED Result|timing out|abort|reset|hostbyte|critical' | head -5)
    [ -z "$msgs" ] && pass "the guest's kernel logged no SCSI error, timeout, abort or reset during the restarts" ||
        fail "the guest's kernel logged: $msgs"
    say "RESTART-DONE"
}

# ---- tape: restarts between and during tape commands ($T, mt, $TAR from
# domU-tape.sh; a cartridge is loaded and rewound, variable blocks).
REC=65536
# stream_records ARCHIVE FROM_RECORD SIGNAL: write ARCHIVE's 64 KiB records
# one write each on one open of the tape (fd 3), as tar would, telling dom0
# "XU: <SIGNAL>" after 4 records; stops at the archive's end, or at the
# first failed write. Sets RS_SENT (records written), RS_FAILED (the record
# whose write failed, or ""), RS_AFTER (records written after dom0 said
# SIGNAL was done).
stream_records() {
    n=$(($(wc -c < "$1") / REC)) RS_SENT=0 RS_FAILED="" RS_AFTER=-1
    exec 3>"$T"
    while [ $RS_SENT -lt "$n" ]; do
        if ! dd if="$1" bs=$REC skip=$RS_SENT count=1 2>/tmp/dd.err >&3; then
            RS_FAILED=$RS_SENT; echo "XU: record $RS_SENT: $(head -1 /tmp/dd.err)"; break
        fi
        RS_SENT=$((RS_SENT + 1))
        [ $RS_SENT = 4 ] && say "$2"
        if [ $RS_AFTER -ge 0 ]; then RS_AFTER=$((RS_AFTER + 1))
        elif rs_said "$3"; then RS_AFTER=0; fi
    done
    exec 3>&-
}
# read_file_records OUT: the tape file at the current position, record by
# record (64 KiB reads), into OUT; sets RS_READ (records)
read_file_records() {
    RS_READ=0; : > "$1"
    exec 3<"$T"
    # at most 200 records (a stream is 161): a file that does not end
    # where it should must fail here, not fill /tmp
    while [ $RS_READ -lt 200 ] && dd bs=$REC count=1 2>/dev/null <&3 > /tmp/rec && [ -s /tmp/rec ]; do
        cat /tmp/rec >> "$1"; RS_READ=$((RS_READ + 1))
    done
    exec 3<&-
}
# tape_file_no: st's file number (mt status)
tape_file_no() { mt status 2>/dev/null | sed -n 's/.*File number=\([0-9-]*\).*/\1/p'; }

restart_tape() {
    # tar archives in 64 KiB records (-b 128) of a tree big enough that a
    # stream outlasts a restart under TCG
    rm -rf /tmp/rs; mkdir -p /tmp/rs/tree
    for i in 1 2 3 4 5; do dd if=/dev/urandom of=/tmp/rs/tree/part$i bs=1M count=2 2>/dev/null; done
    $TAR -C /tmp/rs -cf /tmp/rs/a.tar -b 128 tree/part1 tree/part2 || fail "tar of the restart tree"
    $TAR -C /tmp/rs -cf /tmp/rs/b.tar -b 128 tree || fail "tar of the restart tree"
    mt rewind && mt setblk 0 || fail "mt rewind; mt setblk 0 before the restarts"

    # between commands: archive A (st writes its filemark at the close),
    # then dom0 restarts pvscsid. Each stream below also ends at a close.
    $TAR -cf "$T" -b 128 -C /tmp/rs tree/part1 tree/part2 ||
        fail "writing archive A before the restart"
    say "RS-BETWEEN"
    rs_wait between-done 300
    fno=$(tape_file_no)
    [ "$fno" = 1 ] && pass "after a planned restart between commands st is still at file 1 (mt status)" ||
        fail "after the restart st is at file '$fno', want 1"

    # during a stream: archive B, record by record, dom0 restarts (SIGTERM)
    stream_records /tmp/rs/b.tar RS-STREAMING during-done
    total=$(($(wc -c < /tmp/rs/b.tar) / REC))
    if [ -z "$RS_FAILED" ] && [ $RS_SENT = "$total" ] && [ $RS_AFTER -ge 1 ] && [ $RS_SENT -gt $RS_AFTER ]; then
        pass "archive B streamed across a planned restart: $RS_SENT records of 64 KiB written, $RS_AFTER of them after dom0 said the restart was over"
    else
        fail "stream across a planned restart: $RS_SENT of $total records written, failed at '${RS_FAILED}', $RS_AFTER after the restart"
    fi

    # kill -9 during a stream: a copy of B; a write under way at the kill may
    # come back failed (never run twice), the stream stops there
    stream_records /tmp/rs/b.tar RS-KILL-STREAMING kill-done
    K_SENT=$RS_SENT K_FAILED=$RS_FAILED
    [ -n "$K_FAILED" ] && echo "XU: kill -9: the write of record $K_FAILED failed"
    [ $RS_AFTER -ge 1 ] || [ -n "$K_FAILED" ] && pass "stream across kill -9: $K_SENT records written, ${K_FAILED:-none} failed" ||
        fail "stream across kill -9: the kill did not land during the stream ($K_SENT records, $RS_AFTER after)"

    # read everything back
    mt rewind || fail "mt rewind after the restarts"
    rm -rf /tmp/rs/out; mkdir -p /tmp/rs/out
    if $TAR -C /tmp/rs/out -xf "$T" -b 128 && cmp -s /tmp/rs/tree/part1 /tmp/rs/out/tree/part1 &&
       cmp -s /tmp/rs/tree/part2 /tmp/rs/out/tree/part2; then
        pass "archive A (written before the restart) restores identical"
    else fail "archive A does not restore"; fi
    rm -rf /tmp/rs/out
    mt rewind && mt fsf 1 || fail "mt fsf 1 to archive B"
    read_file_records /tmp/rs/b.read
    if cmp -s /tmp/rs/b.tar /tmp/rs/b.read; then
        pass "archive B (streamed across the planned restart) reads back identical: $RS_READ records, none twice, none lost"
    else fail "archive B read back differs ($RS_READ records of $total)"; fi
    rm -f /tmp/rs/b.read
    rm -rf /tmp/rs/out; mkdir -p /tmp/rs/out
    if mt rewind && mt fsf 1 && $TAR -C /tmp/rs/out -xf "$T" -b 128 &&
       (for i in 1 2 3 4 5; do cmp -s /tmp/rs/tree/part$i /tmp/rs/out/tree/part$i || exit 1; done); then
        pass "archive B restores identical with tar from the tape"
    else fail "tar cannot restore archive B"; fi
    # the killed stream: exactly the records acknowledged, in order, each
    # once; the write that failed may or may not have reached the tape
    mt rewind && mt fsf 2 || fail "mt fsf 2 to the killed stream"
    read_file_records /tmp/rs/k.read
    head -c $((K_SENT * REC)) /tmp/rs/b.tar > /tmp/rs/k.want
    ok=0
    cmp -s /tmp/rs/k.want /tmp/rs/k.read && ok=1
    if [ $ok = 0 ] && [ -n "$K_FAILED" ]; then
        head -c $(((K_SENT + 1) * REC)) /tmp/rs/b.tar > /tmp/rs/k.want
        cmp -s /tmp/rs/k.want /tmp/rs/k.read && ok=1
    fi
    [ $ok = 1 ] && pass "the stream killed with pvscsid holds its $RS_READ acknowledged records in order, none twice" ||
        fail "the killed stream reads back $RS_READ records, not the $K_SENT acknowledged ones in order"
    rm -rf /tmp/rs
}

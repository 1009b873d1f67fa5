#!/bin/sh
# The dom0 side of the Xen tier (run by /init of dom0, or by hand from the
# dom0 shell). pvscsid serves a PV domU's xen-scsifront with the real Xen
# libraries; LUNs are attached with pvscsictl; results are "XT PASS|FAIL" lines.
# Kernel command line: xt.ref -> afterwards stop pvscsid and time the same guest
# I/O against the in-kernel xen-scsiback + LIO pscsi (the reference).
. /xt/dom0-lib.sh
trees() {
    echo "# xenstore-ls -fp /local/domain/0/backend/vscsi/$1 and /local/domain/$1/device/vscsi"
    xenstore-ls -fp "/local/domain/0/backend/vscsi/$1" 2>&1 | sed 's/^/    /'
    xenstore-ls -fp "/local/domain/$1/device/vscsi" 2>&1 | sed 's/^/    /'
}
gnt_maps() { grep -c /dev/xen/gntdev "/proc/$1/maps" 2>/dev/null; true; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# no_domains_but_dom0 SECONDS: every other domain is gone, none left dying
# (Xen keeps a domain whose pages are still mapped or granted by dom0)
no_domains_but_dom0() {
    i=0
    while [ "$(xl list | tail -n +2 | grep -vc '^Domain-0 ')" != 0 ]; do
        [ $i -ge $(($1 * 2)) ] && { xl list; return 1; }
        sleep 0.5; i=$((i + 1))
    done
}

# ---- the disks: dom0's scsi_debug (with a marker at LBA 0) and two files
SDBG=""
for d in /sys/bus/scsi/devices/[0-9]*:*:*:*; do
    grep -q scsi_debug "$d/model" 2>/dev/null && SDBG=${d##*/} && break
done
[ -n "$SDBG" ] || { fail "no scsi_debug device in dom0"; exit 1; }
SDBG_BLK=/dev/$(ls "/sys/bus/scsi/devices/$SDBG/block")
say "scsi_debug is $SDBG ($SDBG_BLK, /dev/$(ls "/sys/bus/scsi/devices/$SDBG/scsi_generic"))"
printf 'XT-SCSI-DEBUG-LBA0' | dd of="$SDBG_BLK" conv=notrunc,fsync 2>/dev/null
truncate -s 32M /srv/disk1.img
truncate -s 8M /srv/disk2.img

# ---- pvscsid
start_pvscsid
FDS0=$(nfds "$PVSCSID")
out=$(ctl pscsi-list); echo "$out"
echo "$out" | grep -q "^$SDBG .*scsi_debug" && pass "pvscsictl pscsi-list shows $SDBG scsi_debug" ||
    fail "pvscsictl pscsi-list does not show $SDBG"

# ---- domU 1, created paused; LUNs attached before it runs
follow_guest domU
T=$(up)
if xl create -p "$CFG" > /tmp/xl-create.log 2>&1; then pass "xl create -p domU ($(since "$T")s)"
else cat /tmp/xl-create.log; fail "xl create domU"; exit 1; fi
D=$(xl domid domU)
say "domU is domain $D"
if ctl vscsi-attach domU "$SDBG" 0:0:0:0; then pass "pvscsictl vscsi-attach domU $SDBG 0:0:0:0 (paused domain)"
else fail "pvscsictl vscsi-attach domU $SDBG 0:0:0:0"; fi
if ctl disk-attach domU file:/srv/disk1.img 0:0:0:1; then pass "pvscsictl disk-attach domU file:/srv/disk1.img 0:0:0:1"
else fail "pvscsictl disk-attach file:/srv/disk1.img"; fi
ctl vscsi-list domU
trees "$D"
xl unpause domU
say "domU unpaused"
if wait_guest domU "XU: PHASE1-DONE" 300; then
    trees "$D"
    ctl stats
    # what the guest wrote is on dom0's disks (md5 of the 4 MiB it printed)
    echo 3 > /proc/sys/vm/drop_caches; blockdev --flushbufs "$SDBG_BLK"
    for l in 0:"$SDBG_BLK":12 1:/srv/disk1.img:1; do
        lun=${l%%:*}; rest=${l#*:}; f=${rest%:*}; off=${rest##*:}
        want=$(sed -n "s/.*XU MD5 lun$lun off=$off \([0-9a-f]*\).*/\1/p" "$LOGDIR/guest-domU.log" | tail -1)
        got=$(dd if="$f" bs=1M skip="$off" count=4 2>/dev/null | md5sum | cut -d' ' -f1)
        if [ -n "$want" ] && [ "$want" = "$got" ]; then pass "dom0 reads on $f what the guest wrote to LUN $lun (md5 $got)"
        else fail "guest data of LUN $lun not on $f: guest md5 '$want', dom0 md5 '$got'"; fi
    done

    # ---- hot-add LUN 2 while the guest runs
    U=$(ctl disk-attach domU file:/srv/disk2.img 0:0:0:2 | tail -1)
    echo "$U"
    case $U in *-*-*-*-*) pass "hot-add: pvscsictl disk-attach domU file:/srv/disk2.img 0:0:0:2 -> $U" ;;
               *) fail "hot-add: disk-attach 0:0:0:2 failed: $U" ;; esac
    if wait_guest domU "XU: PHASE2-DONE" 180; then
        trees "$D"
        # ---- hot-remove it
        if ctl vscsi-detach "$U"; then pass "hot-remove: pvscsictl vscsi-detach $U"
        else fail "hot-remove: vscsi-detach $U"; fi
        wait_guest domU "XU: PHASE3-DONE" 180 && trees "$D"
        ctl vscsi-list domU
        # ---- the guest reloads its frontend by itself
        wait_guest domU "XU: PHASE4-DONE" 300 && trees "$D"
        # ---- pvscsid restarted while the guest's fio writes and verifies
        . /xt/dom0-restart.sh
        if wait_guest domU "XU: RESTART-IO-RUNNING" 120; then
            sleep 4
            restart_pvscsid term 1 "disk, planned restart under fio"
            [ "$RS_AGAIN $RS_LOST" = "0 0" ] && pass "disk, planned restart: no command run again or lost" ||
                fail "disk, planned restart: $RS_AGAIN command(s) run again, $RS_LOST lost"
            sleep 6
            restart_pvscsid kill 1 "disk, kill -9 under fio"
            [ "$RS_LOST" = 0 ] && pass "disk, kill -9: no command answered lost ($RS_AGAIN disk command(s) run again)" ||
                fail "disk, kill -9: $RS_LOST command(s) answered lost on a disk"
            sleep 4
            tell_guest "$D" disk-done
            wait_guest domU "XU: RESTART-DONE" 600
        fi
        # ---- destroy the domain with I/O in flight
        if wait_guest domU "XU: IO-RUNNING" 60; then
            sleep 3
            ctl stats
            say "gntdev mappings of pvscsid with the guest running: $(gnt_maps "$PVSCSID"), fds: $(nfds "$PVSCSID") (before the guest: $FDS0)"
            T=$(up)
            if xl destroy domU; then pass "xl destroy domU with I/O in flight ($(since "$T")s)"
            else fail "xl destroy domU"; fi
        fi
    fi
fi
# whatever happened above, the domain must be gone, fully
xl destroy domU 2>/dev/null
if no_domains_but_dom0 60; then pass "domain $D released by Xen (no dying domain: no grant mappings left in dom0)"
else fail "domain $D still listed 60 s after destroy (zombie: dom0 holds its pages?)"; fi
sleep 2
if alive; then pass "pvscsid still running after the guest was destroyed"
else fail "pvscsid died (see its log)"; fi
n=$(gnt_maps "$PVSCSID"); [ "$n" = 0 ] && pass "pvscsid has no gntdev mappings left" ||
    { fail "pvscsid still has $n gntdev mappings"; grep gntdev "/proc/$PVSCSID/maps" | head; }
n=$(nfds "$PVSCSID"); [ "$n" = "$FDS0" ] && pass "pvscsid has as many fds as before the guest ($n)" ||
    { fail "pvscsid has $n fds, had $FDS0 before the guest"; ls -l "/proc/$PVSCSID/fd"; }
if xenstore-exists "/local/domain/0/backend/vscsi/$D" 2>/dev/null; then
    trees "$D"; fail "backend tree of the destroyed domain $D is still in xenstore"
else pass "backend tree of the destroyed domain $D removed"; fi
ctl stats

# ---- a second domU: pvscsid keeps serving, the PSCSI was released
follow_guest domU2
if xl create -p "$CFG" 'name="domU2"' 'extra="console=hvc0 loglevel=4 xt.mode=again"' > /tmp/xl-create.log 2>&1; then
    D2=$(xl domid domU2)
    if ctl vscsi-attach domU2 "$SDBG" 0:0:0:0; then pass "vscsi-attach of $SDBG to a second domU (domain $D2)"
    else
        fail "vscsi-attach of $SDBG to the second domU (domain $D2) after domain $D was destroyed"
        # go on with the rest: remove the dead domain's tree by hand, retry
        xenstore-rm "/local/domain/0/backend/vscsi/$D"
        ctl vscsi-attach domU2 "$SDBG" 0:0:0:0 || fail "vscsi-attach to the second domU, even after removing the stale tree"
    fi
    xl unpause domU2
    wait_guest domU2 "XU: AGAIN-DONE" 240
    ctl stats
    xl shutdown -w domU2 >/dev/null 2>&1 &
    sleep 1; xl destroy domU2 2>/dev/null
    no_domains_but_dom0 60 && pass "second domU released" || fail "second domU not released"
else
    cat /tmp/xl-create.log; fail "xl create of the second domU"
fi

# the second domU's refused commands: logged once per LUN and opcode
for op in 0x3b 0x04 0xc0 0x48; do
    n=$(grep -c "(opcode $op) refused" "$PLOG")
    [ "$n" = 1 ] && pass "pvscsid logged the refusal of opcode $op once" ||
        fail "pvscsid logged the refusal of opcode $op $n times, want 1"
done

# ---- a third domU: the same disk read-only (an ext2 made by dom0 on it)
mke2fs -q "$SDBG_BLK" >/dev/null 2>&1 && blockdev --flushbufs "$SDBG_BLK" || fail "dom0: mke2fs $SDBG_BLK"
follow_guest domU3
if xl create -p "$CFG" 'name="domU3"' 'extra="console=hvc0 loglevel=6 xt.mode=policy"' > /tmp/xl-create.log 2>&1; then
    if ctl --policy ro vscsi-attach domU3 "$SDBG" 0:0:0:0; then pass "pvscsictl --policy ro vscsi-attach domU3 $SDBG 0:0:0:0"
    else fail "pvscsictl --policy ro vscsi-attach domU3 $SDBG"; fi
    out=$(ctl vscsi-list domU3); echo "$out"
    echo "$out" | grep -q "$SDBG,ro .* ro " && pass "pvscsictl vscsi-list shows the LUN's policy: ro" ||
        fail "pvscsictl vscsi-list does not show policy ro"
    xl unpause domU3
    wait_guest domU3 "XU: POLICY-DONE" 240
    out=$(pvscsictl --json stats)
    d=$(echo "$out" | grep -o '"denied": *[0-9]*' | tr -dc 0-9)
    [ -n "$d" ] && [ "$d" -ge 2 ] && pass "pvscsictl stats: $d commands denied on domU3's ring" ||
        fail "pvscsictl stats: denied '$d' on domU3's ring, want at least 2"
    xl destroy domU3 2>/dev/null
    no_domains_but_dom0 60 && pass "third domU released" || fail "third domU not released"
else
    cat /tmp/xl-create.log; fail "xl create of the third domU"
fi

# ---- stop pvscsid
stop_pvscsid
n=$(grep -ciE 'error|warn' "$PLOG")
say "pvscsid log: $(wc -l < "$PLOG") lines, $n with error/warn"

# ---- the in-kernel reference: xen-scsiback + LIO pscsi on the same disk
if grep -q xt.ref /proc/cmdline; then
    sh /xt/dom0-ref.sh "$SDBG" "$SDBG_BLK"
fi
say "XT-END"

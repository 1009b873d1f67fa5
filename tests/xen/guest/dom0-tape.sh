#!/bin/sh
# The Xen tier's tape scenario (dom0; xt.scenario=tape). dom0 runs a tgt
# virtual tape library on iSCSI loopback (vtl-up.sh: tape drive + media
# changer, two cartridges) and has QEMU's scsi-cd with an ISO; pvscsid gives
# the tape (0:0:0:0), the changer (0:0:0:1) and the CD-ROM (0:0:0:2) to a
# PV domU whose own st, ch and sr drivers run mtx, mt-st, tar and mount
# (domU-tape.sh). Kernel command line xt.ref: afterwards the same domU
# workflow against the in-kernel xen-scsiback + LIO pscsi, the reference.
# Results are "XT PASS|FAIL" lines.
. /xt/dom0-lib.sh
gone() {   # gone NAME: destroy the domain, wait until Xen released it
    xl destroy "$1" 2>/dev/null
    i=0; while xl domid "$1" >/dev/null 2>&1; do
        [ $i -ge 120 ] && return 1; sleep 0.5; i=$((i + 1))
    done
}
# of_type N: H:C:T:L of the first SCSI device of peripheral type N
of_type() {
    for d in /sys/bus/scsi/devices/[0-9]*:*:*:*; do
        [ "$(cat "$d/type" 2>/dev/null)" = "$1" ] && echo "${d##*/}" && return
    done
}

# ---- the library and the CD-ROM
insmod_all() { for m in $(grep -E "/($1)\.ko$" /etc/xt-modules); do insmod "$m" 2>/dev/null; done; }
ip link set lo up
sh /xt/vtl-up.sh /srv/vtl > /tmp/vtl.log 2>&1; vrc=$?
sed 's/^/XT0: /' /tmp/vtl.log
TAPE=$(of_type 1) CHANGER=$(of_type 8) CD=$(of_type 5)
if [ $vrc = 0 ] && [ -n "$TAPE" ] && [ -n "$CHANGER" ]; then pass "tape library up: tape $TAPE, changer $CHANGER"
else fail "tape library did not come up (vtl-up.sh exit $vrc)"; say "XT-END"; exit 0; fi
[ -n "$CD" ] && pass "CD-ROM (QEMU scsi-cd) at $CD" || fail "no CD-ROM in dom0"

# ---- pvscsid
start_pvscsid
out=$(ctl pscsi-list); echo "$out"
# HCTL TYPE DEV NODES SG DRIVER ...: the type name, the st/nst/sch/sr nodes
# next to the sg name, the dom0 driver bound
for l in "$TAPE tape st0 st0 nst0 sg[0-9]* st" "$CHANGER mediumx sch0 sch0 sg[0-9]* ch" \
         "$CD cd/dvd sr0 sr0 sg[0-9]* sr"; do
    re=$(echo "$l" | sed 's/ /  */g')
    row=$(echo "$out" | grep "^$re ")
    [ -n "$row" ] && pass "pvscsictl pscsi-list: $(echo "$row" | cut -c1-60)" ||
        fail "pvscsictl pscsi-list: no row '$l'"
done

# ---- the guest, its three LUNs attached while it is paused
follow_guest domUtape
if xl create -p "$CFG" 'name="domUtape"' 'extra="console=hvc0 loglevel=4 xt.mode=tape xt.be=pvscsid"' \
        > /tmp/xl-create.log 2>&1; then pass "xl create -p domUtape"
else cat /tmp/xl-create.log; fail "xl create domUtape"; exit 1; fi
ok=1
ctl vscsi-attach domUtape "$TAPE" 0:0:0:0 || ok=0
ctl vscsi-attach domUtape "$CHANGER" 0:0:0:1 || ok=0
ctl vscsi-attach domUtape "$CD" 0:0:0:2 || ok=0
[ $ok = 1 ] && pass "pvscsictl vscsi-attach: tape 0:0:0:0, changer 0:0:0:1, CD-ROM 0:0:0:2" ||
    fail "pvscsictl vscsi-attach of the tape library"
# the same tape a second time: refused, with the reason
if out=$(pvscsictl vscsi-attach domUtape "$TAPE" 0:0:0:5 2>&1); then
    fail "a second vscsi-attach of $TAPE was accepted: $out"
else
    pass "a second vscsi-attach of $TAPE is refused: $out"
fi
ctl vscsi-list domUtape
xl unpause domUtape; rc=$?
[ $rc = 0 ] || fail "xl unpause domUtape exited $rc"
# while the guest works: what pvscsid's threads wait on, every 30 s (kept
# for a hang's post-mortem; 'diag' lines)
( while sleep 30; do
    for t in /proc/$PVSCSID/task/*; do
        echo "diag: pvscsid thread ${t##*/} $(cat "$t/comm") wchan $(cat "$t/wchan" 2>/dev/null): $(tr '\n' ' ' < "$t/stack" 2>/dev/null | cut -c1-300)"
    done
  done ) &
DIAG=$!
# ---- pvscsid restarted between and during the guest's tape commands
. /xt/dom0-restart.sh
DT=$(xl domid domUtape)
if wait_guest domUtape "XU: RS-BETWEEN" 900 "XU: TAPE-DONE"; then
    restart_pvscsid term 1 "tape, planned restart between commands" idle
    tell_guest "$DT" between-done
    if wait_guest domUtape "XU: RS-STREAMING" 300 "XU: TAPE-DONE"; then
        restart_pvscsid term 1 "tape, planned restart during a stream"
        [ "$RS_AGAIN $RS_LOST" = "0 0" ] && pass "tape, planned restart: no command run again or lost" ||
            fail "tape, planned restart: $RS_AGAIN command(s) run again, $RS_LOST lost"
        tell_guest "$DT" during-done
    fi
    if wait_guest domUtape "XU: RS-KILL-STREAMING" 300 "XU: TAPE-DONE"; then
        restart_pvscsid kill 1 "tape, kill -9 during a stream"
        [ "$RS_AGAIN" = 0 ] && pass "tape, kill -9: no tape command run again ($RS_LOST answered lost, each logged)" ||
            fail "tape, kill -9: $RS_AGAIN tape command(s) run again"
        tell_guest "$DT" kill-done
    fi
fi
wait_guest domUtape "XU: TAPE-DONE" 900
# ---- the tape again, read-only: detached, then hot-added as 0:0:0:3 with
# --policy ro; the guest's st must report it write-protected
U=$(pvscsictl vscsi-list domUtape | awk -v p="$TAPE" '$4 == p {print $NF}')
if [ -n "$U" ] && ctl vscsi-detach "$U"; then
    # the tape stays assigned until the guest has let the LUN go (Closed)
    i=0; while pvscsictl vscsi-list domUtape | awk -v p="$TAPE" '$4 == p {f=1} END {exit !f}'; do
        [ $i -ge 300 ] && break; sleep 1; i=$((i + 1))
    done
    say "the tape LUN left domUtape after $i s"
    if ctl --policy ro vscsi-attach domUtape "$TAPE" 0:0:0:3; then pass "tape hot-added again read-only: pvscsictl --policy ro vscsi-attach domUtape $TAPE 0:0:0:3"
    else fail "pvscsictl --policy ro vscsi-attach of the tape"; fi
    wait_guest domUtape "XU: RO-TAPE-DONE" 300
    n=$(grep -c "(opcode 0x0a) refused: the LUN is read-only" "$PLOG")
    [ "$n" = 1 ] && pass "pvscsid logged the refused tape WRITE once" ||
        fail "pvscsid logged the refused tape WRITE $n times, want 1"
else fail "tape LUN not found in vscsi-list ($U) or not detached"; fi
kill $DIAG
# dom0's st still holds the tape: pvscsid served it and said so when it
# opened it (as the guest connected)
grep -q "$TAPE (/dev/sg[0-9]*) is also bound to dom0's st driver (/dev/st0 /dev/nst0)" "$PLOG" &&
    pass "pvscsid warns that dom0's st driver holds $TAPE (/dev/st0 /dev/nst0)" ||
    fail "no warning about dom0's st driver on $TAPE in the pvscsid log"
ctl stats
gone domUtape && pass "domUtape destroyed and released" || fail "domUtape not released"
sleep 1
ctl vscsi-list
stop_pvscsid

# ---- the reference: xen-scsiback with LIO pscsi on the same three devices
if grep -q xt.ref /proc/cmdline; then
    WWN=naa.6001405000000021 NEXUS=naa.6001405000000022
    insmod_all "configfs|target_core_mod|target_core_pscsi|xen-scsiback"
    mount -t configfs configfs /sys/kernel/config 2>/dev/null
    C=/sys/kernel/config/target
    ok=1 n=0
    for hctl in "$TAPE" "$CHANGER" "$CD"; do
        IFS=: read -r h c t l <<EOT
$hctl
EOT
        B=$C/core/pscsi_$n/dev$n
        # pscsi wants a udev_path before enable, for any device type
        { mkdir -p "$B" && echo "scsi_host_id=$h,scsi_channel_id=$c,scsi_target_id=$t,scsi_lun_id=$l" > "$B/control" &&
          echo "/dev/$(ls "/sys/bus/scsi/devices/$hctl/scsi_generic")" > "$B/udev_path" &&
          echo 1 > "$B/enable" && mkdir -p "$C/xen-pvscsi/$WWN/tpgt_1/lun/lun_$n" &&
          ln -s "$B" "$C/xen-pvscsi/$WWN/tpgt_1/lun/lun_$n/port0"; } || ok=0
        n=$((n + 1))
    done
    echo $NEXUS > "$C/xen-pvscsi/$WWN/tpgt_1/nexus" || ok=0
    [ $ok = 1 ] && pass "reference: LIO pscsi on $TAPE $CHANGER $CD exported through xen-scsiback" ||
        fail "reference: LIO configuration"
    follow_guest domUtref
    # loglevel 7: st's and the SCSI layer's messages on errors, for the record
    xl create -p "$CFG" 'name="domUtref"' 'extra="console=hvc0 loglevel=7 xt.mode=tape xt.be=xen-scsiback"' \
        >/dev/null 2>&1 || fail "reference: xl create"
    D=$(xl domid domUtref)
    be=/local/domain/0/backend/vscsi/$D/0 fe=/local/domain/$D/device/vscsi/0
    xenstore-write $be/frontend $fe $be/frontend-id "$D" $be/online 1 $be/feature-host 0 \
        $be/vscsi-devs/dev-0/p-dev $WWN:0 $be/vscsi-devs/dev-0/v-dev 0:0:0:0 $be/vscsi-devs/dev-0/state 1 \
        $be/vscsi-devs/dev-1/p-dev $WWN:1 $be/vscsi-devs/dev-1/v-dev 0:0:0:1 $be/vscsi-devs/dev-1/state 1 \
        $be/vscsi-devs/dev-2/p-dev $WWN:2 $be/vscsi-devs/dev-2/v-dev 0:0:0:2 $be/vscsi-devs/dev-2/state 1
    xenstore-chmod -r $be n0 r"$D"
    xenstore-write $fe/backend $be $fe/backend-id 0
    xenstore-chmod -r $fe n"$D" r0
    xenstore-write $fe/state 1
    xenstore-chmod $fe/state n"$D" r0
    xenstore-write $be/state 1
    xl unpause domUtref
    # bounded: the reference's outcome is reported, never waited for forever
    i=0; until grep -q "XU: TAPE-DONE" "$LOGDIR/guest-domUtref.log" 2>/dev/null; do
        [ $i -ge 360 ] && { echo "XR FAIL xen-scsiback: the workflow did not finish within 180 s (stopped there)"; break; }
        sleep 0.5; i=$((i + 1))
    done
    gone domUtref || fail "reference domain not released"
fi
say "XT-END"

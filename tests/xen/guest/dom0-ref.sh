#!/bin/sh
# The in-kernel reference (run in dom0 after pvscsid has stopped): the same
# timed guest I/O as dom0-e2e.sh's first domU, served by xen-scsiback with LIO
# passing dom0's scsi_debug disk through (pscsi backstore, configfs only).
# Usage: dom0-ref.sh HCTL BLOCKDEV   (of dom0's scsi_debug disk)
. /xt/dom0-lib.sh
HCTL=$1 BLK=$2
WWN=naa.6001405000000011 NEXUS=naa.6001405000000012
for m in $(grep -E '/(configfs|target_core_mod|target_core_pscsi|xen-scsiback)\.ko$' /etc/xt-modules); do
    insmod "$m" 2>/dev/null
done
mount -t configfs configfs /sys/kernel/config 2>/dev/null
T=/sys/kernel/config/target
IFS=: read -r h c t l <<EOT
$HCTL
EOT
B=$T/core/pscsi_0/sdbg
if mkdir -p $B && echo "scsi_host_id=$h,scsi_channel_id=$c,scsi_target_id=$t,scsi_lun_id=$l" > $B/control &&
   echo "$BLK" > $B/udev_path && echo 1 > $B/enable &&
   mkdir -p $T/xen-pvscsi/$WWN/tpgt_1/lun/lun_0 && ln -s $B $T/xen-pvscsi/$WWN/tpgt_1/lun/lun_0/port0 &&
   echo $NEXUS > $T/xen-pvscsi/$WWN/tpgt_1/nexus; then
    pass "reference: LIO pscsi on $HCTL exported through xen-scsiback"
else
    fail "reference: LIO configuration"; exit 0
fi
tail -n +1 -F /var/log/xen/console/guest-domUref.log 2>/dev/null | sed 's/^/[domUref] /' &
xl create -p /xt/domU.cfg 'name="domUref"' 'extra="console=hvc0 loglevel=4 xt.mode=ref"' >/dev/null 2>&1 ||
    { fail "reference: xl create"; exit 0; }
D=$(xl domid domUref)
be=/local/domain/0/backend/vscsi/$D/0 fe=/local/domain/$D/device/vscsi/0
# no toolstack for this: both trees, then the frontend state, then the backend
# state (xen-scsiback probes on its state only once the frontend tree exists)
xenstore-write $be/frontend $fe $be/frontend-id "$D" $be/online 1 $be/feature-host 0 \
    $be/vscsi-devs/dev-0/p-dev $WWN:0 $be/vscsi-devs/dev-0/v-dev 0:0:0:0 $be/vscsi-devs/dev-0/state 1
xenstore-chmod -r $be n0 r"$D"
xenstore-write $fe/backend $be $fe/backend-id 0
xenstore-chmod -r $fe n"$D" r0
xenstore-write $fe/state 1
xenstore-chmod $fe/state n"$D" r0
xenstore-write $be/state 1
xl unpause domUref
i=0
until grep -q "XU: REF-DONE" /var/log/xen/console/guest-domUref.log 2>/dev/null; do
    [ $i -ge 480 ] && { fail "reference guest did not finish within 240 s"; break; }
    sleep 0.5; i=$((i + 1))
done
xl destroy domUref

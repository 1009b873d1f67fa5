#!/bin/sh
# A virtual tape library on this machine: tgt serves one tape drive (LUN 1)
# and one media changer (LUN 2; drive element 1, import/export 2, slots 3
# and 4 holding cartridges TAPE0001 and TAPE0002, file-backed, 64 MiB each)
# and a 16 MiB disk (LUN 3, tgt's SBC with persistent reservations) on iSCSI
# loopback, and open-iscsi logs in, so the kernel gets a real tape
# stack (st, ch, sg) over a real HBA driver (iscsi_tcp). The drive starts
# empty. Needs the modules iscsi_tcp, crc32c_generic, st, ch, sg loaded.
# Prints "VTL: ..." lines; exit 0 once /dev/nst0 and the changer's sg node exist.
# Usage: vtl-up.sh [DIR]   (backing files in DIR, default /vtl)
D=${1:-/vtl}
up() { cut -d' ' -f1 /proc/uptime; }
mkdir -p "$D" /var/lib/iscsi /run/lock/iscsi /var/lock /etc/iscsi
dd if=/dev/zero of="$D/smc" bs=1k count=1 2>/dev/null
truncate -s 16M "$D/disk"
for t in TAPE0001 TAPE0002; do
    tgtimg --op new --device-type tape --barcode $t --size "${VTL_TAPE_MB:-64}" --type data --file "$D/$t" >/dev/null ||
        { echo "VTL: tgtimg $t failed"; exit 1; }
done
tgtd --iscsi portal=127.0.0.1:3260 >/tmp/tgtd.log 2>&1
i=0; until tgtadm --lld iscsi --mode target --op show >/dev/null 2>&1; do
    [ $i -ge 40 ] && { echo "VTL: tgtd did not start"; cat /tmp/tgtd.log; exit 1; }
    sleep 0.25; i=$((i + 1))
done
A="tgtadm --lld iscsi"
{ $A --op new --mode target --tid 1 -T iqn.2026-11.pvscsid:vtl &&
  $A --mode logicalunit --op new --tid 1 --lun 1 -b "$D/TAPE0001" --device-type=tape &&
  $A --mode logicalunit --op update --tid 1 --lun 1 --params online=0 &&
  $A --mode logicalunit --op new --tid 1 --lun 2 -b "$D/smc" --device-type=changer &&
  $A --mode logicalunit --op update --tid 1 --lun 2 --params media_home="$D" &&
  $A --mode logicalunit --op update --tid 1 --lun 2 --params element_type=4,start_address=1,quantity=1 &&
  $A --mode logicalunit --op update --tid 1 --lun 2 --params element_type=4,address=1,tid=1,lun=1 &&
  $A --mode logicalunit --op update --tid 1 --lun 2 --params element_type=3,start_address=2,quantity=1 &&
  $A --mode logicalunit --op update --tid 1 --lun 2 --params element_type=2,start_address=3,quantity=2 &&
  $A --mode logicalunit --op update --tid 1 --lun 2 --params element_type=2,address=3,barcode=TAPE0001,sides=1 &&
  $A --mode logicalunit --op update --tid 1 --lun 2 --params element_type=2,address=4,barcode=TAPE0002,sides=1 &&
  $A --mode logicalunit --op new --tid 1 --lun 3 -b "$D/disk" --device-type=disk &&
  $A --op bind --mode target --tid 1 -I ALL; } >/tmp/tgtadm.log 2>&1 ||
    { echo "VTL: tgtadm configuration failed"; cat /tmp/tgtadm.log; exit 1; }
# iscsid checks its client's user name
grep -qs '^root:' /etc/passwd || echo "root:x:0:0:root:/root:/bin/sh" >> /etc/passwd
grep -qs '^root:' /etc/group || echo "root:x:0:" >> /etc/group
echo "InitiatorName=iqn.2026-11.pvscsid:initiator" > /etc/iscsi/initiatorname.iscsi
iscsid -f > /tmp/iscsid.log 2>&1 &
sleep 1
if ! { iscsiadm -m discovery -t st -p 127.0.0.1 && iscsiadm -m node --login; } >/tmp/iscsiadm.log 2>&1; then
    echo "VTL: iSCSI login failed"; cat /tmp/iscsiadm.log; tail -20 /tmp/iscsid.log; exit 1
fi
i=0; while [ ! -e /dev/nst0 ] || ! ls /sys/class/scsi_changer/ 2>/dev/null | grep -q sch; do
    [ $i -ge 80 ] && { echo "VTL: no tape or changer device after login"; ls /dev; exit 1; }
    sleep 0.25; i=$((i + 1))
done
for s in /sys/class/scsi_generic/*; do
    d=$(readlink -f "$s/device")
    echo "VTL: ${s##*/} is ${d##*/} type $(cat "$s/device/type") $(cat "$s/device/vendor") $(cat "$s/device/model")"
done
echo "VTL: up (uptime $(up)s)"

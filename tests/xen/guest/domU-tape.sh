# The domU's tape, changer and optical workflow (sourced by domU-init for
# xt.mode=tape; pass/fail/say/since/up come from there). The guest's own
# drivers do the work: st (/dev/nst0), ch (/dev/sch0, driven by mtx), sr
# (/dev/sr0, mounted). The same runs against pvscsid and against the
# in-kernel xen-scsiback (xt.be= names the backend in the results).
# Virtual LUNs: 0:0:0:0 tape, 0:0:0:1 changer, 0:0:0:2 optical drive.
BE=$(sed -n 's/.*xt\.be=\([a-z-]*\).*/\1/p' /proc/cmdline)
BE=${BE:-pvscsid}
# Against the reference the results are reported, not counted: "XR" lines
# (the tier prints them next to pvscsid's).
if [ "$BE" != pvscsid ]; then
    pass() { echo "XR PASS $*"; }
    fail() { echo "XR FAIL $*"; }
fi
T=/dev/nst0
mt() { mt-st -f "$T" "$@"; }
TAR=gtar   # GNU tar (busybox's tar has no blocking factor)

# node DIR CLASS: the node a scsi_device has in a sysfs class
node() { ls "$1/$2" 2>/dev/null | head -1; }
wait_tape_luns() {
    i=0
    while :; do
        d0=$(lun_dir 0); d1=$(lun_dir 1); d2=$(lun_dir 2)
        [ -n "$d0" ] && [ -n "$d1" ] && [ -n "$d2" ] && [ -e /dev/nst0 ] &&
            [ -n "$(node "$d1" scsi_changer)" ] && [ -n "$(node "$d2" block)" ] && return 0
        [ $i -ge 480 ] && return 1
        sleep 0.25; i=$((i + 1))
    done
}
# mtx_status: mtx's view, one line per element (also kept in /tmp/mtx.txt)
mtx_status() { mtx -f "$CH" status > /tmp/mtx.txt 2>&1; rc=$?; sed 's/^/    /' /tmp/mtx.txt; return $rc; }
# slot_is N WHAT: storage element N is "Full :VolumeTag=WHAT" or "Empty"
slot_is() {
    if [ "$2" = Empty ]; then grep -q "Storage Element $1:Empty" /tmp/mtx.txt
    else grep -q "Storage Element $1:Full :VolumeTag=$2" /tmp/mtx.txt; fi
}
drive_is() {
    if [ "$1" = Empty ]; then grep -q "Data Transfer Element 0:Empty" /tmp/mtx.txt
    else grep -q "Data Transfer Element 0:Full (Storage Element [0-9]* Loaded):VolumeTag = $1" /tmp/mtx.txt; fi
}
# wait_ready: the drive answers after a load (st opens fail while not ready)
wait_ready() {
    i=0; until mt status >/dev/null 2>&1; do
        [ $i -ge 60 ] && return 1; sleep 0.5; i=$((i + 1))
    done
}

say "tape workflow against $BE"
if wait_tape_luns; then
    pass "$BE: tape 0:0:0:0 ($(ls /dev/st0 /dev/nst0 | tr '\n' ' ')), changer 0:0:0:1 (/dev/$(node "$d1" scsi_changer)), optical 0:0:0:2 (/dev/$(node "$d2" block)) visible"
else
    fail "$BE: tape, changer and optical LUNs did not all appear within 120 s"; lsscsi -g; say "TAPE-DONE"
    [ "$BE" = pvscsid ] && say "RO-TAPE-DONE"   # nothing to check it on
    return 0
fi
lsscsi -g
CH=/dev/$(node "$d1" scsi_changer)
for l in 0:tape:1 1:changer:8 2:cd/dvd:5; do
    n=${l%%:*}; ty=${l##*:}
    [ "$(cat "$(lun_dir "$n")/type")" = "$ty" ] && pass "$BE: LUN $n has SCSI type $ty (INQUIRY passed through)" ||
        fail "$BE: LUN $n type $(cat "$(lun_dir "$n")/type"), want $ty"
done

# ---- the changer: status, load TAPE0001 into the drive
TS=$(up)
if mtx_status && slot_is 1 TAPE0001 && slot_is 2 TAPE0002 && drive_is Empty; then
    pass "$BE: mtx status: drive empty, slots 1 and 2 hold TAPE0001 and TAPE0002"
else fail "$BE: mtx status (rc $rc) not as the library was set up"; fi
if mtx -f "$CH" load 1 0 && mtx_status && drive_is TAPE0001 && slot_is 1 Empty; then
    pass "$BE: mtx load 1 0: TAPE0001 in the drive"
else fail "$BE: mtx load 1 0"; fi
wait_ready || fail "$BE: drive not ready after the load"
mt status | sed 's/^/    /'
if mt rewind && mt setblk 0; then pass "$BE: mt rewind; mt setblk 0 (variable blocks)"
else fail "$BE: mt rewind / setblk 0"; fi

# ---- tape files in several block sizes, then a tar archive
TW=$(up)
sizes="512 4096 65536 131072"
ok=1
for bs in $sizes; do
    dd if=/dev/urandom of=/tmp/f$bs bs=$bs count=24 2>/dev/null
    dd if=/tmp/f$bs of="$T" bs=$bs 2>/tmp/dd.err || { ok=0; cat /tmp/dd.err; }
done
mkdir -p /tmp/tree/sub
dd if=/dev/urandom of=/tmp/tree/a.bin bs=1k count=700 2>/dev/null
dd if=/dev/urandom of=/tmp/tree/sub/b.bin bs=1k count=333 2>/dev/null
echo "pvscsid tape tar" > /tmp/tree/sub/c.txt
$TAR -C /tmp -cf "$T" -b 20 tree || ok=0
[ $ok = 1 ] && pass "$BE: wrote 4 tape files (24 records of 512 B, 4 KiB, 64 KiB, 128 KiB) and a tar archive (1 MiB, 10 KiB blocks)" ||
    fail "$BE: writing the tape files"
mt weof 1 || fail "$BE: mt weof"
echo "XU TIME $BE tape-write-5-files $(since "$TW")"
mt tell | sed 's/^/    /'

# ---- rewind, read everything back, compare
TR=$(up)
mt rewind || fail "$BE: mt rewind"
bad=""
for bs in $sizes; do
    dd if="$T" of=/tmp/r$bs bs=$bs 2>/dev/null
    cmp -s /tmp/f$bs /tmp/r$bs || bad="$bad $bs"
done
[ -z "$bad" ] && pass "$BE: after rewind the 4 tape files read back identical, each ending at its filemark" ||
    fail "$BE: tape files read back after rewind differ (block sizes:$bad)"
rm -rf /tmp/restore; mkdir -p /tmp/restore
bad=""
$TAR -C /tmp/restore -xf "$T" -b 20 || bad="$bad tar"
for f in a.bin sub/b.bin sub/c.txt; do cmp -s "/tmp/tree/$f" "/tmp/restore/tree/$f" || bad="$bad $f"; done
echo "XU TIME $BE tape-read-5-files $(since "$TR")"
[ -z "$bad" ] && pass "$BE: the tar archive restores identical" ||
    fail "$BE: restoring the tar archive:$bad"

# ---- position with fsf: the third file (64 KiB records), then the tar
if mt rewind && mt fsf 2 && dd if="$T" of=/tmp/x bs=65536 2>/dev/null && cmp -s /tmp/f65536 /tmp/x; then
    pass "$BE: mt rewind; mt fsf 2: the third file read back identical"
else fail "$BE: mt fsf 2 then read of the third file"; fi
rm -rf /tmp/restore; mkdir -p /tmp/restore
if mt fsf 1 && $TAR -C /tmp/restore -xf "$T" -b 20 && cmp -s /tmp/tree/a.bin /tmp/restore/tree/a.bin; then
    pass "$BE: mt fsf 1 from the end of the third file: the tar archive restores"
else fail "$BE: mt fsf 1 then tar"; fi
# a read with a buffer smaller than the record (the second file has 4 KiB
# records): the drive answers ILI with a negative residue, st fails the read
mt rewind; mt fsf 1
if dd if="$T" of=/tmp/x bs=2048 count=1 2>/tmp/dd.err; then
    fail "$BE: a 2048-byte read of a 4096-byte record succeeded (expected an error from st)"
else
    pass "$BE: a 2048-byte read of a 4096-byte record fails in st ($(head -1 /tmp/dd.err))"
fi

# ---- swap cartridges: TAPE0001 out, TAPE0002 in, a file on it, back
mt offline || fail "$BE: mt offline"
if mtx -f "$CH" unload 1 0 && mtx -f "$CH" load 2 0 && mtx_status && drive_is TAPE0002 && slot_is 1 TAPE0001; then
    pass "$BE: mt offline; mtx unload 1 0; mtx load 2 0: TAPE0002 in the drive, TAPE0001 back in slot 1"
else fail "$BE: swapping cartridges"; fi
wait_ready || fail "$BE: drive not ready after loading TAPE0002"
dd if=/dev/urandom of=/tmp/t2 bs=32k count=8 2>/dev/null
if mt rewind && mt setblk 0 && dd if=/tmp/t2 of="$T" bs=32k 2>/dev/null && mt rewind &&
   dd if="$T" of=/tmp/t2r bs=32k 2>/dev/null && cmp -s /tmp/t2 /tmp/t2r; then
    pass "$BE: TAPE0002: 256 KiB written, rewound, read back identical"
else fail "$BE: TAPE0002 write/read"; fi
# TAPE0001 still holds what was written: load it again, check the first file
mt offline
if mtx -f "$CH" unload 2 0 && mtx -f "$CH" load 1 0 && wait_ready && mt rewind &&
   dd if="$T" of=/tmp/x bs=512 2>/dev/null && cmp -s /tmp/f512 /tmp/x; then
    pass "$BE: TAPE0001 loaded again: its first file is still there"
else fail "$BE: TAPE0001 after the swap"; fi
mt offline
if mtx -f "$CH" unload 1 0 && mtx_status && drive_is Empty && slot_is 1 TAPE0001 && slot_is 2 TAPE0002; then
    pass "$BE: unloaded: the library is as it began"
else fail "$BE: final unload"; fi
echo "XU TIME $BE tape-whole-workflow $(since "$TS")"

# ---- the optical drive: mount the ISO, check its files
SR=/dev/$(node "$d2" block)
mkdir -p /mnt/cd
TC=$(up)
if mount -t iso9660 -o ro "$SR" /mnt/cd; then
    ls -l /mnt/cd | sed 's/^/    /'
    if [ -f /mnt/cd/random.bin ] && [ "$(md5sum < /mnt/cd/random.bin | cut -d' ' -f1)" = "$(cut -d' ' -f1 /mnt/cd/random.md5)" ]; then
        pass "$BE: $SR mounted (iso9660): random.bin matches the md5 recorded when the ISO was made"
    else fail "$BE: random.bin on the CD does not match its md5"; fi
    echo "XU MD5 cd $(md5sum < /mnt/cd/random.bin | cut -d' ' -f1)"
    umount /mnt/cd
else fail "$BE: mount $SR"; fi
echo "XU TIME $BE cd-mount-read $(since "$TC")"

# ---- pvscsid restarted in dom0 between and during tape commands
# (domU-restart.sh; not against the in-kernel reference)
if [ "$BE" = pvscsid ]; then
    . /xt/domU-restart.sh
    if mtx -f "$CH" load 2 0 && wait_ready; then
        restart_tape
        mt offline
        mtx -f "$CH" unload 2 0 || fail "$BE: unloading TAPE0002 after the restarts"
    else fail "$BE: loading TAPE0002 for the restarts"; fi
fi
say "TAPE-DONE"
[ "$BE" = pvscsid ] || return 0

# ---- dom0 gives the tape again as 0:0:0:3, read-only (pvscsictl --policy ro)
i=0; RT=""
while [ $i -lt 480 ]; do
    d3=$(lun_dir 3)
    [ -n "$d3" ] && RT=$(ls "$d3/scsi_tape" 2>/dev/null | grep '^nst[0-9]*$' | head -1)
    [ -n "$RT" ] && [ -e "/dev/$RT" ] && break
    RT=""; sleep 0.25; i=$((i + 1))
done
if [ -n "$RT" ]; then
    pass "$BE: the read-only tape 0:0:0:3 is /dev/$RT"
    T=/dev/$RT
    mtx -f "$CH" load 1 0 || fail "$BE: mtx load 1 0 for the read-only tape"
    wait_ready || fail "$BE: read-only tape not ready"
    mt setblk 0 || fail "$BE: mt setblk 0 on the read-only tape (MODE SELECT)"
    out=$(mt status 2>&1); echo "$out" | sed 's/^/    /'
    echo "$out" | grep -q WR_PROT && pass "$BE: st reports the read-only tape write-protected (mt status: WR_PROT)" ||
        fail "$BE: mt status of the read-only tape shows no WR_PROT"
    mt rewind
    if dd if=/tmp/t2 of="$T" bs=32k 2>/tmp/dd.err; then fail "$BE: writing the read-only tape succeeded"
    else pass "$BE: writing the read-only tape fails ($(head -1 /tmp/dd.err))"; fi
    mt weof 2>/dev/null && fail "$BE: mt weof on the read-only tape succeeded" ||
        pass "$BE: mt weof on the read-only tape fails"
    # past st: a WRITE(6) of one 512-byte variable record through sg
    dd if=/dev/zero of=/tmp/z512 bs=512 count=1 2>/dev/null
    refused "$BE: sg_raw WRITE(6) to the read-only tape" "Write protected" \
        sg_raw -v -s 512 -i /tmp/z512 "/dev/$(ls "$d3/scsi_generic")" 0a 00 00 02 00 00
    if mt rewind && dd if="$T" of=/tmp/x bs=512 2>/dev/null && cmp -s /tmp/f512 /tmp/x; then
        pass "$BE: the read-only tape reads: TAPE0001's first file is intact"
    else fail "$BE: reading the read-only tape"; fi
    mt offline; mtx -f "$CH" unload 1 0 || fail "$BE: unload after the read-only tape"
else fail "$BE: the read-only tape 0:0:0:3 did not appear"; fi
say "RO-TAPE-DONE"

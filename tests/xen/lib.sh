#!/bin/bash
# Shared helpers of the VM test tiers (sourced by run.sh and the tier scripts).
#
#   XT_CACHE   downloads, unpacked packages, initramfses, logs
#              (default /var/cache/pvscsid-lab; LAB_CACHE is accepted too)
#   XT_BUILD   a normal (non-sanitized) build of pvscsid (default build-xen in
#              the source tree, so each checkout builds its own)
#
# Everything comes from Debian's archive: the host tools are apt-get installed,
# the guest kernel and the hypervisor are apt-get downloaded and unpacked only.

XT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XT_SRC=$(cd "$XT_DIR/../.." && pwd)
XT_CACHE=${XT_CACHE:-${LAB_CACHE:-/var/cache/pvscsid-lab}}
XT_BUILD=${XT_BUILD:-$XT_SRC/build-xen}
XT_HOST_PKGS="qemu-system-x86 busybox-static cpio kmod file bc perl gcc libc6-dev \
liburing-dev libxen-dev xen-utils-4.17 xenstore-utils sg3-utils lsscsi genisoimage tar \
libaio1 libibverbs1 librdmacm1 libisns0 libopeniscsiusr"
# the tape library (tgt on iSCSI loopback) and the guest's tape tools: their
# packages are downloaded and unpacked only (their libraries above are installed
# so that ldd can resolve them)
XT_VTL_PKGS="tgt open-iscsi mt-st mtx"

# The emulated CPU of every VM tier: QEMU's "max" without XSAVE (and so
# without AVX and what builds on it, PKU and MPX state). With XSAVE on, Xen
# switches each vCPU's register state with XSAVE/XRSTOR (XCR0 0x21b: x87,
# SSE, MPX, PKRU) and processes in dom0 and the domU crashed at random under
# QEMU 7.2's TCG, through either backend: busybox grep, pvscsictl, dd, fio,
# and once, it seems, pvscsid at its start (it left no log line) (SIGSEGV,
# "malloc(): corrupted top size"), 2 to 4 a run of the xen tier, also with AVX off. Without XSAVE
# (Xen and Linux fall back to FXSAVE) the xen tier ran with none. Which
# part of the XSAVE path goes wrong under TCG was not pinned down.
# XT_CPU=... overrides it (e.g. to try a CPU model).
XT_CPU=${XT_CPU:-max,xsave=off,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off,pku=off,mpx=off}

xt_log() { printf '%s\n' "xt: $*" >&2; }
xt_die() { printf '%s\n' "xt: FATAL: $*" >&2; exit 2; }
xt_now() { date +%s.%N; }
xt_since() { printf '%.1f' "$(echo "$(xt_now) - $1" | bc)"; }

# Host packages (missing ones only) and the kernel + hypervisor packages,
# unpacked under $XT_CACHE/pkgs/<name>. Idempotent.
# xt_install PKG...: apt-get install the host packages not installed yet.
xt_install() {
    local missing="" p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    if [ -n "$missing" ]; then
        xt_log "apt-get install$missing"
        apt-get update -qq || xt_die "apt-get update failed"
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
            >/dev/null || xt_die "apt-get install$missing failed"
    fi
}

xt_fetch() {
    local p
    # shellcheck disable=SC2086
    xt_install $XT_HOST_PKGS
    mkdir -p "$XT_CACHE/debs" "$XT_CACHE/pkgs" || xt_die "cannot create $XT_CACHE"
    local kpkg
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    [ -n "$kpkg" ] || xt_die "no linux-image-amd64 in the apt lists (apt-get update?)"
    # The hypervisor must be the very version of the host's xen-utils-4.17
    # (libxenctrl's domctl ABI): pin it.
    local xver
    xver=$(dpkg-query -W -f='${Version}' xen-utils-4.17)
    for p in "$kpkg" "xen-hypervisor-4.17-amd64=$xver"; do xt_fetch_pkg "$p"; done
    echo "$kpkg" > "$XT_CACHE/kernel-pkg"
    XT_KPKG=$kpkg
    XT_KROOT=$XT_CACHE/pkgs/$kpkg
    XT_KVER=$(ls "$XT_KROOT/lib/modules")
    XT_VMLINUZ=$XT_KROOT/boot/vmlinuz-$XT_KVER
    # Debian's package has no modules.dep; the initramfs builder needs one
    [ -f "$XT_KROOT/lib/modules/$XT_KVER/modules.dep" ] || depmod -b "$XT_KROOT" "$XT_KVER"
    # Debian's xen-*.gz gunzipped is a multiboot ELF that qemu -kernel loads
    [ -f "$XT_CACHE/xen-$xver" ] ||
        zcat "$XT_CACHE/pkgs/xen-hypervisor-4.17-amd64/boot/xen-4.17-amd64.gz" > "$XT_CACHE/xen-$xver"
    XT_XEN=$XT_CACHE/xen-$xver
}

# xt_fetch_pkg NAME[=VERSION]: apt-get download a package into the cache,
# unpack it under $XT_CACHE/pkgs/NAME. Idempotent.
xt_fetch_pkg() {
    local name=${1%%=*}
    if ! ls "$XT_CACHE/debs/${name}_"*.deb >/dev/null 2>&1; then
        (cd "$XT_CACHE/debs" && apt-get download -qq "$1") || xt_die "apt-get download $1 failed"
    fi
    if [ ! -d "$XT_CACHE/pkgs/$name" ]; then
        rm -rf "$XT_CACHE/pkgs/$name.tmp"; mkdir -p "$XT_CACHE/pkgs/$name.tmp"
        dpkg-deb -x "$XT_CACHE/debs/${name}_"*.deb "$XT_CACHE/pkgs/$name.tmp" &&
            mv "$XT_CACHE/pkgs/$name.tmp" "$XT_CACHE/pkgs/$name" || xt_die "unpacking $name failed"
    fi
}

# xt_fetch_domU_kernel SERIES: a second guest kernel, Debian's
# linux-image-SERIES-amd64 (e.g. 6.12), for the domU only (dom0 keeps
# Debian 12's default). Sets XT_DOMU_KROOT, XT_DOMU_KVER, XT_DOMU_VMLINUZ.
xt_fetch_domU_kernel() {
    local kpkg
    kpkg=$(apt-cache depends "linux-image-$1-amd64" 2>/dev/null |
           awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    [ -n "$kpkg" ] || xt_die "no linux-image-$1-amd64 in the apt lists"
    xt_fetch_pkg "$kpkg"
    XT_DOMU_KROOT=$XT_CACHE/pkgs/$kpkg
    XT_DOMU_KVER=$(ls "$XT_DOMU_KROOT/lib/modules")
    XT_DOMU_VMLINUZ=$XT_DOMU_KROOT/boot/vmlinuz-$XT_DOMU_KVER
    [ -f "$XT_DOMU_KROOT/lib/modules/$XT_DOMU_KVER/modules.dep" ] ||
        depmod -b "$XT_DOMU_KROOT" "$XT_DOMU_KVER"
}

# xt_build_vm TEST: the plain-Linux VM tiers' release build ($XT_SRC/build-vm,
# or XT_VM_BUILD; the daemon over the simulator) of pvscsid-sim, pvscsictl,
# the xenstored shim and tests/vm/TEST. Sets VB to the build dir.
xt_build_vm() {
    VB=${XT_VM_BUILD:-$XT_SRC/build-vm}
    if [ ! -f "$VB/build.ninja" ]; then
        (cd "$XT_SRC" && meson setup "$VB" --buildtype=release -Db_lundef=false) \
            >"$XT_CACHE/build-vm.log" 2>&1 || { cat "$XT_CACHE/build-vm.log"; xt_die "meson setup failed"; }
    fi
    ninja -C "$VB" tests/integration/pvscsid-sim mgmt/pvscsictl tests/xenstored/xsshim.so \
        "tests/vm/$1" >>"$XT_CACHE/build-vm.log" 2>&1 ||
        { tail -30 "$XT_CACHE/build-vm.log"; xt_die "build failed"; }
}

# The virtual tape library's programs and the tape tools, unpacked under
# $XT_CACHE/pkgs/vtl (XT_VTL_ROOT). Idempotent.
xt_fetch_vtl() {
    XT_VTL_ROOT=$XT_CACHE/pkgs/vtl
    [ -x "$XT_VTL_ROOT/usr/sbin/tgtd" ] && [ -x "$XT_VTL_ROOT/usr/sbin/mtx" ] && return 0
    local p d
    for p in $XT_VTL_PKGS; do
        ls "$XT_CACHE/debs/${p}_"*.deb >/dev/null 2>&1 ||
            (cd "$XT_CACHE/debs" && apt-get download -qq "$p") || xt_die "apt-get download $p failed"
    done
    rm -rf "$XT_VTL_ROOT.tmp"; mkdir -p "$XT_VTL_ROOT.tmp"
    for p in $XT_VTL_PKGS; do
        for d in "$XT_CACHE/debs/${p}_"*.deb; do dpkg-deb -x "$d" "$XT_VTL_ROOT.tmp" || xt_die "unpacking $d"; done
    done
    rm -rf "$XT_VTL_ROOT"; mv "$XT_VTL_ROOT.tmp" "$XT_VTL_ROOT"
}

# xt_add_vtl ROOT: tgt (tgtd, tgtadm, tgtimg), open-iscsi (iscsid, iscsiadm,
# its config) and the script that brings the library up (/xt/vtl-up.sh) into
# the tree ROOT, at /usr/sbin.
xt_add_vtl() {
    local root=$1 b
    xt_fetch_vtl
    mkdir -p "$root/usr/sbin" "$root/etc/iscsi" "$root/xt"
    for b in usr/sbin/tgtd usr/sbin/tgtadm usr/sbin/tgtimg sbin/iscsid sbin/iscsiadm; do
        cp "$XT_VTL_ROOT/$b" "$root/usr/sbin/"
        xt_add_bins "$root.libs" "$XT_VTL_ROOT/$b"
    done
    rm -rf "${root:?}.libs$XT_VTL_ROOT"; cp -a "$root.libs/." "$root/"; rm -rf "$root.libs"
    cp "$XT_VTL_ROOT/etc/iscsi/iscsid.conf" "$root/etc/iscsi/"
    cp "$XT_DIR/guest/vtl-up.sh" "$root/xt/"
}

# xt_add_tape_tools ROOT: mt-st, mtx and GNU tar (the guest's tape tools).
xt_add_tape_tools() {
    local root=$1 b
    xt_fetch_vtl
    mkdir -p "$root/usr/sbin" "$root/usr/bin"
    cp "$XT_VTL_ROOT/bin/mt-st" "$root/usr/bin/mt-st"
    cp "$XT_VTL_ROOT/usr/sbin/mtx" "$root/usr/sbin/mtx"
    for b in "$XT_VTL_ROOT/bin/mt-st" "$XT_VTL_ROOT/usr/sbin/mtx"; do xt_add_bins "$root.libs" "$b"; done
    rm -rf "${root:?}.libs$XT_VTL_ROOT"; cp -a "$root.libs/." "$root/"; rm -rf "$root.libs"
    # GNU tar as gtar: busybox --install would shadow a "tar"
    xt_add_bins "$root.libs" /bin/tar
    mkdir -p "$root/usr/bin"; cp "$root.libs/bin/tar" "$root/usr/bin/gtar"
    rm -rf "$root.libs/bin/tar"; cp -a "$root.libs/." "$root/"; rm -rf "$root.libs"
}

# xt_make_iso OUT: an ISO 9660 image (Rock Ridge, Joliet) for the optical
# drive: random.bin (300 kB of random data), random.md5 (its md5), README.TXT
xt_make_iso() {
    local d=$1.d
    rm -rf "$d"; mkdir -p "$d"
    head -c 300000 /dev/urandom > "$d/random.bin"
    md5sum "$d/random.bin" | sed "s|  .*|  random.bin|" > "$d/random.md5"
    echo "pvscsid optical test" > "$d/README.TXT"
    genisoimage -quiet -R -J -V PVSCSID_TEST -o "$1" "$d" || xt_die "genisoimage failed"
    rm -rf "$d"
}

# The daemon and its CLI, a release build against the real Xen libraries.
xt_build() {
    if [ ! -f "$XT_BUILD/build.ninja" ]; then
        (cd "$XT_SRC" && meson setup "$XT_BUILD" --buildtype=release -Db_lundef=false) \
            >"$XT_CACHE/build.log" 2>&1 || { cat "$XT_CACHE/build.log"; xt_die "meson setup failed"; }
    fi
    ninja -C "$XT_BUILD" backend/pvscsid mgmt/pvscsictl >>"$XT_CACHE/build.log" 2>&1 ||
        { tail -30 "$XT_CACHE/build.log"; xt_die "build failed"; }
}

# The kernel modules dom0's initramfs carries (dom0-init loads them, except
# xen-scsiback and the target modules, which the reference loads when wanted).
XT_DOM0_MODS="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs sg sd_mod scsi_debug xen-scsiback \
target_core_pscsi st ch sr_mod crc32c_generic iscsi_tcp virtio_pci virtio_scsi"

# xt_xen_dom0 ROOT DOMU-INITRD: the dom0 tree of the Xen tiers: its /init, the
# host's Xen 4.17 userspace (same Debian version as the hypervisor), pvscsid +
# pvscsictl (XT_BUILD) with their libraries, the dom0 scenario scripts and the
# domU config under /xt, the tape library, the domU's kernel (XT_DOMU_VMLINUZ
# if set, else dom0's) and initramfs.
xt_xen_dom0() {
    local root=$1 initrd=$2 g=$XT_DIR/guest
    mkdir -p "$root/xt" "$root/usr/local/bin" "$root/etc/xen"
    cp "$g/dom0-init" "$root/init"
    xt_add_bins "$root" /usr/lib/xen-4.17/bin/{xl,xenstored,xenconsoled,xen-init-dom0,libxl-save-helper} \
        /usr/bin/xenstore-{ls,read,write,rm,exists,chmod,list,watch} \
        /lib/x86_64-linux-gnu/libgcc_s.so.1   # glibc dlopens it for pthread_cancel
    cp "$XT_BUILD/backend/pvscsid" "$XT_BUILD/mgmt/pvscsictl" "$root/usr/local/bin/"
    xt_add_bins "$root.libs" "$XT_BUILD/backend/pvscsid" "$XT_BUILD/mgmt/pvscsictl"
    rm -rf "${root:?}.libs$XT_BUILD"; cp -a "$root.libs/." "$root/"; rm -rf "$root.libs"
    cp -a /etc/xen/. "$root/etc/xen/" 2>/dev/null
    touch "$root/etc/xen/xl.conf"     # the defaults; silences xl's warning
    cp "$g"/dom0-*.sh "$g/domU.cfg" "$root/xt/"
    xt_add_vtl "$root"                # the tape library (tgt + open-iscsi)
    cp "${XT_DOMU_VMLINUZ:-$XT_VMLINUZ}" "$root/xt/vmlinuz"
    cp "$initrd" "$root/xt/initrd-domU.gz"
}

# xt_xen_qargs DOM0-INITRD "DOM0 ARGS": QARGS, the QEMU arguments that boot
# Xen with dom0 (Debian's kernel, DOM0-INITRD, console and DOM0 ARGS on its
# command line). smap=0: under TCG with -cpu max (XT_CPU) dom0 otherwise dies at its
# first iret ("d0v0 Unhandled: vec 14, #PF[0001]", see the lab report).
xt_xen_qargs() {
    local xen_cmd="smap=0 console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=2"
    xen_cmd="$xen_cmd loglvl=warning guest_loglvl=warning"
    QARGS=(-cpu "$XT_CPU" -smp 2 -m 2048 -kernel "$XT_XEN" -append "$xen_cmd"
           -initrd "$XT_VMLINUZ console=hvc0 earlyprintk=xen loglevel=4 panic=-1 $2,$1")
}

# xt_add_bins ROOT FILE...: copy FILEs into the tree ROOT at their own path,
# with every shared library the dynamic loader would use (ldd).
xt_add_bins() {
    local root=$1 f lib; shift
    for f in "$@"; do
        mkdir -p "$root$(dirname "$f")"
        cp -L "$f" "$root$f"
        ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'
    done | sort -u | while read -r lib; do
        mkdir -p "$root$(dirname "$lib")"
        [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
    done
}

# xt_initramfs OUT ROOT "module ...": add busybox, the named kernel modules with
# their dependencies (in load order in /etc/xt-modules) to the tree ROOT, pack it.
xt_initramfs() {
    local out=$1 root=$2 mods=$3 m ko rel
    mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,mnt,srv,var/log,usr/bin,usr/sbin}
    cp /bin/busybox "$root/bin/busybox"
    ln -sf busybox "$root/bin/sh"
    : > "$root/etc/xt-modules"
    for m in $mods; do
        modprobe -d "$XT_KROOT" -S "$XT_KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}' |
        while read -r ko; do
            rel=/${ko#"$XT_KROOT"/}
            mkdir -p "$root$(dirname "$rel")"
            cp "$ko" "$root$rel"
            # Debian's newer kernels (6.12) ship modules xz-compressed;
            # busybox insmod wants them plain
            case $rel in
                *.ko.xz) xz -d -f "$root$rel" || xt_die "xz -d $rel"; rel=${rel%.xz} ;;
            esac
            grep -qxF "$rel" "$root/etc/xt-modules" || echo "$rel" >> "$root/etc/xt-modules"
        done
    done
    [ -s "$root/etc/xt-modules" ] || xt_die "no modules resolved for: $mods"
    mkdir -p "$root/lib/modules/$XT_KVER"
    cp "$XT_KROOT/lib/modules/$XT_KVER"/modules.{dep,alias,builtin,order} "$root/lib/modules/$XT_KVER/" 2>/dev/null
    chmod +x "$root/init"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
}

# xt_qemu LOG TIMEOUT QEMU-ARGS...: one QEMU (TCG), serial console to LOG with
# a wall-clock stamp per line, also to stdout when XT_VERBOSE=1.
xt_qemu() {
    local log=$1 tmo=$2; shift 2
    local out=/dev/null
    [ "${XT_VERBOSE:-0}" = 1 ] && out=/dev/stdout
    timeout --foreground -k 5 "$tmo" qemu-system-x86_64 -accel tcg -nographic -no-reboot "$@" </dev/null 2>&1 |
        perl -MTime::HiRes=time -ne 'BEGIN { $| = 1; $t0 = time } s/\r//g; printf "[%7.2f] %s", time - $t0, $_' |
        tee "$log" > "$out"
    return "${PIPESTATUS[0]}"
}

# xt_vt_results LOG QEMU-EXIT: the TAP lines a VM test printed on the console
# (prefixed "VT "), renumbered, plus one case for its completion ("VT0:
# VT-END", QEMU exit 0, as many cases as planned). Exit 1 on any failure.
xt_vt_results() {
    local log=$1 qrc=$2 n=0 bad=0 plan=0 line rest
    while IFS= read -r line; do
        case $line in
            "1.."*) plan=${line#1..} ;;
            "#"*) echo "$line" ;;
            "ok "*|"not ok "*)
                n=$((n + 1))
                rest=${line#ok }; rest=${rest#not ok }; rest=${rest#* }
                case $line in
                    "not ok "*) echo "not ok $n $rest"; bad=$((bad + 1)) ;;
                    *) echo "ok $n $rest" ;;
                esac ;;
        esac
    done < <(sed -n 's/^\[ *[0-9.]*\] VT \(.*\)$/\1/p' "$log")
    n=$((n + 1))
    if grep -q "VT0: VT-END" "$log" && [ "$qrc" = 0 ] && [ "$plan" -gt 0 ] && [ "$((n - 1))" = "$plan" ]; then
        echo "ok $n - test ran to its end ($plan cases), QEMU exited"
    else
        echo "not ok $n - test did not complete (QEMU exit $qrc, $((n - 1)) of ${plan} cases; last lines:)"
        tail -15 "$log" | sed 's/^/#   /'; bad=$((bad + 1))
    fi
    echo "1..$n"
    echo "# $((n - bad)) passed, $bad failed"
    [ "$bad" = 0 ]
}

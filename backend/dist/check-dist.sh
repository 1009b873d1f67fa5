#!/bin/sh
# Checks what `meson install` ships besides binaries: the systemd unit
# (systemd-analyze verify, with ExecStart pointing at the built daemon),
# the manual pages (groff warnings are errors) and the example settings
# file (the built daemon must accept it). Prints TAP.
# Usage: check-dist.sh UNIT.in PVSCSID CONF MAN...
set -u
unit_in=$1 pvscsid=$(realpath "$2") conf=$3
shift 3
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..$(( 2 + $# ))"

n=$((n + 1))
if command -v systemd-analyze >/dev/null; then
    sed -e "s|@SBINDIR@/pvscsid|$pvscsid|" -e "s|@SYSCONFDIR@|/etc|" "$unit_in" \
        >"$tmp/pvscsid.service"
    if systemd-analyze verify --man=no "$tmp/pvscsid.service" >"$tmp/out" 2>&1; then
        echo "ok $n - systemd-analyze verify pvscsid.service"
    else
        sed 's/^/# /' "$tmp/out"
        echo "not ok $n - systemd-analyze verify pvscsid.service"
    fi
else
    echo "ok $n - systemd-analyze verify # SKIP systemd-analyze not installed"
fi

n=$((n + 1))
# --help after --config: the file is parsed (errors are fatal) before help.
if "$pvscsid" --config "$conf" --help >/dev/null 2>"$tmp/err"; then
    echo "ok $n - pvscsid accepts the example pvscsid.conf"
else
    sed 's/^/# /' "$tmp/err"
    echo "not ok $n - pvscsid accepts the example pvscsid.conf"
fi

for man in "$@"; do
    n=$((n + 1))
    if ! command -v groff >/dev/null; then
        echo "ok $n - $(basename "$man") # SKIP groff not installed"
    elif groff -man -ww -z "$man" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
        echo "ok $n - $(basename "$man") formats without warnings"
    else
        sed 's/^/# /' "$tmp/out"
        echo "not ok $n - $(basename "$man") formats without warnings"
    fi
done

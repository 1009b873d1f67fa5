#!/bin/sh
# Installs what pvscsid needs to build and test on Debian 12 (run as root).
# Idempotent: packages already present are not fetched again.
set -eu
PKGS="build-essential meson ninja-build pkg-config python3 fio
      libxen-dev xen-utils-4.17 xenstore-utils
      liburing-dev libsgutils2-dev sg3-utils libinih-dev libsystemd-dev libudev-dev
      libmicrohttpd-dev libxml2-dev libjson-c-dev uuid-dev libcurl4-openssl-dev
      python3-os-xenapi prometheus linux-perf"
[ "${WITH_CLANG:-0}" = 1 ] && PKGS="$PKGS clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # xen-utils' postinst warns "Can't find hypervisor information" on
    # machines without Xen and still succeeds.
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

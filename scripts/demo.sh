#!/bin/sh
# Sets up the machine, builds pvscsid and runs the demo: the real daemon
# (linked to the hypervisor simulator) serving a simulated Linux guest
# (xen-scsifront's handshake and ring use) over a private real xenstored.
# Needs no Xen.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-demo}

./scripts/setup.sh
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=debugoptimized >/dev/null
ninja -C "$BUILD" -j"${JOBS:-2}" >/dev/null
export PVSCSID_SIM="$PWD/$BUILD/tests/integration/pvscsid-sim"
export PVSCSICTL="$PWD/$BUILD/mgmt/pvscsictl"
exec "$BUILD/tests/demo/pvscsid-demo"

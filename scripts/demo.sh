#!/bin/sh
# Sets up the machine, builds pvscsid and runs the demo: a simulated Linux
# guest (xen-scsifront's handshake and ring use) served over the hypervisor
# simulator and a private real xenstored. Needs no Xen.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-demo}

./scripts/setup.sh
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=debugoptimized >/dev/null
ninja -C "$BUILD" -j"${JOBS:-2}" >/dev/null
exec "$BUILD/tests/integration/test_loop"

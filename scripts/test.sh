#!/bin/sh
# Builds pvscsid with ASan+UBSan and -Werror and runs every test.
# Ends with "N passed, N failed" (test cases, counted from their TAP output).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-test}

./scripts/setup.sh
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" --werror -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$BUILD" -j"${JOBS:-2}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
meson test -C "$BUILD" --print-errorlogs --num-processes "${JOBS:-2}" "$@" || rc=$?
python3 scripts/count-tests.py "$BUILD/meson-logs/testlog.json"
exit $rc

#!/bin/bash
# Runs the VM test tiers from a fresh Debian 12 machine (as root: apt-get):
# installs the host packages, downloads Debian's kernel and Xen 4.17 packages
# into the cache, builds pvscsid, runs each tier, prints wall times and ends
# with "N passed, N failed" (exit 1 if anything failed or a tier could not run).
#
#   tests/xen/run.sh            every tier: xen, xentape (both with the xen-scsiback reference), sg, tape,
#                               tapemap, xen612, xentape612 (the domU on Linux 6.12)
#   tests/xen/run.sh xen        only the named tiers
#   tests/xen/run.sh perf       the performance tier (a benchmark: never in the
#                               default list, its runs are not counted as tests;
#                               it fails only if a run or a data check failed)
#   XT_CACHE=/abs/dir           cache (default /var/cache/pvscsid-lab; LAB_CACHE too)
#   XT_REF=0                    skip the in-kernel reference in the xen tier
#   XT_VERBOSE=1                serial consoles live on stdout
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || xt_die "run as root (apt-get, module tooling)"
tiers=("$@")
[ ${#tiers[@]} = 0 ] && tiers=(xen sg tape tapemap xentape xen612 xentape612)
export XT_CACHE XT_BUILD
export XT_REF=${XT_REF:-1}

passed=0 failed=0
summary=()
t=$(xt_now)
( xt_fetch && xt_build ) || { echo "setup FAILED (packages, downloads or build)"; echo "0 passed, 1 failed"; exit 1; }
summary+=("$(printf '%-8s %7.1f s' setup "$(xt_since "$t")")")
for tier in "${tiers[@]}"; do
    script=$XT_DIR/tier-$tier.sh
    [ -x "$script" ] || { echo "no tier $tier"; failed=$((failed + 1)); continue; }
    t=$(xt_now)
    out=$XT_CACHE/tier-$tier.tap
    "$script" | tee "$out"
    rc=${PIPESTATUS[0]}
    if [ "$tier" = perf ]; then
        [ "$rc" = 0 ] && r="benchmark complete, not counted" || { r="benchmark FAILED"; failed=$((failed + 1)); }
        summary+=("$(printf '%-8s %7.1f s  %s' "$tier" "$(xt_since "$t")" "$r")")
        continue
    fi
    p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
    # a tier that could not start or died counts as a failure, never a skip
    [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
    passed=$((passed + p)); failed=$((failed + f))
    summary+=("$(printf '%-8s %7.1f s  %3d passed, %d failed' "$tier" "$(xt_since "$t")" "$p" "$f")")
done
echo "# wall times:"
printf '#   %s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/bash
# Xen tier, tape scenario, with the domU on Debian's Linux 6.12 (see
# tier-xen612.sh). Without the in-kernel reference (tier-xentape.sh runs it).
export XT_SCENARIO=tape XT_DOMU_KERNEL=6.12 XT_REF=0
exec "$(dirname "$0")/tier-xen.sh" "$@"

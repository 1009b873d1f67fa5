#!/bin/bash
# Xen tier, disk scenario, with a second guest kernel: the domU runs Debian's
# Linux 6.12 (linux-image-6.12-amd64) next to dom0's 6.1, a second real
# xen-scsifront. Without the in-kernel reference (tier-xen.sh runs it).
export XT_DOMU_KERNEL=6.12 XT_REF=0
exec "$(dirname "$0")/tier-xen.sh" "$@"

#!/bin/bash
# Xen tier, tape scenario: a tgt tape library (drive + changer) and a CD-ROM
# in dom0, given by pvscsid to a PV domU whose st, ch and sr drivers run
# mtx, mt-st, tar and mount; with XT_REF=1 the same against xen-scsiback.
# See tier-xen.sh (same options) and guest/dom0-tape.sh, guest/domU-tape.sh.
export XT_SCENARIO=tape
exec "$(dirname "$0")/tier-xen.sh" "$@"

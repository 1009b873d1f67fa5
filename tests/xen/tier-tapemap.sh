#!/bin/bash
# The tape tier again with the daemon's grant-map datapath (--datapath map):
# the same 44-step tape script, changer, reservations and optical drive,
# data moved by mapping the guest's pages instead of copying.
export SG_DATAPATH=map
exec "$(dirname "$0")/tier-tape.sh" "$@"

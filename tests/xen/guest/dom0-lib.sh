# Shared by the dom0 scenarios (dom0-e2e.sh, dom0-tape.sh; sourced):
# result lines, the guests' console logs, pvscsictl, starting and stopping
# pvscsid. Results are "XT PASS|FAIL dom0: ..." lines.
up() { cut -d' ' -f1 /proc/uptime; }
pass() { echo "XT PASS dom0: $*"; }
fail() { echo "XT FAIL dom0: $*"; }
say() { echo "XT0: $* (uptime $(up)s)"; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }'; }
LOGDIR=/var/log/xen/console
PLOG=/var/log/pvscsid.log
SOCK=/run/pvscsid/xapi.sock
CFG=/xt/domU.cfg

# wait_guest NAME PATTERN SECONDS [UNLESS]: the guest's console log shows
# PATTERN (fails at once if it shows UNLESS first: the guest went past)
wait_guest() {
    i=0
    until grep -q "$2" "$LOGDIR/guest-$1.log" 2>/dev/null; do
        [ -n "${4:-}" ] && grep -q "$4" "$LOGDIR/guest-$1.log" 2>/dev/null &&
            { fail "$1 showed '$4' without '$2'"; return 1; }
        [ $i -ge $(($3 * 2)) ] && { fail "$1 did not reach '$2' within $3 s"; return 1; }
        sleep 0.5; i=$((i + 1))
    done
}
follow_guest() { tail -n +1 -F "$LOGDIR/guest-$1.log" 2>/dev/null | sed "s/^/[$1] /" & }
ctl() { echo "# pvscsictl $*"; pvscsictl "$@" 2>&1; }
alive() { kill -0 "$PVSCSID" 2>/dev/null; }

# start_pvscsid: in the background (PVSCSID its pid), its log appended to
# PLOG and shown on the console prefixed [pvscsid]; waits until the
# management socket answers (after a kill -9 the old socket file is still
# there). Exits the scenario if it does not come up. Its options:
# PVSCSID_ARGS (default --log-level debug).
start_pvscsid() {
    # shellcheck disable=SC2086
    pvscsid -f ${PVSCSID_ARGS---log-level debug} >> "$PLOG" 2>&1 &
    PVSCSID=$!
    if [ "${PLOG_FOLLOWED:-}" != "$PLOG" ]; then   # one follower per log file
        tail -n +1 -F "$PLOG" 2>/dev/null | sed 's/^/[pvscsid] /' &
        PLOG_FOLLOWED=$PLOG
    fi
    i=0; until pvscsictl vscsi-list >/tmp/pvscsictl.out 2>&1; do
        alive && [ $i -lt 200 ] || break
        sleep 0.05; i=$((i + 1))
    done
    if [ $i -lt 200 ] && alive; then pass "pvscsid started (pid $PVSCSID), management socket up"
    else
        if alive; then a="running"
        else wait "$PVSCSID"; a="gone, exit status $?"; fi   # 128+N: killed by signal N
        fail "pvscsid did not start (process $PVSCSID $a; pvscsictl: $(head -3 /tmp/pvscsictl.out))"
        sleep 1; cat "$PLOG"; exit 1
    fi
}

# stop_pvscsid: SIGTERM; it must exit 0 within 10 s.
stop_pvscsid() {
    kill -TERM "$PVSCSID"
    i=0; while alive && [ $i -lt 40 ]; do sleep 0.25; i=$((i + 1)); done
    if alive; then fail "pvscsid still running 10 s after SIGTERM"; kill -KILL "$PVSCSID"
    else wait "$PVSCSID"; rc=$?; [ $rc = 0 ] && pass "pvscsid exited 0 on SIGTERM" || fail "pvscsid exited $rc on SIGTERM"; fi
}

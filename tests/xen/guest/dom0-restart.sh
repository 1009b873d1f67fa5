# Restarting pvscsid under a running guest (sourced by the dom0 scenarios
# after dom0-lib.sh). The guest says when it is ready (its console) and dom0
# tells it the restart is over through xenstore (its data/xt-rs).
#
#   restart_pvscsid term|kill RINGS WHAT [idle]
#     term: SIGTERM (what systemctl restart and an upgrade do), the old process
#           must exit 0; kill: kill -9 (a crash). Then a new pvscsid starts.
#     Checks that each of the RINGS rings is resumed from its journal (never
#     "going by the shared ring alone"), within 2 s of the new start, and
#     reports: how long the old process took to stop, when the new one took
#     the rings over, when it completed its first command (the signal to
#     that is the longest the guest's I/O stood still), which commands were
#     run again or answered lost. idle: the guest sends nothing until told
#     (a restart between commands): no first completion to wait for.
#   tell_guest DOMID VALUE: xenstore data/xt-rs of the guest := VALUE

tell_guest() { xenstore-write "/local/domain/$1/data/xt-rs" "$2"; }
# requests_total: the requests every ring has completed, from pvscsictl stats
requests_total() {
    pvscsictl --json stats 2>/dev/null | grep -o '"requests": *[0-9]*' | tr -dc '0-9\n' |
        awk '{ s += $1 } END { print s + 0 }'
}
# logged PATTERN: how many lines of PLOG match (grep tried again if it
# died: under TCG a busybox tool in dom0 now and then dies of SIGSEGV)
logged() {
    for try in 1 2 3; do n=$(grep -c "$1" "$PLOG" 2>/dev/null); [ -n "$n" ] && break; done
    echo "${n:-0}"
}
between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

restart_pvscsid() {
    kind=$1 rings=$2 what=$3 idle=${4:-}
    resumed0=$(logged ': resumed from its journal')
    blind0=$(logged 'going by the shared ring alone')
    again0=$(logged 'may have run before the restart: run again')
    lost0=$(logged 'answered as failed (lost)')
    say "restart ($what): $kind pvscsid $PVSCSID"
    t_stop=$(up)
    if [ "$kind" = term ]; then
        kill -TERM "$PVSCSID"
        i=0; while alive && [ $i -lt 1400 ]; do sleep 0.05; i=$((i + 1)); done
        if alive; then fail "$what: pvscsid still running 70 s after SIGTERM"; kill -KILL "$PVSCSID"; fi
        wait "$PVSCSID"; rc=$?
        t_gone=$(up)
        [ $rc = 0 ] && pass "$what: the old pvscsid finished its commands and exited 0 in $(between "$t_stop" "$t_gone") s" ||
            fail "$what: the old pvscsid exited $rc on SIGTERM"
    else
        kill -KILL "$PVSCSID"; wait "$PVSCSID" 2>/dev/null
        t_gone=$t_stop
    fi
    # the take-over: one "resumed from its journal" line per ring, watched
    # from before the start
    ( i=0
      while [ "$(logged ': resumed from its journal')" -lt $((resumed0 + rings)) ] &&
            [ $i -lt 1000 ]; do sleep 0.02; i=$((i + 1)); done
      up > /tmp/rs-over ) &
    watcher=$!
    t_start=$(up)
    start_pvscsid
    wait $watcher
    t_over=$(cat /tmp/rs-over)
    n=$(($(logged ': resumed from its journal') - resumed0))
    blind=$(($(logged 'going by the shared ring alone') - blind0))
    took=$(between "$t_start" "$t_over")
    if [ "$n" = "$rings" ] && [ "$blind" = 0 ] && awk -v t="$took" 'BEGIN { exit !(t <= 2) }'; then
        pass "$what: the new pvscsid resumed $n ring(s) from the journal $took s after it started"
    else
        fail "$what: $n of $rings ring(s) resumed from the journal, $blind without it, after $took s (want all, within 2 s)"
    fi
    # the first command the new process completes (the guest keeps I/O
    # going), bounded by the clock: each pvscsictl call is slow under TCG
    if [ -z "$idle" ]; then
        until [ "$(requests_total)" != 0 ] ||
              awk -v a="$t_start" -v b="$(up)" 'BEGIN { exit !(b - a > 20) }'; do sleep 0.05; done
        # (pvscsictl polled under TCG: an upper bound; the guest's own figure
        # is fio's longest I/O latency, domU-restart.sh)
        t_first=$(up)
        first="showed a completed command in its stats $(between "$t_start" "$t_first") s after its start; from the signal to that first completion $(between "$t_stop" "$t_first") s"
    else
        first="the guest was idle (nothing to complete)"
    fi
    again=$(($(logged 'may have run before the restart: run again') - again0))
    lost=$(($(logged 'answered as failed (lost)') - lost0))
    grep 'may have run before the restart' "$PLOG" | tail -n $((again + lost)) | sed 's/^/XT0:   /'
    say "restart ($what): stop took $(between "$t_stop" "$t_gone") s; new pvscsid took over $took s and $first; $again command(s) run again, $lost answered lost"
    RS_AGAIN=$again RS_LOST=$lost
}

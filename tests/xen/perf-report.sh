#!/bin/bash
# The performance tier's tables (Markdown) from its serial log: every round
# and the median per backend, the ratio pvscsid / xen-scsiback, dom0's CPU
# per request, the tape stream, idle CPU, pvscsid's syscalls under strace.
#   tests/xen/perf-report.sh [LOG]     (default $XT_CACHE/xen-perf.log)
# Reads the "XP ..." lines that guest/dom0-perf.sh and guest/domU-perf.sh print.
set -uo pipefail
LOG=${1:-${XT_CACHE:-/var/cache/pvscsid-lab}/xen-perf.log}
[ -r "$LOG" ] || { echo "perf-report: no log $LOG" >&2; exit 2; }
sed -n 's/^.*\(XP [A-Z0-9]* .*\)$/\1/p' "$LOG" | tr -d '\r' | awk '
function kv(s, k,   a, i, n) {   # the value of k=V in the record s
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2)
    return ""
}
function med(list,   a, n, i, j, t) {   # median of a space-separated list ("-" if empty)
    n = split(list, a, " ")
    if (n == 0) return "-"
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function rounds(list, fmt,   a, n, i, s) {   # "r1 / r2 / r3" formatted
    n = split(list, a, " ")
    s = ""
    for (i = 1; i <= n; i++) s = s (i > 1 ? " / " : "") sprintf(fmt, a[i])
    return n ? s : "-"
}
function failed(be, j) { return nfail[be, j] ? sprintf(" (+%d failed)", nfail[be, j]) : "" }
function ratio(p, k) { return (p == "-" || k == "-" || k + 0 == 0) ? "-" : sprintf("%.2f", p / k) }
function add(key, v) { vals[key] = (key in vals) ? vals[key] " " v : v }
function addrow(r) { if (!(r in seenrow)) { seenrow[r] = 1; rows[++nrows] = r } }
function busy(s) { return kv(s, "user") + kv(s, "nice") + kv(s, "sys") + kv(s, "irq") + kv(s, "softirq") }
$2 == "FIO" && $4 != "strace" && $4 != "profile" {
    addrow($5); be = $3
    # a failed run is listed, and left out of the figures
    if (kv($0, "rc") != "0" || kv($0, "err") != "0") { bad = bad "\n- " $0; nfail[be, $5]++; next }
    add(be SUBSEP $5 SUBSEP "iops", kv($0, "iops")); add(be SUBSEP $5 SUBSEP "mbps", kv($0, "mbps"))
    add(be SUBSEP $5 SUBSEP "p50", kv($0, "p50")); add(be SUBSEP $5 SUBSEP "p99", kv($0, "p99"))
    ios[be, $4, $5] = kv($0, "ios")
}
$2 == "FIO" && $4 == "strace" { sios[$5] = kv($0, "ios"); siops[$5] = kv($0, "iops") }
$2 == "TAPE" {
    r = "tape " $5 " " ($6 / 1024) " KiB"; addrow2(r); be = $3
    if (kv($0, "rc") == "0") add(be SUBSEP r SUBSEP "mbps", kv($0, "mbps"))
    if (kv($0, "rc") != "0") { bad = bad "\n- " $0; next }
    mib[be, $4, "tape-" $5 "-" $6] = kv($0, "bytes") / 1048576
}
$2 == "CPU" { cpu[$3, $4, $5] = $0 }
$2 == "VERIFY" { verify[++nverify] = $0 }
$2 == "TOP" && ($4 == 1 || $4 == "strace") { tops[++ntops] = substr($0, 8) }
$2 == "TAPE1M" { t1m[++nt1m] = $0 }
$2 == "CMD" { c = $0; sub(/^XP CMD [^ ]* /, "", c); if (!(c in seencmd)) { seencmd[c] = 1; cmds[++ncmds] = c } }
$2 == "PROFILE" { k = $3 " " $4; if (!(k in prof)) profk[++nprof] = k; prof[k] = prof[k] "\n" substr($0, length($1 $2 $3 $4) + 5) }
$2 == "STRACE" { st[$3] = st[$3] "\n" substr($0, length($1 $2 $3) + 4) }
function addrow2(r) { if (!(r in seen2)) { seen2[r] = 1; rows2[++nrows2] = r } }
END {
    nb = split("pvscsid xen-scsiback", B, " ")
    # CPU per request (us) of each round, from the CPU lines joined with the FIO lines
    for (k in cpu) {
        split(k, f, SUBSEP); be = f[1]; rd = f[2]; job = f[3]
        if (rd == "strace" || rd == "profile") continue
        if (job ~ /^tape-/) {
            if (!((be, rd, job) in mib) || mib[be, rd, job] == 0) continue
            d = job; sub(/^tape-/, "", d); split(d, g, "-"); r = "tape " g[1] " " (g[2] / 1024) " KiB"
            n = mib[be, rd, job]; unit = 1e4 / 1000   # ticks -> ms per MiB
            add(be SUBSEP r SUBSEP "busy", sprintf("%.1f", busy(cpu[k]) * 10 / n))
            add(be SUBSEP r SUBSEP "proc", sprintf("%.1f", kv(cpu[k], "proc") * 10 / n))
            add(be SUBSEP r SUBSEP "irqthr", sprintf("%.1f", kv(cpu[k], "irqthr") * 10 / n))
            continue
        }
        if (job == "idle") {
            w = kv(cpu[k], "wall")
            add(be SUBSEP "idle" SUBSEP "proc", sprintf("%.2f", kv(cpu[k], "proc") / w))
            add(be SUBSEP "idle" SUBSEP "busy", sprintf("%.2f", busy(cpu[k]) / w))
            continue
        }
        n = ios[be, rd, job]
        if (n + 0 == 0) continue
        add(be SUBSEP job SUBSEP "busy", sprintf("%.0f", busy(cpu[k]) * 1e4 / n))
        add(be SUBSEP job SUBSEP "proc", sprintf("%.0f", kv(cpu[k], "proc") * 1e4 / n))
        add(be SUBSEP job SUBSEP "irqthr", sprintf("%.0f", kv(cpu[k], "irqthr") * 1e4 / n))
        add(be SUBSEP job SUBSEP "cs", sprintf("%.2f", (kv(cpu[k], "vcs") + kv(cpu[k], "nvcs")) / n))
    }
    print "### fio in the domU (direct=1, libaio, raw sd on dom0 scsi_debug delay=0): IOPS, each round and the median"
    print ""
    print "| job | pvscsid IOPS | median | xen-scsiback IOPS | median | ratio | MB/s pvscsid / kernel | p50 us pvscsid / kernel | p99 us pvscsid / kernel |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= nrows; i++) {
        j = rows[i]; p = vals["pvscsid" SUBSEP j SUBSEP "iops"]; x = vals["xen-scsiback" SUBSEP j SUBSEP "iops"]
        mp = med(p); mx = med(x)
        printf "| %s | %s | %s | %s | %s | **%s** | %s / %s | %s / %s | %s / %s |\n", j,
            rounds(p, "%.0f") failed("pvscsid", j), (mp == "-" ? "-" : sprintf("%.0f", mp)),
            rounds(x, "%.0f") failed("xen-scsiback", j), (mx == "-" ? "-" : sprintf("%.0f", mx)),
            ratio(mp, mx), med(vals["pvscsid" SUBSEP j SUBSEP "mbps"]), med(vals["xen-scsiback" SUBSEP j SUBSEP "mbps"]),
            med(vals["pvscsid" SUBSEP j SUBSEP "p50"]), med(vals["xen-scsiback" SUBSEP j SUBSEP "p50"]),
            med(vals["pvscsid" SUBSEP j SUBSEP "p99"]), med(vals["xen-scsiback" SUBSEP j SUBSEP "p99"])
    }
    print ""
    print "### dom0 CPU per request (us; fio I/Os): each round and the median"
    print ""
    print "dom0 = all of dom0 (/proc/stat user+nice+system+irq+softirq, both vCPUs) over the job;"
    print "own = pvscsid process utime+stime (all threads) / the kernel irq/*-vscsiif threads."
    print ""
    print "| job | dom0, pvscsid | dom0, xen-scsiback | ratio | own: pvscsid | own: irq/*-vscsiif | pvscsid context switches per request |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= nrows; i++) {
        j = rows[i]; p = vals["pvscsid" SUBSEP j SUBSEP "busy"]; x = vals["xen-scsiback" SUBSEP j SUBSEP "busy"]
        printf "| %s | %s (%s) | %s (%s) | **%s** | %s (%s) | %s (%s) | %s |\n", j, rounds(p, "%d"), med(p), rounds(x, "%d"), med(x),
            ratio(med(p), med(x)), rounds(vals["pvscsid" SUBSEP j SUBSEP "proc"], "%d"), med(vals["pvscsid" SUBSEP j SUBSEP "proc"]),
            rounds(vals["xen-scsiback" SUBSEP j SUBSEP "irqthr"], "%d"), med(vals["xen-scsiback" SUBSEP j SUBSEP "irqthr"]),
            med(vals["pvscsid" SUBSEP j SUBSEP "cs"])
    }
    if (nrows2) {
        print ""
        print "### tape stream (dd, variable blocks, /dev/nst0 in the domU; tgt drive on tmpfs in dom0): MB/s, each round and the median"
        print ""
        print "| stream | pvscsid MB/s | median | xen-scsiback MB/s | median | ratio | dom0 ms CPU per MiB pvscsid / kernel | own: pvscsid / irq thread |"
        print "|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= nrows2; i++) {
            j = rows2[i]; p = vals["pvscsid" SUBSEP j SUBSEP "mbps"]; x = vals["xen-scsiback" SUBSEP j SUBSEP "mbps"]
            printf "| %s | %s | %s | %s | %s | **%s** | %s / %s | %s / %s |\n", j, rounds(p, "%.1f"), med(p), rounds(x, "%.1f"), med(x),
                ratio(med(p), med(x)), med(vals["pvscsid" SUBSEP j SUBSEP "busy"]), med(vals["xen-scsiback" SUBSEP j SUBSEP "busy"]),
                med(vals["pvscsid" SUBSEP j SUBSEP "proc"]), med(vals["xen-scsiback" SUBSEP j SUBSEP "irqthr"])
        }
    }
    print ""
    print "### idle, the guest connected (CPU ticks per second, 100 = one CPU)"
    print ""
    for (b = 1; b <= nb; b++)
        printf "- %s: own %s (median %s), all of dom0 %s (median %s)\n", B[b],
            rounds(vals[B[b] SUBSEP "idle" SUBSEP "proc"], "%.2f"), med(vals[B[b] SUBSEP "idle" SUBSEP "proc"]),
            rounds(vals[B[b] SUBSEP "idle" SUBSEP "busy"], "%.2f"), med(vals[B[b] SUBSEP "idle" SUBSEP "busy"])
    if (ntops) {
        print ""; print "### where dom0 CPU went, round 1 (ticks of 10 ms per process over each job: pid/name=ticks)"; print ""
        print "```"; for (i = 1; i <= ntops; i++) print tops[i]; print "```"
    }
    if (nverify) { print ""; print "### data verify (fio verify=crc32c, 80 MiB)"; print ""; for (i = 1; i <= nverify; i++) print "- " verify[i] }
    if (nt1m) { print ""; print "### a 1 MiB tape record"; print ""; for (i = 1; i <= nt1m; i++) print "- " t1m[i] }
    for (j in st) {
        print ""
        printf "### pvscsid under strace -c -f, %s (an extra run, not in the tables: %s I/Os, %s IOPS under strace)\n", j, sios[j], siops[j]
        print ""
        print "```"
        n = split(st[j], L, "\n"); tot = ""
        for (i = 2; i <= n; i++) { print L[i]; if (L[i] ~ / total$/) { split(L[i], g, " "); tot = g[4] } }
        print "```"
        if (tot != "" && sios[j] + 0 > 0) printf "\nsyscalls per request: %.2f (%s calls / %s I/Os)\n", tot / sios[j], tot, sios[j]
    }
    for (i = 1; i <= nprof; i++) {
        print ""
        printf "### dom0 profile (perf record -a -g -e cpu-clock, idle left out; an extra run), %s\n", profk[i]
        print ""; print "```"; printf "%s\n", substr(prof[profk[i]], 2); print "```"
    }
    if (ncmds) { print ""; print "### commands (round 1)"; print ""; print "```"; for (i = 1; i <= ncmds; i++) print cmds[i]; print "```" }
    if (bad != "") { print ""; print "### runs that failed" bad }
}'
# how sg moved pvscsid's data (dom0-perf.sh, pvscsid's log)
dio=$(grep -ao "pvscsid with sg allow_dio=[01]" "$LOG" | sort -u | sed 's/.*=//' | tr '\n' ' ')
sgsaid=$(grep -aoE "sg[0-9]+: (no )?direct I/O" "$LOG" | sort | uniq -c | awk '{ $1 = $1 " x"; print }' | paste -sd ';' -)
echo
echo "pvscsid's rounds: sg allow_dio ${dio:-not recorded}; pvscsid said: ${sgsaid:-nothing}"

#!/usr/bin/env python3
"""Runs the bench/README.md matrix with pvscsi-bench --json and prints it as a
Markdown table. Usage: table.py PVSCSI_BENCH [SECONDS] [extra bench args...]"""
import json
import subprocess
import sys

BENCH = sys.argv[1]
SECONDS = sys.argv[2] if len(sys.argv) > 2 else "5"
EXTRA = sys.argv[3:]

WORKLOADS = [  # label, args
    ("4 KiB randread QD1", ["--rw=randread", "--bs=4k", "--qd=1"]),
    ("4 KiB randread QD16", ["--rw=randread", "--bs=4k", "--qd=16"]),
    ("1 MiB read QD16", ["--rw=read", "--bs=1M", "--qd=16"]),
    ("1 MiB write QD16", ["--rw=write", "--bs=1M", "--qd=16"]),
]


def main():
    print("| workload | rings | datapath | pvscsid IOPS | MB/s | p50/p99/p99.9 us "
          "| fio IOPS | fio MB/s | fio p50/p99/p99.9 us | ratio IOPS | ratio BW "
          "| CPU us/req daemon / guest / fio | verify |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, args in WORKLOADS:
        for rings in (1, 8):
            for dp in ("copy", "map"):
                cmd = [BENCH, "--json", f"--seconds={SECONDS}", f"--rings={rings}",
                       f"--datapath={dp}"] + args + EXTRA
                p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
                try:
                    d = json.loads(p.stdout)
                except json.JSONDecodeError:
                    print(f"| {label} | {rings} | {dp} | failed (exit {p.returncode}) |")
                    continue
                pv, rf, ra = d["pvscsid"], d["reference"] or {}, d["ratio"] or {}
                lat = lambda x: "%.0f/%.0f/%.0f" % (x.get("lat_p50_us", 0),
                                                     x.get("lat_p99_us", 0),
                                                     x.get("lat_p99_9_us", 0))
                print(f"| {label} | {rings} | {dp} | {pv['iops']:.0f} | {pv['mb_per_s']:.0f} "
                      f"| {lat(pv)} | {rf.get('iops', 0):.0f} | {rf.get('mb_per_s', 0):.0f} "
                      f"| {lat(rf)} | {ra.get('iops', 0):.2f} | {ra.get('bandwidth', 0):.2f} "
                      f"| {pv['daemon_cpu_us_per_req']:.1f} / {pv['guest_cpu_us_per_req']:.1f}"
                      f" / {rf.get('cpu_us_per_req', 0):.1f} | {d['verify']['result']} |",
                      flush=True)


if __name__ == "__main__":
    main()

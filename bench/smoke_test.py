#!/usr/bin/env python3
"""Smoke test of pvscsi-bench (TAP): a few tiny one-second cases run with
--json; each must exit 0 and print JSON with the fields bench/README.md
documents. No speed is asserted: CI machines are shared."""
import json
import shutil
import subprocess
import sys

BENCH = sys.argv[1]
HAVE_FIO = shutil.which("fio") is not None

CASES = [
    ("4k randread qd4, file, copy",
     ["--rw=randread", "--bs=4k", "--qd=4", "--size=16M"], True),
    ("64k randwrite qd2, 2 rings on one guest, map, verified",
     ["--rw=randwrite", "--bs=64k", "--qd=2", "--rings=2", "--rings-per-guest=2",
      "--size=16M", "--datapath=map"], True),
    ("1M sequential write, 2 guests, copy, verified",
     ["--rw=write", "--bs=1M", "--qd=2", "--rings=2", "--size=16M"], True),
    ("randrw 50%, null handler",
     ["--rw=randrw", "--mix=50", "--bs=8k", "--qd=8", "--handler=null", "--size=16M"], False),
]


def check(case_args, file_handler):
    cmd = [BENCH, "--json", "--seconds=1"] + case_args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    if p.returncode != 0:
        return f"exit {p.returncode}: {p.stderr.strip()[-2000:]}"
    try:
        d = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        return f"output is not JSON: {e}"
    pv = d["pvscsid"]
    for k in ("iops", "mb_per_s", "lat_p50_us", "lat_p99_us", "lat_p99_9_us",
              "daemon_cpu_us_per_req", "guest_cpu_us_per_req"):
        if not isinstance(pv[k], (int, float)):
            return f"pvscsid.{k} is not a number"
    if pv["reads"] + pv["writes"] <= 0 or pv["errors"] != 0:
        return f"no requests or errors: {pv}"
    writes = d["config"]["rw"] in ("write", "randwrite", "randrw")
    want_verify = "ok" if writes and file_handler else "n/a"
    if d["verify"]["result"] != want_verify:
        return f"verify {d['verify']} (wanted {want_verify})"
    if file_handler and HAVE_FIO:
        if d["reference"] is None or d["ratio"] is None:
            return f"no reference: {d.get('reference_skipped')}"
        if d["reference"]["iops"] <= 0 or not isinstance(d["ratio"]["iops"], (int, float)):
            return "reference without IOPS"
    elif d["reference"] is not None:
        return "a reference where none can be"
    return None


def main():
    print(f"1..{len(CASES)}")
    failed = 0
    for i, (name, args, file_handler) in enumerate(CASES, 1):
        try:
            why = check(args, file_handler)
        except (subprocess.TimeoutExpired, KeyError, TypeError) as e:
            why = f"{type(e).__name__}: {e}"
        if why:
            failed += 1
            print(f"not ok {i} - {name}")
            for line in why.splitlines():
                print(f"# {line}")
        else:
            print(f"ok {i} - {name}" + ("" if HAVE_FIO or not file_handler
                                        else " (fio not installed: no reference)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

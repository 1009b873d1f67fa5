#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json: each TAP 'ok'/'not ok' line
is one case; a plain test that passed counts as one case; a test executable
that failed without any 'not ok' line (a crash, a timeout, a sanitizer
abort) counts as one failed case."""
import json
import re
import sys

passed = failed = skipped = 0
for line in open(sys.argv[1], encoding="utf-8"):
    t = json.loads(line)
    out = t.get("stdout") or ""
    oks = nots = skips = 0
    for l in out.splitlines():
        if re.match(r"^not ok\b", l):
            nots += 1
        elif re.match(r"^ok\b", l):
            if re.search(r"#\s*SKIP", l, re.I):
                skips += 1
            else:
                oks += 1
    if t.get("result") == "OK" and oks + nots + skips == 0:
        oks = 1   # a plain (non-TAP) test that passed is one case
    if t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and nots == 0:
        nots = 1
        print(f"count-tests: {t.get('name')} ended {t.get('result')}", file=sys.stderr)
    passed += oks
    failed += nots
    skipped += skips
suffix = f", {skipped} skipped" if skipped else ""
print(f"{passed} passed, {failed} failed{suffix}")

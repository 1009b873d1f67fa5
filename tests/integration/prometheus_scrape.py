#!/usr/bin/env python3
"""A real Prometheus server (Debian's package) scrapes a running pvscsid.

usage: prometheus_scrape.py PORT PASSWORD_FILE QUERY

Starts prometheus on a free loopback port with one scrape job: pvscsid's
GET /metrics on its TCP listener 127.0.0.1:PORT, HTTP basic auth with user
root and the password file, every second. Then asks Prometheus' HTTP API
for QUERY until it has a value (at most 60 s), prints the value and exits
0. Exit 77 (skip) when prometheus is not installed; 1 on failure, with
the target's last scrape error.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def api(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        return json.loads(r.read())


def main():
    port, pwfile, query = sys.argv[1], sys.argv[2], sys.argv[3]
    prom = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not os.access(prom, os.X_OK):
        print("prometheus is not installed (Debian package prometheus)")
        return 77
    work = tempfile.mkdtemp(prefix="prom.")
    cfg = os.path.join(work, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: pvscsid\n"
                "    static_configs:\n      - targets: ['127.0.0.1:%s']\n"
                "    basic_auth:\n      username: root\n      password_file: %s\n"
                % (port, pwfile))
    web = free_port()
    log = open(os.path.join(work, "prometheus.log"), "w")
    proc = subprocess.Popen([prom, "--config.file=" + cfg,
                             "--storage.tsdb.path=" + os.path.join(work, "data"),
                             "--web.listen-address=127.0.0.1:%d" % web],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if proc.poll() is not None:
                break
            try:
                r = api(web, "/api/v1/query?query=" + urllib.parse.quote(query))
            except OSError:
                continue
            res = r.get("data", {}).get("result", [])
            if res:
                print(res[0]["value"][1])
                return 0
        try:
            targets = api(web, "/api/v1/targets")["data"]["activeTargets"]
            print("no value for %s; targets: %s" % (query, [(t["health"], t["lastError"])
                                                            for t in targets]))
        except OSError as e:
            print("no value for %s; Prometheus API: %s" % (query, e))
        log.flush()
        with open(os.path.join(work, "prometheus.log")) as f:
            print(f.read()[-2000:])
        return 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

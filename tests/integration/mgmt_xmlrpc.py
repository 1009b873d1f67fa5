#!/usr/bin/env python3
"""Drives the management service (mgmt_testsrv) with independent clients:
Python's standard xmlrpc.client over the Unix socket (the transport XenAPI.py
uses) and raw JSON-RPC over http.client; prints TAP.

usage: mgmt_xmlrpc.py MGMT_TESTSRV [PVSCSICTL]
"""
import http.client
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
import xmlrpc.client

SRV = sys.argv[1]
CTL = sys.argv[2] if len(sys.argv) > 2 else None
UUID_A = "aaaaaaaa-0000-4000-8000-000000000003"
UUID_B = "bbbbbbbb-0000-4000-8000-000000000005"
HOST_UUID = "0f0f0f0f-1111-4222-8333-444444444444"
TAPE_ID = "1IBM_ULT3580-TD5_1234567890"


class UDSConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.uds = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.uds)
        self.sock = s


class UDSTransport(xmlrpc.client.Transport):
    """As XenAPI.py's UDSTransport: one keep-alive connection to the socket."""
    def __init__(self, path):
        super().__init__()
        self.uds = path

    def make_connection(self, host):
        if self._connection and host == self._connection[0]:
            return self._connection[1]
        self._connection = host, UDSConnection(self.uds)
        return self._connection[1]


class Failure(Exception):
    def __init__(self, details):
        super().__init__(details)
        self.details = details


class Env:
    def __init__(self):
        self.proc = subprocess.Popen([SRV], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError("test server did not start: %r" % line)
        self.info = dict(kv.split("=", 1) for kv in line.split()[1:])
        self.sock = self.info["socket"]
        self.env = dict(os.environ, XENSTORED_PATH=self.info["xenstored"])
        # XenAPI.py's URL form: '_' stands for '/'.
        url = "http://" + self.sock.replace("/", "_") + "/"
        self.proxy = xmlrpc.client.ServerProxy(url, transport=UDSTransport(self.sock),
                                               allow_none=True)

    def stop(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=20)

    def raw(self, method, *params, proxy=None):
        return getattr(proxy or self.proxy, method)(*params)

    def call(self, method, *params):
        r = self.raw(method, *params)
        if r["Status"] != "Success":
            raise Failure(r["ErrorDescription"])
        return r["Value"]

    def fails(self, method, *params):
        r = self.raw(method, *params)
        assert r["Status"] == "Failure", "%s succeeded: %r" % (method, r)
        return r["ErrorDescription"]

    def login(self):
        return self.call("session.login_with_password", "root", "", "1.0", "test")

    def xs(self, *args):
        return subprocess.run(list(args), env=self.env, capture_output=True, text=True)

    def xs_read(self, path):
        r = self.xs("xenstore-read", path)
        return r.stdout.strip() if r.returncode == 0 else None

    def xs_write(self, path, val):
        assert self.xs("xenstore-write", path, val).returncode == 0

    def xs_dump(self, path="/local/domain"):
        return self.xs("xenstore-ls", "-p", path).stdout

    def http(self, path, body, ctype="text/xml", uds=None):
        c = UDSConnection(uds or self.sock)
        c.request("POST", path, body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def jsonrpc(self, method, params, id_=1, v2=False, port=None, src="127.0.0.1"):
        req = {"method": method, "params": params, "id": id_}
        if v2:
            req["jsonrpc"] = "2.0"
        if port:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                           source_address=(src, 0))
            c.request("POST", "/jsonrpc", body=json.dumps(req),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            status, data = r.status, r.read()
            c.close()
        else:
            status, data = self.http("/jsonrpc", json.dumps(req), "application/json")
        assert status == 200, (status, data)
        return json.loads(data)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def eq(a, b, what=""):
    assert a == b, "%s: %r != %r" % (what, a, b)


def pscsi_by_hctl(e, s, hctl):
    for ref, rec in e.call("PSCSI.get_all_records", s).items():
        if rec["physical_HCTL"] == hctl:
            return ref, rec
    raise AssertionError("no PSCSI " + hctl)


@case
def login_accepts_2_to_4_params(e):
    for n in (2, 3, 4):
        s = e.call("session.login_with_password", *["root", "", "1.0", "x"][:n])
        assert s.startswith("OpaqueRef:")
    for n in (0, 1, 5):
        err = e.fails("session.login_with_password", *["a", "b", "c", "d", "e"][:n])
        eq(err, ["MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "2",
                 str(n)])


@case
def logout_ends_the_session(e):
    s = e.login()
    eq(e.call("session.logout", s), "")
    eq(e.fails("PSCSI.get_all", s), ["SESSION_INVALID", s])
    eq(e.fails("session.logout", s), ["SESSION_INVALID", s])


@case
def bad_session_refused(e):
    eq(e.fails("PSCSI.get_all", "OpaqueRef:nope"), ["SESSION_INVALID", "OpaqueRef:nope"])
    eq(e.fails("VM.get_all", 42)[0], "SESSION_INVALID")


@case
def unknown_method_and_parameter_counts(e):
    s = e.login()
    eq(e.fails("PSCSI.frobnicate", s), ["MESSAGE_METHOD_UNKNOWN", "PSCSI.frobnicate"])
    eq(e.fails("Nope.get_all", s), ["MESSAGE_METHOD_UNKNOWN", "Nope.get_all"])
    eq(e.fails("PSCSI.get_record", s), ["MESSAGE_PARAMETER_COUNT_MISMATCH", "PSCSI.get_record",
                                        "2", "1"])
    eq(e.fails("PSCSI.get_all", s, "x"), ["MESSAGE_PARAMETER_COUNT_MISMATCH", "PSCSI.get_all",
                                          "1", "2"])


PSCSI_FIELDS = ["uuid", "host", "HBA", "physical_host", "physical_channel", "physical_target",
                "physical_lun", "physical_HCTL", "vendor_name", "model", "type_id", "type",
                "dev_name", "sg_name", "dev_nodes", "driver", "revision", "scsi_id",
                "scsi_level"]


@case
def pscsi_every_getter(e):
    s = e.login()
    refs = e.call("PSCSI.get_all", s)
    eq(len(refs), 5, "PSCSIs")
    recs = e.call("PSCSI.get_all_records", s)
    eq(sorted(recs), sorted(refs))
    for ref in refs:
        rec = e.call("PSCSI.get_record", s, ref)
        eq(rec, recs[ref])
        eq(sorted(rec), sorted(PSCSI_FIELDS))
        for f in PSCSI_FIELDS:
            eq(e.call("PSCSI.get_" + f, s, ref), rec[f], f)
        eq(e.call("PSCSI.get_by_uuid", s, rec["uuid"]), ref)
        eq(ref, "OpaqueRef:" + rec["uuid"])
    ref, tape = pscsi_by_hctl(e, s, "1:0:1:0")
    eq(tape["vendor_name"], "IBM     ")
    eq(tape["model"], "ULT3580-TD5     ")
    eq(tape["type"], "tape")
    eq(tape["type_id"], "1")              # XML-RPC ints travel as strings
    eq(tape["physical_host"], "1")
    eq(tape["physical_target"], "1")
    eq(tape["dev_name"], "st0")
    eq(tape["sg_name"], "sg1")
    eq(tape["dev_nodes"], "st0 nst0")      # mode 0 only: not st0l, st0m, st0a...
    eq(tape["driver"], "st")
    eq(tape["revision"], "D8D5")
    eq(tape["scsi_id"], TAPE_ID)
    eq(tape["scsi_level"], "6")
    eq(tape["host"], "OpaqueRef:" + HOST_UUID)
    _, ch = pscsi_by_hctl(e, s, "1:0:2:0")
    eq(ch["type"], "mediumx")
    eq(ch["HBA"], tape["HBA"])
    eq((ch["dev_nodes"], ch["driver"]), ("sch0", "ch"))
    _, cd = pscsi_by_hctl(e, s, "2:0:0:0")
    eq((cd["type"], cd["dev_nodes"], cd["driver"]), ("cd/dvd", "sr0", "sr"))
    _, disk = pscsi_by_hctl(e, s, "0:0:0:0")
    eq((disk["type"], disk["dev_nodes"], disk["driver"]), ("disk", "sda", "sd"))


@case
def pscsi_bad_refs(e):
    s = e.login()
    eq(e.fails("PSCSI.get_record", s, "OpaqueRef:NULL"), ["HANDLE_INVALID", "PSCSI",
                                                          "OpaqueRef:NULL"])
    bogus = "OpaqueRef:12345678-1234-4234-8234-123456789abc"
    eq(e.fails("PSCSI.get_model", s, bogus), ["HANDLE_INVALID", "PSCSI", bogus])
    eq(e.fails("PSCSI.get_by_uuid", s, "12345678-1234-4234-8234-123456789abc"),
       ["UUID_INVALID", "PSCSI", "12345678-1234-4234-8234-123456789abc"])
    eq(e.fails("PSCSI.get_by_uuid", s, "garbage"), ["UUID_INVALID", "PSCSI", "garbage"])
    eq(e.fails("PSCSI.get_record", s, 7), ["FIELD_TYPE_ERROR", "self"])


@case
def pscsi_hba_and_host(e):
    s = e.login()
    hbas = e.call("PSCSI_HBA.get_all", s)
    eq(len(hbas), 3)
    recs = e.call("PSCSI_HBA.get_all_records", s)
    for ref in hbas:
        rec = e.call("PSCSI_HBA.get_record", s, ref)
        eq(rec, recs[ref])
        for f in ("uuid", "host", "physical_host", "PSCSIs"):
            eq(e.call("PSCSI_HBA.get_" + f, s, ref), rec[f], f)
        eq(e.call("PSCSI_HBA.get_by_uuid", s, rec["uuid"]), ref)
        for p in rec["PSCSIs"]:
            eq(e.call("PSCSI.get_HBA", s, p), ref)
    one = [r for r in recs.values() if r["physical_host"] == "1"][0]
    eq(len(one["PSCSIs"]), 2)
    hosts = e.call("host.get_all", s)
    eq(hosts, ["OpaqueRef:" + HOST_UUID])
    h = e.call("host.get_record", s, hosts[0])
    eq(h["uuid"], HOST_UUID)
    eq(sorted(e.call("host.get_PSCSIs", s, hosts[0])), sorted(e.call("PSCSI.get_all", s)))
    eq(sorted(e.call("host.get_PSCSI_HBAs", s, hosts[0])), sorted(hbas))
    eq(e.call("host.get_by_uuid", s, HOST_UUID), hosts[0])
    eq(e.call("host.get_all_records", s), {hosts[0]: h})
    eq(e.fails("host.get_record", s, "OpaqueRef:NULL")[0], "HANDLE_INVALID")


@case
def host_scan_pscsis_sees_changes(e):
    s = e.login()
    host = e.call("host.get_all", s)[0]
    made = make_pscsis(e, ["9:0:0:0"], model="THING           ", scsi_type="3")
    eq(len(e.call("PSCSI.get_all", s)), 5, "before the scan")
    eq(e.call("host.scan_PSCSIs", s, host), "")
    _, rec = pscsi_by_hctl(e, s, "9:0:0:0")
    eq(rec["type"], "process")
    eq(rec["scsi_id"], "")
    remove_pscsis(made)
    e.call("host.scan_PSCSIs", s, host)
    eq(len(e.call("PSCSI.get_all", s)), 5, "after removal")
    eq(e.fails("host.scan_PSCSIs", s, "OpaqueRef:NULL")[0], "HANDLE_INVALID")


@case
def pool_of_one_host(e):
    s = e.login()
    pools = e.call("pool.get_all", s)
    eq(len(pools), 1)
    p = pools[0]
    host = "OpaqueRef:" + HOST_UUID
    eq(e.call("pool.get_master", s, p), host)
    rec = e.call("pool.get_record", s, p)
    eq(rec["master"], host)
    eq(p, "OpaqueRef:" + rec["uuid"])
    eq(e.call("pool.get_uuid", s, p), rec["uuid"])
    eq(e.call("pool.get_by_uuid", s, rec["uuid"]), p)
    eq(e.call("pool.get_all_records", s), {p: rec})
    eq(e.fails("pool.get_master", s, "OpaqueRef:NULL"), ["HANDLE_INVALID", "pool",
                                                         "OpaqueRef:NULL"])


def xenapi_module():
    """The real XenAPI.py client as Debian ships it (python3-os-xenapi),
    loaded from its file so any python3 can use it; None if absent."""
    try:
        from os_xenapi.client import XenAPI
        return XenAPI
    except ImportError:
        pass
    path = "/usr/lib/python3/dist-packages/os_xenapi/client/XenAPI.py"
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location("XenAPI", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def xenapi_session_works(e, X, session, password):
    session.login_with_password("root", password)
    eq(session.API_version, "1.0")
    pool = session.xenapi.pool.get_all()[0]
    eq(session.xenapi.pool.get_master(pool), "OpaqueRef:" + HOST_UUID)
    s = e.login()
    eq(sorted(session.xenapi.PSCSI.get_all()), sorted(e.call("PSCSI.get_all", s)))
    try:
        session.xenapi.PSCSI.get_record("OpaqueRef:NULL")
        raise AssertionError("bad ref accepted")
    except X.Failure as f:
        eq(f.details, ["HANDLE_INVALID", "PSCSI", "OpaqueRef:NULL"])
    session.xenapi.session.logout()


@case
def stock_xenapi_client_over_tcp(e):
    X = xenapi_module()
    if not X:
        return "skip: python3-os-xenapi (XenAPI.py) is not installed"
    port = int(e.info["tcp"])
    xenapi_session_works(e, X, X.Session("http://127.0.0.1:%d/" % port), e.info["password"])


@case
def stock_xenapi_client_over_the_unix_socket(e):
    X = xenapi_module()
    if not X:
        return "skip: python3-os-xenapi (XenAPI.py) is not installed"

    class Transport(X.UDSTransport):
        # Debian's XenAPI.py overrides send_request with Python 2's
        # signature; Python 3's own one works with its UDS connection.
        send_request = xmlrpc.client.Transport.send_request

    url = "http://" + e.sock.replace("/", "_") + "/"
    xenapi_session_works(e, X, X.Session(url, transport=Transport()), "")


@case
def vms_from_xenstore(e):
    s = e.login()
    vms = e.call("VM.get_all", s)
    eq(len(vms), 3)
    a = e.call("VM.get_by_uuid", s, UUID_A)
    eq(a, "OpaqueRef:" + UUID_A)
    rec = e.call("VM.get_record", s, a)
    eq(rec["name_label"], "guest-a")
    eq(rec["domid"], "3")
    eq(rec["power_state"], "Running")
    eq(rec["is_control_domain"], False)
    for f in ("uuid", "name_label", "domid", "power_state", "VSCSIs", "DSCSIs", "DSCSI_HBAs"):
        eq(e.call("VM.get_" + f, s, a), rec[f], f)
    eq(len(e.call("VM.get_VSCSIs", s, a)), 1)
    eq(e.call("VM.get_VSCSIs", s, "OpaqueRef:" + UUID_B), [])
    recs = e.call("VM.get_all_records", s)
    dom0 = [r for r in recs.values() if r["domid"] == "0"][0]
    eq(dom0["name_label"], "Domain-0")
    eq(dom0["is_control_domain"], True)
    eq(e.fails("VM.get_by_uuid", s, "12345678-1234-4234-8234-123456789abc")[0], "UUID_INVALID")


@case
def devices_of_another_toolstack(e):
    s = e.login()
    for cls in ("VSCSI", "DSCSI"):
        refs = e.call(cls + ".get_all", s)
        eq(len(refs), 1)
        ref = refs[0]
        rec = e.call(cls + ".get_record", s, ref)
        eq(rec["VM"], "OpaqueRef:" + UUID_A)
        eq(rec["PSCSI"], pscsi_by_hctl(e, s, "2:0:0:1")[0])
        eq(rec["virtual_HCTL"], "0:0:0:0")
        eq(rec["virtual_host"], "0")
        eq(rec["runtime_properties"]["p-dev"], "2:0:0:1")
        eq(rec["runtime_properties"]["state"], "4")
        for f in ("uuid", "VM", "PSCSI", "HBA", "virtual_host", "virtual_channel",
                  "virtual_target", "virtual_lun", "virtual_HCTL", "runtime_properties"):
            eq(e.call(cls + ".get_" + f, s, ref), rec[f], f)
        eq(e.call(cls + ".get_by_uuid", s, rec["uuid"]), ref)
        eq(e.call(cls + ".get_all_records", s), {ref: rec})
    hba = e.call("DSCSI_HBA.get_all", s)
    eq(len(hba), 1)
    h = e.call("DSCSI_HBA.get_record", s, hba[0])
    eq(h["assignment_mode"], "LUN")
    eq(h["virtual_host"], "0")
    eq(h["VM"], "OpaqueRef:" + UUID_A)
    eq(h["DSCSIs"], e.call("DSCSI.get_all", s))
    eq(len(h["PSCSI_HBAs"]), 1)
    for f in ("uuid", "VM", "PSCSI_HBAs", "DSCSIs", "virtual_host", "assignment_mode"):
        eq(e.call("DSCSI_HBA.get_" + f, s, hba[0]), h[f], f)


BE_B = "/local/domain/0/backend/vscsi/5/2"
FE_B = "/local/domain/5/device/vscsi/2"


@case
def create_first_lun_writes_whole_device(e):
    s = e.login()
    tape, trec = pscsi_by_hctl(e, s, "1:0:1:0")
    ref = e.call("VSCSI.create", s, {"VM": "OpaqueRef:" + UUID_B, "PSCSI": tape,
                                     "virtual_HCTL": "2:0:1:0"})
    eq(e.xs_read(BE_B + "/state"), "1")
    eq(e.xs_read(FE_B + "/state"), "1")
    eq(e.xs_read(BE_B + "/frontend"), FE_B)
    eq(e.xs_read(FE_B + "/backend"), BE_B)
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-0/p-dev"), "1:0:1:0")
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-0/p-devname"), "st0")
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-0/v-dev"), "2:0:1:0")
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-0/state"), "1")
    dump = e.xs_dump("/local/domain/0/backend/vscsi/5")
    assert "(n0,r5)" in dump, dump
    dump = e.xs_dump("/local/domain/5/device/vscsi")
    assert "(n5,r0)" in dump, dump
    rec = e.call("VSCSI.get_record", s, ref)
    eq(rec["VM"], "OpaqueRef:" + UUID_B)
    eq(rec["PSCSI"], tape)
    eq(rec["virtual_target"], "1")
    assert ref in e.call("VM.get_VSCSIs", s, "OpaqueRef:" + UUID_B)
    eq(len(e.call("DSCSI.get_all", s)), 2)


@case
def create_refusals_leave_xenstore_untouched(e):
    s = e.login()
    tape = pscsi_by_hctl(e, s, "1:0:1:0")[0]
    disk = pscsi_by_hctl(e, s, "0:0:0:0")[0]
    A, B = "OpaqueRef:" + UUID_A, "OpaqueRef:" + UUID_B
    before = e.xs_dump()
    eq(e.fails("VSCSI.create", s, {"VM": A, "PSCSI": tape, "virtual_HCTL": "0:0:5:0"}),
       ["PSCSI_ALREADY_ASSIGNED", tape, B])
    eq(e.fails("VSCSI.create", s, {"VM": B, "PSCSI": disk, "virtual_HCTL": "2:0:1:0"}),
       ["DEVICE_ALREADY_EXISTS", "2:0:1:0"])
    for bad in ("1:2:3", "a:b:c:d", "0:70000:0:0", "-1:0:0:0", ""):
        eq(e.fails("VSCSI.create", s, {"VM": B, "PSCSI": disk, "virtual_HCTL": bad}),
           ["INVALID_VALUE", "virtual_HCTL", bad])
    eq(e.fails("VSCSI.create", s, {"VM": "OpaqueRef:NULL", "PSCSI": disk,
                                   "virtual_HCTL": "2:0:2:0"}),
       ["HANDLE_INVALID", "VM", "OpaqueRef:NULL"])
    eq(e.fails("VSCSI.create", s, {"VM": B, "PSCSI": "OpaqueRef:x", "virtual_HCTL": "2:0:2:0"}),
       ["HANDLE_INVALID", "PSCSI", "OpaqueRef:x"])
    eq(e.fails("VSCSI.create", s, {"VM": B, "PSCSI": disk}), ["FIELD_TYPE_ERROR", "virtual_HCTL"])
    eq(e.fails("VSCSI.create", s, "notastruct"), ["FIELD_TYPE_ERROR", "args"])
    eq(e.fails("VSCSI.create", s), ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VSCSI.create", "2", "1"])
    eq(e.xs_dump(), before, "xenstore changed by a refused create")


@case
def hot_add_reconfigures_and_busy_device_refuses(e):
    s = e.login()
    B = "OpaqueRef:" + UUID_B
    e.xs_write(BE_B + "/state", "4")    # as the backend would once connected
    e.xs_write(FE_B + "/state", "4")
    ch = pscsi_by_hctl(e, s, "1:0:2:0")[0]
    ref = e.call("DSCSI.create", s, {"VM": B, "PSCSI": ch, "virtual_HCTL": "2:0:2:0"})
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-1/state"), "1")
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-1/p-dev"), "1:0:2:0")
    eq(e.xs_read(BE_B + "/state"), "7")    # Reconfiguring
    disk = pscsi_by_hctl(e, s, "0:0:0:0")[0]
    err = e.fails("DSCSI.create", s, {"VM": B, "PSCSI": disk, "virtual_HCTL": "2:0:3:0"})
    eq(err[0], "OTHER_OPERATION_IN_PROGRESS")
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-2/state"), None)
    eq(e.fails("DSCSI.destroy", s, ref)[0], "OTHER_OPERATION_IN_PROGRESS")
    e.xs_write(BE_B + "/state", "4")


@case
def destroy_hot_unplugs(e):
    s = e.login()
    B = "OpaqueRef:" + UUID_B
    ch = pscsi_by_hctl(e, s, "1:0:2:0")[0]
    ref = [r for r in e.call("VM.get_DSCSIs", s, B)
           if e.call("DSCSI.get_PSCSI", s, r) == ch][0]
    e.xs_write(BE_B + "/state", "4")
    eq(e.call("DSCSI.destroy", s, ref), "")
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-1/state"), "5")    # Closing
    eq(e.xs_read(BE_B + "/state"), "7")
    assert ref not in e.call("DSCSI.get_all", s)
    eq(e.fails("DSCSI.destroy", s, ref), ["HANDLE_INVALID", "DSCSI", ref])
    eq(e.fails("VSCSI.destroy", s, "OpaqueRef:NULL"), ["HANDLE_INVALID", "VSCSI", "OpaqueRef:NULL"])
    # The backend closes it; the PSCSI can be given again and dev-1 is deleted.
    e.xs_write(BE_B + "/vscsi-devs/dev-1/state", "6")
    e.xs_write(BE_B + "/state", "4")
    e.call("DSCSI.create", s, {"VM": B, "PSCSI": ch, "virtual_HCTL": "2:0:2:0"})
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-1/state"), None)
    eq(e.xs_read(BE_B + "/vscsi-devs/dev-2/p-dev"), "1:0:2:0")
    e.xs_write(BE_B + "/state", "4")


@case
def stats_per_ring(e):
    s = e.login()
    st = e.call("pvscsid.get_stats", s)
    eq(len(st), 2)
    a = st[0]
    eq(a["VM"], "OpaqueRef:" + UUID_A)
    eq(a["in_flight"], "3")
    eq(st[1]["VM_name"], "guest-b")
    # Outcomes apart: a CHECK CONDITION (a tape's filemark) is no transport error.
    eq((a["check_conditions"], a["transport_errors"], a["other_status"]), ("8", "2", "0"))
    eq(int(a["good"]) + 8 + 2, int(a["requests"]))
    # Percentiles from the histogram, interpolated in the bucket.
    lat = a["latency_us"]
    assert 64 < lat["p50"] <= 128, lat
    assert 512 < lat["p99"] <= 1024, lat
    eq(lat["p99_9"], 2.0 ** 25)          # beyond the last bound: the bound
    eq(st[1]["latency_us"]["p50"] <= 8, True)
    # Rates over the interval since the previous query (100 requests and
    # 400 KiB per query in the test server).
    time.sleep(0.5)
    b = e.call("pvscsid.get_stats", s)[0]
    rec = b["recent"]
    eq(round(rec["requests_per_s"] * rec["interval_s"]), 100)
    eq(round(rec["bytes_per_s"] * rec["interval_s"]), 409600)
    assert 0.45 < rec["interval_s"] < 5, rec
    assert 64 < rec["latency_us"]["p99_9"] <= 128, rec   # only fast commands since


def http_get(path, uds=None, port=None, auth=None):
    c = UDSConnection(uds) if uds else http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {}
    if auth:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def metric(text, name, **labels):
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all('%s="%s"' % kv in line for kv in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no %s %r in the metrics" % (name, labels))


@case
def prometheus_metrics(e):
    status, headers, data = http_get("/metrics", uds=e.sock)
    eq(status, 200, data)
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    text = data.decode("utf-8")
    eq(metric(text, "pvscsid_rings"), 2)
    eq(metric(text, "pvscsid_commands_total", domid="3", status="check_condition"), 8)
    eq(metric(text, "pvscsid_commands_total", domid="3", status="transport_error"), 2)
    eq(metric(text, "pvscsid_in_flight", domid="3", vm="guest-a", vm_uuid=UUID_A), 3)
    eq(metric(text, "pvscsid_command_duration_seconds_bucket", domid="5", le="8e-06"), 7)
    eq(metric(text, "pvscsid_command_duration_seconds_bucket", domid="5", le="4e-06"), 0)
    eq(metric(text, "pvscsid_command_duration_seconds_count", domid="5"), 7)
    eq(metric(text, "pvscsid_requests_total", domid="5", devid="1"), 7)
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=data, capture_output=True)
        eq((r.returncode, r.stdout + r.stderr), (0, b""))
    else:
        print("# promtool not installed (Debian package prometheus): format not linted")
    # TCP: HTTP basic auth with the TCP user and password.
    port, pw = int(e.info["tcp"]), e.info["password"]
    status, headers, _ = http_get("/metrics", port=port)
    eq(status, 401)
    assert headers["WWW-Authenticate"].startswith("Basic"), headers
    eq(http_get("/metrics", port=port, auth="root:nope")[0], 401)
    eq(http_get("/metrics", port=port, auth="admin:" + pw)[0], 401)
    status, _, data = http_get("/metrics", port=port, auth="root:" + pw)
    eq(status, 200)
    eq(metric(data.decode(), "pvscsid_requests_total", domid="5"), 7)
    eq(http_get("/other", uds=e.sock)[0], 405)


@case
def malformed_and_oversized_requests(e):
    for body in (b"<methodCall><methodName>x", b"not xml at all", b"",
                 b"<?xml version='1.0'?><other/>",
                 b"<!DOCTYPE m [<!ENTITY a 'b'>]><methodCall><methodName>&a;</methodName>"
                 b"</methodCall>",
                 b"<methodCall><methodName>VM.get_all</methodName><params><param><value>"
                 b"<struct><member><name>x</name></member></struct></value></param></params>"
                 b"</methodCall>"):
        status, _ = e.http("/", body)
        eq(status, 500, body)
    status, _ = e.http("/", b"<methodCall>" + b"x" * 100000 + b"</methodCall>")
    eq(status, 413)
    status, _ = e.http("/nope", b"<methodCall/>")
    eq(status, 404)
    try:
        xmlrpc.client.ServerProxy("http://x/", transport=UDSTransport(e.sock)).PSCSI.get_all(
            "x" * 100000)
        raise AssertionError("oversized call accepted")
    except xmlrpc.client.ProtocolError as err:
        eq(err.errcode, 413)
    # Still answering, on / and on /RPC2 (a URL without a path).
    e.login()
    p2 = xmlrpc.client.ServerProxy("http://x", transport=UDSTransport(e.sock))
    eq(p2.session.login_with_password("root", "")["Status"], "Success")


@case
def deep_nesting_refused(e):
    v = "<value><array><data>" * 40 + "</data></array></value>" * 40
    body = ("<methodCall><methodName>VM.get_all</methodName><params><param>%s</param>"
            "</params></methodCall>" % v)
    eq(e.http("/", body)[0], 500)
    eq(e.http("/jsonrpc", '{"method":"VM.get_all","id":1,"params":[' + "[" * 40 + "]" * 40
              + "]}", "application/json")[0], 500)
    e.login()


@case
def jsonrpc_v1_and_v2(e):
    r = e.jsonrpc("session.login_with_password", ["root", ""])
    s = r["result"]
    eq(r["error"], None)
    eq(r["id"], 1)
    r = e.jsonrpc("PSCSI.get_all_records", [s], id_="abc")
    eq(r["id"], "abc")
    tape = [v for v in r["result"].values() if v["physical_HCTL"] == "1:0:1:0"][0]
    eq(tape["physical_host"], 1)           # a JSON number here
    eq(tape["scsi_id"], TAPE_ID)
    r = e.jsonrpc("PSCSI.get_record", [s, "OpaqueRef:NULL"])
    eq(r["result"], None)
    eq(r["error"], ["HANDLE_INVALID", "PSCSI", "OpaqueRef:NULL"])
    r = e.jsonrpc("VM.get_all", [s], v2=True)
    eq(r["jsonrpc"], "2.0")
    eq(len(r["result"]), 3)
    r = e.jsonrpc("VM.get_all", ["OpaqueRef:bad"], v2=True)
    eq(r["error"]["message"], "SESSION_INVALID")
    eq(r["error"]["data"], ["OpaqueRef:bad"])
    assert r["error"]["code"] != 0
    # An XML-RPC session is valid on JSON-RPC.
    xs = e.login()
    eq(len(e.jsonrpc("VSCSI.get_all", [xs])["result"]), 3)


@case
def jsonrpc_malformed(e):
    for body in ("{", "[]", '{"method":"VM.get_all","params":[]}',           # no id
                 '{"method":"VM.get_all","params":{},"id":1}',
                 '{"method":5,"params":[],"id":1}', '{"method":"x","id":null}',
                 '{"method":"VM.get_all","params":[],"id":1} trailing',
                 '{"method":"VM.get_all","params":[],"id":1,"jsonrpc":"3.0"}'):
        eq(e.http("/jsonrpc", body, "application/json")[0], 500, body)
    eq(e.http("/jsonrpc", "{" + " " * 100000 + "}", "application/json")[0], 413)
    eq(e.jsonrpc("session.login_with_password", ["a", "b"])["error"], None)


@case
def jsonrpc_strings_not_utf8_or_with_nul_refused(e):
    s = e.login()
    # Not UTF-8: the answer is still valid JSON (strict UTF-8 decode).
    for body in (b'{"method":"VM.get_all\xff","params":["%s"],"id":1}' % s.encode(),
                 b'{"method":"VM.get_record","params":["%s","OpaqueRef:\xc0\xaf"],"id":1}'
                 % s.encode()):
        status, data = e.http("/jsonrpc", body, "application/json")
        eq(status, 200, data)
        r = json.loads(data.decode("utf-8"))
        eq(r["error"][0], "INVALID_VALUE", r)
    # U+0000 cuts nothing short: "<uuid>\u0000junk" names no VM, and a
    # session ref with it is no session.
    r = e.jsonrpc("VM.get_record", [s, "OpaqueRef:" + UUID_A + "\u0000junk"])
    eq(r["result"], None)
    eq(r["error"][:2], ["INVALID_VALUE", "params[1]"])
    r = e.jsonrpc("VM.get_all", [s + "\u0000junk"])
    eq(r["result"], None)
    eq(r["error"][:2], ["INVALID_VALUE", "params[0]"])
    r = e.jsonrpc("VSCSI.create", [s, {"VM": "OpaqueRef:" + UUID_B + "\u0000",
                                       "PSCSI": "x", "virtual_HCTL": "0:0:0:0"}])
    eq(r["error"][:2], ["INVALID_VALUE", "params[1].VM"])
    eq(e.jsonrpc("VM.get_all", [s])["error"], None)


@case
def answers_are_utf8_whatever_xenstore_holds(e):
    s = e.login()
    uuid = "77777777-0000-4000-8000-000000000007"
    env = e.env
    for path, val in (("/local/domain/7/name", b"bad\xffname\xc0"),
                      ("/local/domain/7/vm", b"/vm/" + uuid.encode())):
        assert subprocess.run([b"xenstore-write", path.encode(), val], env=env).returncode == 0
    try:
        status, data = e.http("/jsonrpc", json.dumps({"method": "VM.get_record",
                                                      "params": [s, "OpaqueRef:" + uuid],
                                                      "id": 1}), "application/json")
        r = json.loads(data.decode("utf-8"))
        eq(r["result"]["name_label"], "bad\ufffdname\ufffd")
        eq(e.call("VM.get_name_label", s, "OpaqueRef:" + uuid), "bad\ufffdname\ufffd")
    finally:
        assert e.xs("xenstore-rm", "/local/domain/7").returncode == 0


@case
def tcp_needs_the_password(e):
    port = int(e.info["tcp"])
    r = e.jsonrpc("session.login_with_password", ["root", "wrong"], port=port)
    eq(r["error"], ["SESSION_AUTHENTICATION_FAILED"])
    r = e.jsonrpc("session.login_with_password", ["root", ""], port=port)
    eq(r["error"], ["SESSION_AUTHENTICATION_FAILED"])
    r = e.jsonrpc("session.login_with_password", ["root", e.info["password"]], port=port)
    s = r["result"]
    eq(len(e.jsonrpc("PSCSI.get_all", [s], port=port)["result"]), 5)
    # Attaching arbitrary dom0 files is for the local administrator only.
    r = e.jsonrpc("pvscsid.attach_disk", [s, "OpaqueRef:" + UUID_B, "file:/etc/shadow",
                                          "2:0:9:0"], port=port)
    eq(r["error"][0], "PERMISSION_DENIED")
    p = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/" % port)
    eq(p.session.login_with_password("root", "nope")["ErrorDescription"],
       ["SESSION_AUTHENTICATION_FAILED"])


@case
def tcp_login_checks_the_user_name(e):
    port, pw = int(e.info["tcp"]), e.info["password"]
    r = e.jsonrpc("session.login_with_password", ["admin", pw], port=port, src="127.0.0.3")
    eq(r["error"], ["SESSION_AUTHENTICATION_FAILED"])
    r = e.jsonrpc("session.login_with_password", ["root", pw], port=port, src="127.0.0.3")
    eq(r["error"], None)


@case
def sessions_belong_to_their_listener(e):
    port, pw = int(e.info["tcp"]), e.info["password"]
    unix = e.login()                     # no password on the Unix socket
    eq(e.jsonrpc("VM.get_all", [unix], port=port)["error"], ["SESSION_INVALID", unix])
    tcp = e.jsonrpc("session.login_with_password", ["root", pw], port=port)["result"]
    eq(e.jsonrpc("VM.get_all", [tcp])["error"], ["SESSION_INVALID", tcp])
    eq(e.jsonrpc("VM.get_all", [tcp], port=port)["error"], None)
    eq(e.jsonrpc("VM.get_all", [unix])["error"], None)


@case
def failed_tcp_logins_slowed_down(e):
    port, pw = int(e.info["tcp"]), e.info["password"]
    for i in range(5):
        r = e.jsonrpc("session.login_with_password", ["root", "guess%d" % i], port=port,
                      src="127.0.0.2")
        eq(r["error"], ["SESSION_AUTHENTICATION_FAILED"])
    t5 = time.monotonic()
    # The door is shut for a second: even the right password is refused,
    # so 200 guesses no longer fit in a fraction of a second.
    r = e.jsonrpc("session.login_with_password", ["root", pw], port=port, src="127.0.0.2")
    if time.monotonic() - t5 >= 1.0:
        return "skip: the machine took over a second for one call; the door had reopened"
    eq(r["error"], ["SESSION_AUTHENTICATION_FAILED"])
    # Other addresses are not locked out.
    eq(e.jsonrpc("session.login_with_password", ["root", pw], port=port)["error"], None)
    time.sleep(1.2)
    r = e.jsonrpc("session.login_with_password", ["root", pw], port=port, src="127.0.0.2")
    eq(r["error"], None)


@case
def many_logins_evict_nobody_else(e):
    victim = e.login()
    # Another process (another peer) logs in 1100 times without logging out.
    code = ("import http.client,json,socket,sys\n"
            "class C(http.client.HTTPConnection):\n"
            "    def connect(self):\n"
            "        self.sock=socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])\n"
            "c=C('x')\n"
            "ok=0\n"
            "for i in range(1100):\n"
            "    c.request('POST','/jsonrpc',json.dumps({'method':'session.login_with_password',"
            "'params':['root',''],'id':i}),{'Content-Type':'application/json'})\n"
            "    ok+=json.loads(c.getresponse().read())['error'] is None\n"
            "print(ok)\n")
    r = subprocess.run([sys.executable, "-c", code, e.sock], capture_output=True, text=True,
                       timeout=120)
    eq(r.stdout.strip(), "1100", r.stderr)
    eq(e.call("VM.get_all", victim) is not None, True)   # still a session


def tcp_socket(port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def unix_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)         # blocking: waits while the backlog is full
    s.settimeout(5)
    return s


def closed_by_server(s):
    """True once the server has closed (or reset) the connection."""
    try:
        s.settimeout(0.05)
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def timed_login(e, port=None):
    t = time.monotonic()
    if port:
        r = e.jsonrpc("session.login_with_password", ["root", e.info["password"]], port=port,
                      src="127.0.0.1")
    else:
        r = e.jsonrpc("session.login_with_password", ["root", ""])
    eq(r["error"], None)
    return time.monotonic() - t


@case
def slow_clients_do_not_lock_others_out(e):
    port = int(e.info["tcp"])
    timeout = 2                      # mgmt_testsrv's request timeout
    idle, dribble = [], []
    try:
        # 64 idle connections from one address, 64 more from 8 others that
        # send one header line every 0.5 s (never finishing the request).
        for _ in range(64):
            try:
                idle.append(tcp_socket(port, "127.0.2.1"))
            except OSError:
                pass
        for a in range(8):
            for _ in range(8):
                s = tcp_socket(port, "127.0.3.%d" % (a + 1))
                s.sendall(b"POST /jsonrpc HTTP/1.1\r\nHost: x\r\n")
                dribble.append(s)
        for _ in range(64):
            s = unix_socket(e.sock)
            s.sendall(b"POST /jsonrpc HTTP/1.1\r\n")
            dribble.append(s)
        time.sleep(0.3)
        # One address gets at most 8 connections; the rest are closed at once.
        eq(sum(closed_by_server(s) for s in idle), len(idle) - 8)
        # Others are served meanwhile: at once over TCP (room is left for
        # them), within the request timeout on the (root-only) Unix socket.
        assert timed_login(e, port) < 2.0
        t0 = time.monotonic()
        while any(not closed_by_server(s) for s in dribble):
            for s in dribble:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            assert time.monotonic() - t0 < timeout + 2, "a dribbling client still connected"
            time.sleep(0.5)
        assert timed_login(e) < timeout + 1
        assert timed_login(e, port) < 2.0
    finally:
        for s in idle + dribble:
            s.close()


@case
def unix_peer_credentials_checked(e):
    if os.geteuid() != 0:
        return "skip: needs root to act as another user"
    py = "/usr/bin/python3"     # readable by nobody, unlike a per-user install
    if not os.access(py, os.X_OK):
        return "skip: no system python3 for the other user"
    os.chmod(os.path.dirname(e.sock), 0o755)
    os.chmod(e.sock, 0o666)
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
            "b=b'<methodCall><methodName>VM.get_all</methodName></methodCall>'\n"
            "s.sendall(b'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: %d\\r\\n\\r\\n' "
            "% len(b) + b)\nprint(s.recv(100).split(b' ')[1].decode())\n")
    r = subprocess.run([py, "-c", code, e.sock], capture_output=True, text=True,
                       user=65534, group=65534, timeout=10)
    os.chmod(e.sock, 0o600)
    os.chmod(os.path.dirname(e.sock), 0o700)
    eq(r.stdout.strip(), "403", r.stderr)
    e.login()


def ctl(e, *args):
    return subprocess.run([CTL, "--socket", e.sock] + list(args), capture_output=True,
                          text=True, timeout=30)


@case
def pvscsictl_lists_attaches_detaches(e):
    if not CTL:
        return "skip: no pvscsictl given"
    r = ctl(e, "pscsi-list")
    eq(r.returncode, 0, r.stderr)
    lines = r.stdout.splitlines()
    eq(len(lines), 6)
    eq(lines[0].split(), ["HCTL", "TYPE", "DEV", "NODES", "SG", "DRIVER", "VENDOR", "MODEL",
                          "REV", "SCSI_ID", "UUID"])
    tape_row = [ln for ln in lines if ln.startswith("1:0:1:0 ")]
    eq(len(tape_row), 1, r.stdout)
    eq(tape_row[0].split()[:8], ["1:0:1:0", "tape", "st0", "st0", "nst0", "sg1", "st", "IBM"])
    assert TAPE_ID in r.stdout
    r = ctl(e, "--json", "pscsi-list")
    eq(len(json.loads(r.stdout)), 5)
    r = ctl(e, "vscsi-list", "guest-a")
    eq(r.returncode, 0, r.stderr)
    eq(len(r.stdout.splitlines()), 2)
    assert "2:0:0:1" in r.stdout
    e.xs_write(BE_B + "/state", "4")
    r = ctl(e, "vscsi-attach", "5", "2:0:0:0", "2:0:4:0")
    eq(r.returncode, 0, r.stderr)
    uuid = r.stdout.strip()
    eq(e.xs_read(BE_B + "/state"), "7")
    r = ctl(e, "--json", "vscsi-list", UUID_B)
    recs = json.loads(r.stdout)
    assert "OpaqueRef:" + uuid in recs, recs
    r = ctl(e, "vscsi-attach", "guest-b", "2:0:0:0", "2:0:5:0")
    eq(r.returncode, 1)
    assert "PSCSI_ALREADY_ASSIGNED" in r.stderr or "OTHER_OPERATION" in r.stderr, r.stderr
    e.xs_write(BE_B + "/state", "4")
    r = ctl(e, "vscsi-detach", uuid)
    eq(r.returncode, 0, r.stderr)
    assert "OpaqueRef:" + uuid not in json.loads(ctl(e, "--json", "vscsi-list").stdout)
    e.xs_write(BE_B + "/state", "4")
    r = ctl(e, "stats")
    eq(r.returncode, 0, r.stderr)
    assert "guest-a" in r.stdout, r.stdout
    st = json.loads(ctl(e, "--json", "stats").stdout)[0]
    eq((st["bytes"] - 4915200) % 409600, 0)
    eq(st["check_conditions"], 8)
    eq(ctl(e, "vscsi-attach", "nosuchvm", "2:0:0:0", "2:0:4:0").returncode, 1)
    eq(ctl(e, "bogus").returncode, 2)
    eq(ctl(e, "vscsi-detach").returncode, 2)
    r = subprocess.run([CTL, "--help"], capture_output=True, text=True)
    eq(r.returncode, 0)
    assert "vscsi-attach" in r.stdout
    r = subprocess.run([CTL, "--socket", "/nonexistent/x.sock", "stats"], capture_output=True,
                       text=True)
    eq(r.returncode, 1)


@case
def pvscsictl_json_everywhere_names_not_refs(e):
    if not CTL:
        return "skip: no pvscsictl given"
    r = subprocess.run([CTL, "--version"], capture_output=True, text=True)
    eq(r.returncode, 0)
    assert r.stdout.startswith("pvscsictl 0."), r.stdout
    # An error names the device and the VM, not refs; with --json it is a
    # JSON object on stdout.
    r = ctl(e, "vscsi-attach", "guest-a", "1:0:1:0", "0:0:9:0")
    eq(r.returncode, 1)
    assert "PSCSI_ALREADY_ASSIGNED" in r.stderr, r.stderr
    assert "PSCSI 1:0:1:0 (st0) is already given to VM guest-b" in r.stderr, r.stderr
    assert "OpaqueRef" not in r.stderr, r.stderr
    r = ctl(e, "--json", "vscsi-attach", "guest-a", "1:0:1:0", "0:0:9:0")
    eq(r.returncode, 1)
    err = json.loads(r.stdout)["error"]
    eq(err["code"], "PSCSI_ALREADY_ASSIGNED")
    eq(len(err["params"]), 2)
    assert "VM guest-b" in err["message"], err
    r = ctl(e, "--json", "vscsi-attach", "nosuchvm", "1:0:1:0", "0:0:9:0")
    eq(r.returncode, 1)
    eq(json.loads(r.stdout)["error"]["code"], "PVSCSICTL")
    # Success of a detach, with --json, says what went.
    be = "/local/domain/0/backend/vscsi/3/0"
    e.xs_write(be + "/state", "4")
    r = ctl(e, "--json", "vscsi-attach", "guest-a", "0:0:0:0", "0:0:7:0")
    eq(r.returncode, 0, r.stderr)
    ref = json.loads(r.stdout)
    e.xs_write(be + "/state", "4")
    r = ctl(e, "--json", "vscsi-detach", ref[len("OpaqueRef:"):])
    eq(r.returncode, 0, r.stderr)
    eq(json.loads(r.stdout), {"destroyed": ref})
    e.xs_write(be + "/state", "4")
    r = ctl(e, "--json", "vscsi-detach", ref[len("OpaqueRef:"):])
    eq(r.returncode, 1)
    eq(json.loads(r.stdout)["error"]["code"], "HANDLE_INVALID")
    # Someone who may not use the socket is told so.
    if os.geteuid() == 0:
        r = subprocess.run([CTL, "--socket", e.sock, "stats"], capture_output=True, text=True,
                           user=65534, group=65534, timeout=30)
        eq(r.returncode, 1)
        assert "permission denied on " + e.sock in r.stderr, r.stderr
    r = subprocess.run([CTL, "--json", "--socket", "/nonexistent/x.sock", "stats"],
                       capture_output=True, text=True)
    eq(r.returncode, 1)
    assert "does not exist" in json.loads(r.stdout)["error"]["message"]


@case
def vm_gone_is_halted(e):
    s = e.login()
    B = "OpaqueRef:" + UUID_B
    assert e.xs("xenstore-rm", "/local/domain/5").returncode == 0
    assert B not in e.call("VM.get_all", s)
    rec = e.call("VM.get_record", s, B)
    eq(rec["power_state"], "Halted")
    disk = pscsi_by_hctl(e, s, "0:0:0:0")[0]
    eq(e.fails("VSCSI.create", s, {"VM": B, "PSCSI": disk, "virtual_HCTL": "1:0:0:0"}),
       ["VM_BAD_POWER_STATE", B, "Running", "Halted"])


def make_pscsis(e, hctls, model="LIB             ", scsi_type="1"):
    """SCSI devices appearing in the fake sysfs tree (vendor NEW); their
    directories, for remove_pscsis."""
    made = []
    for hctl in hctls:
        d = os.path.join(e.info["sysfs"], "bus/scsi/devices", hctl)
        os.makedirs(d)
        made.append(d)
        for k, v in (("vendor", "NEW     "), ("model", model), ("type", scsi_type)):
            with open(os.path.join(d, k), "w") as f:
                f.write(v + "\n")
    return made


def remove_pscsis(made):
    for d in made:
        for k in ("vendor", "model", "type"):
            os.unlink(os.path.join(d, k))
        os.rmdir(d)


@case
def refs_never_name_a_later_object(e):
    s = e.login()
    uuid = "66666666-0000-4000-8000-000000000006"
    vm = "OpaqueRef:" + uuid
    assert e.xs("xenstore-write", "/local/domain/6/name", "guest-6",
                "/local/domain/6/vm", "/vm/" + uuid).returncode == 0
    made = make_pscsis(e, ("6:0:0:0", "6:0:1:0"))
    host = e.call("host.get_all", s)[0]
    try:
        e.call("host.scan_PSCSIs", s, host)
        p1 = pscsi_by_hctl(e, s, "6:0:0:0")[0]
        p2 = pscsi_by_hctl(e, s, "6:0:1:0")[0]
        a = e.call("VSCSI.create", s, {"VM": vm, "PSCSI": p1, "virtual_HCTL": "0:0:0:0"})
        hba_a = e.call("VSCSI.get_HBA", s, a)
        eq(e.call("VSCSI.destroy", s, a), "")
        b = e.call("VSCSI.create", s, {"VM": vm, "PSCSI": p2, "virtual_HCTL": "0:0:1:0"})
        be = "/local/domain/0/backend/vscsi/6/0"
        eq(e.xs_read(be + "/vscsi-devs/dev-0/p-dev"), "6:0:1:0")   # A's place
        assert b != a, (a, b)
        # A client retrying destroy(A) must not remove B.
        eq(e.fails("VSCSI.destroy", s, a), ["HANDLE_INVALID", "VSCSI", a])
        eq(e.call("VSCSI.get_virtual_HCTL", s, b), "0:0:1:0")
        eq(e.fails("VSCSI.get_record", s, a)[0], "HANDLE_INVALID")
        # The whole device goes (the domain restarted) and comes again.
        assert e.xs("xenstore-rm", be).returncode == 0
        assert e.xs("xenstore-rm", "/local/domain/6/device/vscsi/0").returncode == 0
        c = e.call("VSCSI.create", s, {"VM": vm, "PSCSI": p1, "virtual_HCTL": "0:0:0:0"})
        assert c not in (a, b)
        assert e.call("VSCSI.get_HBA", s, c) != hba_a
        eq(e.fails("DSCSI_HBA.get_record", s, hba_a)[0], "HANDLE_INVALID")
        # Identities are stored in xenstore: they survive a daemon restart.
        eq(e.xs_read(be + "/vscsi-devs/dev-0/uuid"), c[len("OpaqueRef:"):])
    finally:
        e.xs("xenstore-rm", "/local/domain/0/backend/vscsi/6")
        e.xs("xenstore-rm", "/local/domain/6")
        remove_pscsis(made)
        e.call("host.scan_PSCSIs", s, host)


@case
def foreign_luns_get_a_stored_identity(e):
    s = e.login()
    ref = [r for r in e.call("DSCSI.get_all", s)
           if e.call("DSCSI.get_VM", s, r) == "OpaqueRef:" + UUID_A][0]
    be = "/local/domain/0/backend/vscsi/3/0"
    eq(e.xs_read(be + "/vscsi-devs/dev-0/uuid"), ref[len("OpaqueRef:"):])
    eq(e.xs_read(be + "/uuid"), e.call("DSCSI.get_HBA", s, ref)[len("OpaqueRef:"):])


@case
def dscsi_hba_create_and_destroy(e):
    s = e.login()
    A = "OpaqueRef:" + UUID_A
    # A fresh physical HBA (host 8) with two LUNs nobody holds.
    made = make_pscsis(e, ("8:0:0:0", "8:0:1:0"))
    host = e.call("host.get_all", s)[0]
    e.call("host.scan_PSCSIs", s, host)
    hba = [r for r, rec in e.call("PSCSI_HBA.get_all_records", s).items()
           if rec["physical_host"] == "8"][0]
    members = e.call("PSCSI_HBA.get_PSCSIs", s, hba)
    eq(len(members), 2)
    eq(e.fails("DSCSI_HBA.create", s, {"VM": A, "PSCSI_HBA": hba, "assignment_mode": "BUS"}),
       ["INVALID_VALUE", "assignment_mode", "BUS"])
    eq(e.fails("DSCSI_HBA.create", s, {"VM": A, "PSCSI_HBA": "OpaqueRef:NULL"})[0],
       "HANDLE_INVALID")
    ref = e.call("DSCSI_HBA.create", s, {"VM": A, "PSCSI_HBA": hba})
    be = "/local/domain/0/backend/vscsi/3/8"
    eq(e.xs_read(be + "/feature-host"), "1")
    rec = e.call("DSCSI_HBA.get_record", s, ref)
    eq(rec["assignment_mode"], "HOST")
    eq(rec["virtual_host"], "8")
    eq(len(rec["DSCSIs"]), len(members))
    # Identity mapping: v-dev = p-dev.
    for d in rec["DSCSIs"]:
        eq(e.call("DSCSI.get_virtual_HCTL", s, d),
           e.call("PSCSI.get_physical_HCTL", s, e.call("DSCSI.get_PSCSI", s, d)))
    # Destroy closes every LUN in one reconfiguration.
    e.xs_write(be + "/state", "4")
    for i in range(len(members)):
        e.xs_write(be + "/vscsi-devs/dev-%d/state" % i, "4")
    eq(e.call("DSCSI_HBA.destroy", s, ref), "")
    eq(e.xs_read(be + "/state"), "7")
    for i in range(len(members)):
        eq(e.xs_read(be + "/vscsi-devs/dev-%d/state" % i), "5")
    # No longer following the host: a LUN appearing there later stays out.
    eq(e.xs_read(be + "/feature-host"), "0")
    eq(e.call("DSCSI_HBA.get_assignment_mode", s, ref), "LUN")
    eq(e.fails("DSCSI_HBA.destroy", s, ref), ["OTHER_OPERATION_IN_PROGRESS", "DSCSI_HBA",
                                             "the device is reconfiguring; try again"])
    remove_pscsis(made)
    e.call("host.scan_PSCSIs", s, host)


def main():
    print("1..%d" % len(CASES), flush=True)
    e = Env()
    failed = 0
    for i, fn in enumerate(CASES, 1):
        try:
            r = fn(e)
            if isinstance(r, str) and r.startswith("skip"):
                print("ok %d - %s # SKIP %s" % (i, fn.__name__, r[5:].strip()))
            else:
                print("ok %d - %s" % (i, fn.__name__))
        except Exception:
            failed += 1
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            print("not ok %d - %s" % (i, fn.__name__))
        sys.stdout.flush()
    rc = e.stop()
    if rc != 0:
        print("# test server exited with %d" % rc)
    return 1 if failed or rc else 0


if __name__ == "__main__":
    sys.exit(main())

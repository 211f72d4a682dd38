#!/usr/bin/python3
"""Drives Coordinator's gRPC API with Debian's python3-grpcio (a gRPC client nobody here wrote) and kazoo.

Stubs are generated at run time from protos/ with protoc and grpc_python_plugin, so the test uses the
contract as published. Every RPC, error statuses with their ZooKeeper codes, deadlines, cancellation,
resumable watches (including OUT_OF_RANGE and RESOURCE_EXHAUSTED) and mixed gRPC/kazoo traffic are covered.

usage: grpc_suite.py --grpc 127.0.0.1:PORT --zk 127.0.0.1:PORT --protos DIR [--only NAME]
The server must run with tickTime=200, grpc.watchWindow=64, grpc.watchBuffer=8, grpc.maxStreamsPerConnection=8
(the xunit driver does this).
Prints one PASS/FAIL line per test and "N passed, M failed"; exits 1 on any failure.
"""
import argparse
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

WINDOW = 64          # grpc.watchWindow the server runs with
WATCH_BUFFER = 8     # grpc.watchBuffer
WAIT = 10.0          # seconds any single wait may take
STREAMS_MAX = 8      # grpc.maxStreamsPerConnection

args = None
pb = None
stub_mod = None
grpc = None


def generate_stubs(protos):
    out = tempfile.mkdtemp(prefix="coordinator-grpc-stubs-")
    subprocess.run(
        ["protoc", "-I", protos, "--python_out=" + out, "--grpc_out=" + out,
         "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", "coordinator/v1/coordinator.proto"],
        check=True, timeout=60)
    sys.path.insert(0, out)
    return out


# ---- helpers ----

def channel():
    return grpc.insecure_channel(args.grpc)


def stub(ch):
    return stub_mod.CoordinatorStub(ch)


def unique(prefix="/g"):
    return prefix + "-" + uuid.uuid4().hex[:10]


def error_code(e):
    """The ZooKeeper result code the server put in the coordinator-error-code trailer, or None."""
    for k, v in (e.trailing_metadata() or ()):
        if k == "coordinator-error-code":
            return int(v)
    return None


def trailer(e, name):
    for k, v in (e.trailing_metadata() or ()):
        if k == name:
            return v
    return None


def expect_error(fn, status, zk_code="any"):
    try:
        fn()
    except grpc.RpcError as e:
        assert e.code() == status, f"expected {status}, got {e.code()}: {e.details()}"
        if zk_code != "any":
            assert error_code(e) == zk_code, f"expected coordinator-error-code {zk_code}, got {error_code(e)} ({e.details()})"
        return e
    raise AssertionError(f"expected {status}, the call succeeded")


def session(s, timeout_ms=4000):
    return s.CreateSession(pb.CreateSessionRequest(timeout_ms=timeout_ms), timeout=WAIT).session_id


class Stream:
    """Reads a watch stream on a thread, so a test can wait for messages with a timeout."""

    def __init__(self, call):
        self.call = call
        self.items = []
        self.error = None
        self.done = threading.Event()
        self.cond = threading.Condition()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            for m in self.call:
                with self.cond:
                    self.items.append(m)
                    self.cond.notify_all()
        except grpc.RpcError as e:
            self.error = e
        finally:
            with self.cond:
                self.done.set()
                self.cond.notify_all()

    def wait_count(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.items) < n and not self.done.is_set():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out waiting for {n} watch messages, have {len(self.items)}: {self.items}"
                self.cond.wait(left)
        assert len(self.items) >= n, f"stream ended after {len(self.items)} messages ({self.error and self.error.code()}): {self.items}"
        return self.items[:n]

    def wait_end(self, timeout=WAIT):
        assert self.done.wait(timeout), "stream did not end"
        return self.error

    def events(self):
        return [(m.event.type, m.event.path, m.event.zxid) for m in self.items if m.WhichOneof("kind") == "event"]


def watch(s, sid, path, recursive=False, start=None, timeout=None):
    req = pb.WatchRequest(session_id=sid, path=path, recursive=recursive)
    if start is not None:
        req.start_zxid = start
    st = Stream(s.Watch(req, timeout=timeout))
    first = st.wait_count(1)[0]
    assert first.WhichOneof("kind") == "started", f"first message is not started: {first}"
    return st


def watch_error(s, sid, path, start):
    """A watch that must be refused: the stream ends with an error before any message."""
    st = Stream(s.Watch(pb.WatchRequest(session_id=sid, path=path, start_zxid=start), timeout=WAIT))
    err = st.wait_end()
    assert err is not None and st.items == [], f"expected a refused watch, got {st.items}"
    return err


def kazoo_client():
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=args.zk, timeout=10)
    zk.start(timeout=WAIT)
    return zk


def wait_until(cond, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


# ---- tests ----

def test_status():
    with channel() as ch:
        st = stub(ch).Status(pb.StatusRequest(), timeout=WAIT)
        assert st.role == pb.STANDALONE, st
        assert st.last_zxid > 0, st
        assert len(st.members) == 1 and st.members[0].role == pb.STANDALONE, st
        assert st.members[0].address.endswith(":" + args.zk.split(":")[1]), st
        assert st.watch_window_capacity == WINDOW, st
        assert "coordinator" in st.version, st


def test_session_lifecycle():
    with channel() as ch:
        s = stub(ch)
        r = s.CreateSession(pb.CreateSessionRequest(timeout_ms=100000), timeout=WAIT)
        assert r.session_id != 0 and r.timeout_ms == 4000, r  # clamped to maxSessionTimeout = 20 x tickTime
        ka = s.KeepAlive(pb.KeepAliveRequest(session_id=r.session_id), timeout=WAIT)
        assert ka.zxid >= r.zxid
        closed = s.CloseSession(pb.CloseSessionRequest(session_id=r.session_id), timeout=WAIT)
        assert closed.zxid > r.zxid
        expect_error(lambda: s.KeepAlive(pb.KeepAliveRequest(session_id=r.session_id), timeout=WAIT),
                     grpc.StatusCode.FAILED_PRECONDITION, -112)
        expect_error(lambda: s.Get(pb.GetRequest(session_id=0, path="/"), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT)


def test_crud_with_stat():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        c = s.Create(pb.CreateRequest(session_id=sid, path=p, data=b"v0"), timeout=WAIT)
        assert c.path == p and c.stat.czxid == c.zxid and c.stat.version == 0 and c.stat.ephemeral_owner == 0, c
        g = s.Get(pb.GetRequest(session_id=sid, path=p), timeout=WAIT)
        assert g.data == b"v0" and g.stat.data_length == 2 and g.zxid >= c.zxid, g
        st = s.Set(pb.SetRequest(session_id=sid, path=p, data=b"v1", version=0), timeout=WAIT)
        assert st.stat.version == 1 and st.stat.mzxid == st.zxid, st
        st = s.Set(pb.SetRequest(session_id=sid, path=p, data=b"v2"), timeout=WAIT)  # no version: any
        assert st.stat.version == 2
        expect_error(lambda: s.Set(pb.SetRequest(session_id=sid, path=p, data=b"x", version=0), timeout=WAIT),
                     grpc.StatusCode.ABORTED, -103)
        e = s.Exists(pb.ExistsRequest(session_id=sid, path=p), timeout=WAIT)
        assert e.exists and e.stat.version == 2, e
        e = s.Exists(pb.ExistsRequest(session_id=sid, path=p + "/none"), timeout=WAIT)
        assert not e.exists and not e.HasField("stat"), e
        s.Create(pb.CreateRequest(session_id=sid, path=p + "/a"), timeout=WAIT)
        s.Create(pb.CreateRequest(session_id=sid, path=p + "/b"), timeout=WAIT)
        ch_ = s.GetChildren(pb.GetChildrenRequest(session_id=sid, path=p), timeout=WAIT)
        assert sorted(ch_.children) == ["a", "b"] and ch_.stat.num_children == 2, ch_
        expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path=p), timeout=WAIT), grpc.StatusCode.ALREADY_EXISTS, -110)
        expect_error(lambda: s.Delete(pb.DeleteRequest(session_id=sid, path=p), timeout=WAIT), grpc.StatusCode.FAILED_PRECONDITION, -111)
        expect_error(lambda: s.Get(pb.GetRequest(session_id=sid, path=p + "/none"), timeout=WAIT), grpc.StatusCode.NOT_FOUND, -101)
        expect_error(lambda: s.Delete(pb.DeleteRequest(session_id=sid, path=p + "/a", version=7), timeout=WAIT), grpc.StatusCode.ABORTED, -103)
        s.Delete(pb.DeleteRequest(session_id=sid, path=p + "/a", version=0), timeout=WAIT)
        s.Delete(pb.DeleteRequest(session_id=sid, path=p + "/b"), timeout=WAIT)
        d = s.Delete(pb.DeleteRequest(session_id=sid, path=p), timeout=WAIT)
        assert d.zxid > st.zxid
        assert not s.Exists(pb.ExistsRequest(session_id=sid, path=p), timeout=WAIT).exists


def test_create_modes():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        s.Create(pb.CreateRequest(session_id=sid, path=p), timeout=WAIT)
        seq = s.Create(pb.CreateRequest(session_id=sid, path=p + "/seq-", mode=pb.PERSISTENT_SEQUENTIAL), timeout=WAIT)
        assert seq.path.startswith(p + "/seq-") and len(seq.path) == len(p + "/seq-") + 10 and seq.path[-10:].isdigit(), seq.path
        eph = s.Create(pb.CreateRequest(session_id=sid, path=p + "/eph", mode=pb.EPHEMERAL), timeout=WAIT)
        assert eph.stat.ephemeral_owner == sid, eph
        es = s.Create(pb.CreateRequest(session_id=sid, path=p + "/es-", mode=pb.EPHEMERAL_SEQUENTIAL), timeout=WAIT)
        assert es.stat.ephemeral_owner == sid and es.path[-10:].isdigit(), es
        expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path=p + "/eph/child"), timeout=WAIT),
                     grpc.StatusCode.FAILED_PRECONDITION, -108)
        # As in ZooKeeper, a Stat shows 0 as the owner of containers and TTL nodes; their behaviour shows the mode.
        cont = s.Create(pb.CreateRequest(session_id=sid, path=p + "/cont", mode=pb.CONTAINER), timeout=WAIT)
        assert cont.stat.ephemeral_owner == 0, cont
        s.Create(pb.CreateRequest(session_id=sid, path=p + "/cont/kid"), timeout=WAIT)
        s.Delete(pb.DeleteRequest(session_id=sid, path=p + "/cont/kid"), timeout=WAIT)
        ttl = s.Create(pb.CreateRequest(session_id=sid, path=p + "/ttl", mode=pb.PERSISTENT_WITH_TTL, ttl_ms=300), timeout=WAIT)
        assert ttl.stat.ephemeral_owner == 0, ttl
        wait_until(lambda: not s.Exists(pb.ExistsRequest(session_id=sid, path=p + "/cont"), timeout=WAIT).exists,
                   "the emptied container is removed")
        wait_until(lambda: not s.Exists(pb.ExistsRequest(session_id=sid, path=p + "/ttl"), timeout=WAIT).exists,
                   "the TTL node is removed after its TTL")
        ttls = s.Create(pb.CreateRequest(session_id=sid, path=p + "/ttls-", mode=pb.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl_ms=60000), timeout=WAIT)
        assert ttls.path[-10:].isdigit()
        expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path=p + "/ttl0", mode=pb.PERSISTENT_WITH_TTL), timeout=WAIT),
                     grpc.StatusCode.INVALID_ARGUMENT, -8)
        expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path="no-slash"), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT, -8)
        expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path=p + "//x"), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT, -8)
        expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path=p + "/m", mode=42), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT)
        expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path=p + "/nope/x"), timeout=WAIT), grpc.StatusCode.NOT_FOUND, -101)


def test_multi_is_atomic():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        s.Create(pb.CreateRequest(session_id=sid, path=p, data=b"0"), timeout=WAIT)
        ops = [
            pb.Op(create=pb.CreateRequest(path=p + "/a", data=b"a")),
            pb.Op(set=pb.SetRequest(path=p, data=b"1", version=0)),
            pb.Op(check=pb.CheckOp(path=p, version=1)),
            pb.Op(create=pb.CreateRequest(path=p + "/s-", mode=pb.PERSISTENT_SEQUENTIAL)),
            pb.Op(delete=pb.DeleteRequest(path=p + "/a")),
        ]
        m = s.Multi(pb.MultiRequest(session_id=sid, ops=ops), timeout=WAIT)
        kinds = [r.WhichOneof("result") for r in m.results]
        assert kinds == ["create", "set", "check", "create", "delete"], kinds
        assert m.results[0].create.path == p + "/a" and m.results[0].create.stat.czxid == m.zxid
        assert m.results[1].set.stat.version == 1
        assert m.results[3].create.path.startswith(p + "/s-")
        # One failing check: nothing applies, the status is that op's, and the trailer names it.
        bad = [
            pb.Op(create=pb.CreateRequest(path=p + "/b")),
            pb.Op(set=pb.SetRequest(path=p, data=b"2")),
            pb.Op(check=pb.CheckOp(path=p, version=0)),
        ]
        e = expect_error(lambda: s.Multi(pb.MultiRequest(session_id=sid, ops=bad), timeout=WAIT), grpc.StatusCode.ABORTED, -103)
        assert trailer(e, "coordinator-failed-op") == "2", e.trailing_metadata()
        assert not s.Exists(pb.ExistsRequest(session_id=sid, path=p + "/b"), timeout=WAIT).exists
        assert s.Get(pb.GetRequest(session_id=sid, path=p), timeout=WAIT).data == b"1"
        e = expect_error(lambda: s.Multi(pb.MultiRequest(session_id=sid, ops=[pb.Op(check=pb.CheckOp(path=p + "/none"))]), timeout=WAIT),
                         grpc.StatusCode.NOT_FOUND, -101)
        expect_error(lambda: s.Multi(pb.MultiRequest(session_id=sid), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT)
        expect_error(lambda: s.Multi(pb.MultiRequest(session_id=sid, ops=[pb.Op()]), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT)


def test_acl_and_authenticate_same_as_kazoo():
    from kazoo.exceptions import NoAuthError
    digest = base64.b64encode(hashlib.sha1(b"alice:secret").digest()).decode()
    with channel() as ch:
        s = stub(ch)
        owner = session(s)
        p = unique()
        s.Create(pb.CreateRequest(session_id=owner, path=p, data=b"private",
                                  acl=[pb.Acl(perms=31, scheme="digest", id="alice:" + digest)]), timeout=WAIT)
        expect_error(lambda: s.Get(pb.GetRequest(session_id=owner, path=p), timeout=WAIT), grpc.StatusCode.PERMISSION_DENIED, -102)
        s.Authenticate(pb.AuthenticateRequest(session_id=owner, scheme="digest", credentials=b"alice:secret"), timeout=WAIT)
        assert s.Get(pb.GetRequest(session_id=owner, path=p), timeout=WAIT).data == b"private"
        zk = kazoo_client()
        try:
            try:
                zk.get(p)
                raise AssertionError("kazoo read a node whose ACL it does not satisfy")
            except NoAuthError:
                pass
            zk.add_auth("digest", "alice:secret")
            assert zk.get(p)[0] == b"private"
        finally:
            zk.stop()
            zk.close()
        other = session(s)
        expect_error(lambda: s.Authenticate(pb.AuthenticateRequest(session_id=other, scheme="bogus", credentials=b"x"), timeout=WAIT),
                     grpc.StatusCode.UNAUTHENTICATED, -115)
        # As in ZooKeeper, failed authentication ends the session.
        wait_until(lambda: _session_gone(s, other), "the session with failed auth is closed")


def test_get_and_set_acl_same_as_kazoo():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        s.Create(pb.CreateRequest(session_id=sid, path=p, data=b"x"), timeout=WAIT)
        got = s.GetAcl(pb.GetAclRequest(session_id=sid, path=p), timeout=WAIT)
        assert [(a.perms, a.scheme, a.id) for a in got.acl] == [(31, "world", "anyone")] and got.stat.aversion == 0, got
        expect_error(lambda: s.SetAcl(pb.SetAclRequest(session_id=sid, path=p, acl=[pb.Acl(perms=1, scheme="world", id="anyone")], version=5),
                                      timeout=WAIT), grpc.StatusCode.ABORTED, -103)
        r = s.SetAcl(pb.SetAclRequest(session_id=sid, path=p, acl=[pb.Acl(perms=1, scheme="world", id="anyone")], version=0), timeout=WAIT)
        assert r.stat.aversion == 1, r
        expect_error(lambda: s.Set(pb.SetRequest(session_id=sid, path=p, data=b"y"), timeout=WAIT), grpc.StatusCode.PERMISSION_DENIED, -102)
        expect_error(lambda: s.SetAcl(pb.SetAclRequest(session_id=sid, path=p), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT, -114)
        expect_error(lambda: s.GetAcl(pb.GetAclRequest(session_id=sid, path=p + "/none"), timeout=WAIT), grpc.StatusCode.NOT_FOUND, -101)
        zk = kazoo_client()
        try:
            acl, stat = zk.get_acls(p)
            assert [(a.perms, a.id.scheme, a.id.id) for a in acl] == [(1, "world", "anyone")] and stat.aversion == 1, (acl, stat)
        finally:
            zk.stop()
            zk.close()


def _session_gone(s, sid):
    try:
        s.KeepAlive(pb.KeepAliveRequest(session_id=sid), timeout=WAIT)
        return False
    except grpc.RpcError as e:
        return e.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_watch_live_events():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        st = watch(s, sid, p)
        c = s.Create(pb.CreateRequest(session_id=sid, path=p, data=b"x"), timeout=WAIT)
        c2 = s.Create(pb.CreateRequest(session_id=sid, path=p + "/kid"), timeout=WAIT)
        u = s.Set(pb.SetRequest(session_id=sid, path=p, data=b"y"), timeout=WAIT)
        s.Delete(pb.DeleteRequest(session_id=sid, path=p + "/kid"), timeout=WAIT)
        d = s.Delete(pb.DeleteRequest(session_id=sid, path=p), timeout=WAIT)
        st.wait_count(6)
        ev = st.events()
        assert [(t, path) for t, path, _ in ev] == [
            (pb.NODE_CREATED, p), (pb.NODE_CHILDREN_CHANGED, p), (pb.NODE_DATA_CHANGED, p),
            (pb.NODE_CHILDREN_CHANGED, p), (pb.NODE_DELETED, p)], ev
        assert [z for _, _, z in ev][0] == c.zxid and ev[1][2] == c2.zxid and ev[2][2] == u.zxid and ev[4][2] == d.zxid, ev
        st.call.cancel()


def test_watch_recursive():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        s.Create(pb.CreateRequest(session_id=sid, path=p), timeout=WAIT)
        st = watch(s, sid, p, recursive=True)
        s.Create(pb.CreateRequest(session_id=sid, path=p + "/a"), timeout=WAIT)
        s.Create(pb.CreateRequest(session_id=sid, path=p + "/a/b"), timeout=WAIT)
        s.Create(pb.CreateRequest(session_id=sid, path=p + "x"), timeout=WAIT)  # a sibling with a common prefix: not under p
        s.Set(pb.SetRequest(session_id=sid, path=p + "/a/b", data=b"1"), timeout=WAIT)
        s.Delete(pb.DeleteRequest(session_id=sid, path=p + "/a/b"), timeout=WAIT)
        st.wait_count(5)
        ev = [(t, path) for t, path, _ in st.events()]
        assert ev == [(pb.NODE_CREATED, p + "/a"), (pb.NODE_CREATED, p + "/a/b"), (pb.NODE_DATA_CHANGED, p + "/a/b"),
                      (pb.NODE_DELETED, p + "/a/b")], ev
        st.call.cancel()


def test_watch_resumes_with_exactly_the_missed_changes():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        s.Create(pb.CreateRequest(session_id=sid, path=p), timeout=WAIT)
        first = watch(s, sid, p, recursive=True)
        seen = s.Create(pb.CreateRequest(session_id=sid, path=p + "/1"), timeout=WAIT)
        first.wait_count(2)
        assert first.events() == [(pb.NODE_CREATED, p + "/1", seen.zxid)]
        first.call.cancel()  # the watcher goes away; changes keep coming
        first.wait_end()
        missed = [
            s.Create(pb.CreateRequest(session_id=sid, path=p + "/2"), timeout=WAIT),
            s.Set(pb.SetRequest(session_id=sid, path=p + "/1", data=b"a"), timeout=WAIT),
            s.Delete(pb.DeleteRequest(session_id=sid, path=p + "/2"), timeout=WAIT),
        ]
        other = s.Create(pb.CreateRequest(session_id=sid, path=unique()), timeout=WAIT)  # not under p
        resumed = watch(s, sid, p, recursive=True, start=seen.zxid)
        started = resumed.items[0].started
        assert started.zxid >= other.zxid and started.oldest_zxid <= seen.zxid, started
        resumed.wait_count(4)
        assert resumed.events() == [
            (pb.NODE_CREATED, p + "/2", missed[0].zxid),
            (pb.NODE_DATA_CHANGED, p + "/1", missed[1].zxid),
            (pb.NODE_DELETED, p + "/2", missed[2].zxid)], resumed.events()
        live = s.Create(pb.CreateRequest(session_id=sid, path=p + "/3"), timeout=WAIT)
        resumed.wait_count(5)
        assert resumed.events()[3:] == [(pb.NODE_CREATED, p + "/3", live.zxid)], resumed.events()
        time.sleep(0.3)
        assert len(resumed.items) == 5, f"duplicates or extras: {resumed.events()}"
        resumed.call.cancel()


def test_watch_start_outside_window_is_out_of_range():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        old = s.Create(pb.CreateRequest(session_id=sid, path=p), timeout=WAIT)
        ops = [pb.Op(create=pb.CreateRequest(path=f"{p}/{i}")) for i in range(WINDOW)]
        s.Multi(pb.MultiRequest(session_id=sid, ops=ops), timeout=WAIT)  # 2 x WINDOW changes push `old` out
        e = watch_error(s, sid, p, old.zxid - 1)
        assert e.code() == grpc.StatusCode.OUT_OF_RANGE and "re-read" in e.details(), (e.code(), e.details())
        last = s.Status(pb.StatusRequest(), timeout=WAIT)
        assert last.watch_window_size == WINDOW and last.watch_window_oldest_zxid >= old.zxid, last
        e = watch_error(s, sid, p, last.last_zxid + 1000)
        assert e.code() == grpc.StatusCode.OUT_OF_RANGE and "ahead" in e.details(), (e.code(), e.details())
        # Starting exactly at the oldest zxid held is fine.
        ok = watch(s, sid, p, start=last.watch_window_oldest_zxid)
        ok.call.cancel()


def test_slow_watcher_is_ended_with_resource_exhausted():
    # A connection of its own with a fixed HTTP/2 window (no BDP growth), so what the client may buffer unread is bounded.
    with grpc.insecure_channel(args.grpc, options=[("grpc.use_local_subchannel_pool", 1), ("grpc.http2.bdp_probe", 0)]) as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        s.Create(pb.CreateRequest(session_id=sid, path=p), timeout=WAIT)
        call = s.Watch(pb.WatchRequest(session_id=sid, path=p, recursive=True), timeout=60)
        first = next(call)  # started; then stop reading
        assert first.WhichOneof("kind") == "started"
        # ~5000 changes: more than the HTTP/2 windows plus grpc.watchBuffer can hold for a reader that reads nothing.
        for batch in range(10):
            ops = [pb.Op(create=pb.CreateRequest(path=f"{p}/{batch}-{i}", data=b"x" * 32)) for i in range(500)]
            s.Multi(pb.MultiRequest(session_id=sid, ops=ops), timeout=WAIT)
        got = 0
        try:
            for _ in call:
                got += 1
                assert got <= 5000, "the stream delivered every change: it was never ended"
            raise AssertionError(f"stream ended OK after {got} events; expected RESOURCE_EXHAUSTED")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{e.code()}: {e.details()}"
            assert "grpc.watchBuffer" in e.details()
        assert got < 5000, got
        # The server goes on serving.
        assert s.Exists(pb.ExistsRequest(session_id=sid, path=p), timeout=WAIT).exists


def test_deadlines():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        t0 = time.monotonic()
        st = Stream(s.Watch(pb.WatchRequest(session_id=sid, path=p), timeout=0.5))
        err = st.wait_end()
        assert err is not None and err.code() == grpc.StatusCode.DEADLINE_EXCEEDED, err
        assert time.monotonic() - t0 < 5
        # The server honours grpc-timeout too: its stream is gone shortly after the deadline.
        wait_until(lambda: s.Status(pb.StatusRequest(), timeout=WAIT).watch_stream_count == 0, "the expired watch stream is gone")
        assert s.Exists(pb.ExistsRequest(session_id=sid, path="/"), timeout=0.001 + WAIT).exists


def test_cancellation():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        streams = [watch(s, sid, p) for _ in range(3)]
        assert s.Status(pb.StatusRequest(), timeout=WAIT).watch_stream_count >= 3
        for st in streams:
            st.call.cancel()
            err = st.wait_end()
            assert err is not None and err.code() == grpc.StatusCode.CANCELLED, err
        wait_until(lambda: s.Status(pb.StatusRequest(), timeout=WAIT).watch_stream_count == 0, "cancelled streams are released")
        s.Create(pb.CreateRequest(session_id=sid, path=p), timeout=WAIT)
        # A future cancelled before its answer leaves the server serving.
        fut = s.Get.future(pb.GetRequest(session_id=sid, path=p), timeout=WAIT)
        fut.cancel()
        assert s.Get(pb.GetRequest(session_id=sid, path=p), timeout=WAIT).stat.czxid > 0


def test_stream_limit_per_connection():
    # A channel of its own, so its one HTTP/2 connection carries only this test's streams.
    with grpc.insecure_channel(args.grpc, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
        s = stub(ch)
        sid = session(s)
        p = unique()
        streams = [watch(s, sid, p) for _ in range(STREAMS_MAX)]
        extra = Stream(s.Watch(pb.WatchRequest(session_id=sid, path=p), timeout=WAIT))
        time.sleep(1.0)
        assert extra.items == [] and not extra.done.is_set(), "a stream beyond grpc.maxStreamsPerConnection was served at once"
        streams[0].call.cancel()
        first = extra.wait_count(1)[0]  # admitted once a stream slot is free
        assert first.WhichOneof("kind") == "started"
        for st in streams[1:] + [extra]:
            st.call.cancel()


def test_bad_input_gets_clear_errors():
    with channel() as ch:
        s = stub(ch)
        sid = session(s)
        nope = ch.unary_unary("/coordinator.v1.Coordinator/Nope", request_serializer=lambda b: b, response_deserializer=lambda b: b)
        expect_error(lambda: nope(b"", timeout=WAIT), grpc.StatusCode.UNIMPLEMENTED)
        raw_get = ch.unary_unary("/coordinator.v1.Coordinator/Get", request_serializer=lambda b: b, response_deserializer=lambda b: b)
        expect_error(lambda: raw_get(b"\xff\xff\xff", timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT)
        expect_error(lambda: s.Get(pb.GetRequest(session_id=12345, path="/"), timeout=WAIT), grpc.StatusCode.FAILED_PRECONDITION, -112)
        expect_error(lambda: s.Watch(pb.WatchRequest(session_id=sid, path="bad"), timeout=WAIT).next(), grpc.StatusCode.INVALID_ARGUMENT)
        big = b"x" * (1024 * 1024 + 10)  # more than jute.maxbuffer
        p = unique()
        e = expect_error(lambda: s.Create(pb.CreateRequest(session_id=sid, path=p, data=big), timeout=WAIT), grpc.StatusCode.INVALID_ARGUMENT)
        assert "jute.maxbuffer" in e.details(), e.details()
        assert not s.Exists(pb.ExistsRequest(session_id=sid, path=p), timeout=WAIT).exists
        s.Create(pb.CreateRequest(session_id=sid, path=p, data=b"fine"), timeout=WAIT)


def test_kazoo_writes_grpc_watcher_sees():
    zk = kazoo_client()
    try:
        with channel() as ch:
            s = stub(ch)
            sid = session(s)
            p = unique()
            st = watch(s, sid, p, recursive=True)
            zk.create(p, b"k")
            zk.set(p, b"k2")
            zk.create(p + "/child", b"")
            zk.delete(p, recursive=True)
            st.wait_count(6)
            ev = [(t, path) for t, path, _ in st.events()]
            assert ev == [(pb.NODE_CREATED, p), (pb.NODE_DATA_CHANGED, p), (pb.NODE_CREATED, p + "/child"),
                          (pb.NODE_DELETED, p + "/child"), (pb.NODE_DELETED, p)], ev
            zxids = [z for _, _, z in st.events()]
            assert zxids == sorted(zxids) and len(set(zxids)) == len(zxids), zxids
            # The same znode, seen through both doors.
            zk.create(p, b"both")
            g = s.Get(pb.GetRequest(session_id=sid, path=p), timeout=WAIT)
            kd, kstat = zk.get(p)
            assert g.data == kd and g.stat.czxid == kstat.czxid and g.stat.mzxid == kstat.mzxid and g.stat.version == kstat.version
            st.call.cancel()
    finally:
        zk.stop()
        zk.close()


def test_grpc_writes_kazoo_watch_fires():
    zk = kazoo_client()
    try:
        with channel() as ch:
            s = stub(ch)
            sid = session(s)
            p = unique()
            fired = []
            got = threading.Event()

            def on_event(event):
                fired.append((event.type, event.path))
                got.set()
            assert zk.exists(p, watch=on_event) is None
            s.Create(pb.CreateRequest(session_id=sid, path=p, data=b"from-grpc"), timeout=WAIT)
            assert got.wait(WAIT), "kazoo's exists watch did not fire"
            assert fired == [("CREATED", p)], fired
            got.clear()
            data, _ = zk.get(p, watch=on_event)
            assert data == b"from-grpc"
            s.Set(pb.SetRequest(session_id=sid, path=p, data=b"again"), timeout=WAIT)
            assert got.wait(WAIT), "kazoo's data watch did not fire"
            assert fired[-1] == ("CHANGED", p), fired
    finally:
        zk.stop()
        zk.close()


def test_grpc_ephemeral_vanishes_for_kazoo_on_close():
    zk = kazoo_client()
    try:
        with channel() as ch:
            s = stub(ch)
            sid = session(s)
            p = unique()
            s.Create(pb.CreateRequest(session_id=sid, path=p, mode=pb.EPHEMERAL), timeout=WAIT)
            stat = zk.exists(p)
            assert stat is not None and stat.ephemeralOwner == sid, stat
            gone = threading.Event()
            zk.exists(p, watch=lambda e: gone.set() if e.type == "DELETED" else None)
            s.CloseSession(pb.CloseSessionRequest(session_id=sid), timeout=WAIT)
            assert gone.wait(WAIT), "kazoo's watch did not fire when the gRPC session closed"
            assert zk.exists(p) is None
    finally:
        zk.stop()
        zk.close()


def test_session_expiry_and_keepalive():
    zk = kazoo_client()
    try:
        with channel() as ch:
            s = stub(ch)
            # The kept session has room for a loaded machine (keepalives every 0.1 s against 3 s); the lost one
            # has the shortest timeout the server grants (minSessionTimeout = 2 x tickTime = 400 ms).
            kept = s.CreateSession(pb.CreateSessionRequest(timeout_ms=3000), timeout=WAIT)
            lost = s.CreateSession(pb.CreateSessionRequest(timeout_ms=100), timeout=WAIT)
            assert kept.timeout_ms == 3000 and lost.timeout_ms == 400, (kept, lost)
            pk, pl = unique(), unique()
            s.Create(pb.CreateRequest(session_id=kept.session_id, path=pk, mode=pb.EPHEMERAL), timeout=WAIT)
            s.Create(pb.CreateRequest(session_id=lost.session_id, path=pl, mode=pb.EPHEMERAL), timeout=WAIT)
            st = watch(s, kept.session_id, pl)
            wait_until(lambda: zk.exists(pl) is None, "the expired session's ephemeral is deleted")
            deadline = time.monotonic() + 4.0  # longer than the kept session's timeout
            while time.monotonic() < deadline:
                s.KeepAlive(pb.KeepAliveRequest(session_id=kept.session_id), timeout=WAIT)
                time.sleep(0.1)
            assert zk.exists(pk) is not None, "a kept-alive session lost its ephemeral"
            st.wait_count(2)
            assert st.events()[0][:2] == (pb.NODE_DELETED, pl), st.events()
            expect_error(lambda: s.Get(pb.GetRequest(session_id=lost.session_id, path="/"), timeout=WAIT),
                         grpc.StatusCode.FAILED_PRECONDITION, -112)
            st.call.cancel()
            s.CloseSession(pb.CloseSessionRequest(session_id=kept.session_id), timeout=WAIT)
    finally:
        zk.stop()
        zk.close()


def main():
    global args, pb, stub_mod, grpc
    ap = argparse.ArgumentParser()
    ap.add_argument("--grpc", required=True)
    ap.add_argument("--zk", required=True)
    ap.add_argument("--protos", required=True)
    ap.add_argument("--only")
    args = ap.parse_args()
    out = generate_stubs(args.protos)
    try:
        import grpc as grpc_module
        from coordinator.v1 import coordinator_pb2, coordinator_pb2_grpc
        grpc, pb, stub_mod = grpc_module, coordinator_pb2, coordinator_pb2_grpc
        tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
        if args.only:
            tests = [(n, f) for n, f in tests if args.only in n]
        passed = failed = 0
        for name, fn in tests:
            t0 = time.monotonic()
            try:
                fn()
                passed += 1
                print(f"PASS {name} ({time.monotonic() - t0:.2f} s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        print(f"{passed} passed, {failed} failed", flush=True)
        return 1 if failed or not tests else 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

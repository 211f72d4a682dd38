# Owns the replication scenarios (issue #4) as seen by kazoo: fail-over, sessions, read-your-writes, observers, quorum loss.
"""Ensemble scenarios driven through kazoo 2.8 (a client nobody here wrote).

Usage: /usr/bin/python3 ensemble_scenarios.py SCENARIO CONFIG_JSON

CONFIG_JSON: {"nodes": [{"id": 1, "port": 2181, "observer": false}, ...]}

The processes belong to whoever started this script (tests/Coordinator.Ensemble.Tests, EnsembleCluster). When
the scenario needs a node killed, restarted or the leader found, it asks over a line protocol:
it prints `CTL {"op": ...}` on stdout and reads one JSON reply line on stdin, {"ok": true, ...} or
{"ok": false, "error": "..."}. Ops: leader {timeout} -> {"leader": id}; kill {node}; restart {node} (returns
once the node serves again); ready {nodes, timeout}.

Other stdout lines: `STEP text` (progress), `MEASURE name value` (timings), and a final `RESULT PASS`.
Exit code 0 iff the scenario passed; an assertion failure prints a traceback and exits 1.
Every wait is bounded; nothing sleeps to assert.
"""
import json
import logging
import os
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient, KazooState  # noqa: E402
from kazoo.exceptions import KazooException, NodeExistsError  # noqa: E402
from kazoo.handlers.threading import KazooTimeoutError  # noqa: E402
from kazoo.protocol.serialization import write_string  # noqa: E402

# zkraw.py (tests/compat, copied next to this file) speaks the wire protocol where kazoo 2.8 has no API: here,
# SetWatches after a fail-over, as the Java and C clients send it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkraw  # noqa: E402

# Bounds (seconds). Fail-over must complete well inside the session timeout so sessions survive it.
FAILOVER_BOUND = 15.0
SESSION_TIMEOUT = 15.0
CONNECT_BOUND = 20.0
OP_BOUND = 10.0
RESTART_BOUND = 90.0
# Reconnect quickly: kazoo's default connection back-off grows to 60 s between attempts.
CONN_RETRY = dict(max_tries=-1, delay=0.05, backoff=1.5, max_delay=0.5, max_jitter=0.1)

CONFIG = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {"nodes": []}
NODES = {n["id"]: n for n in CONFIG["nodes"]}
VOTERS = [n["id"] for n in CONFIG["nodes"] if not n.get("observer")]
OBSERVERS = [n["id"] for n in CONFIG["nodes"] if n.get("observer")]
_ctl_lock = threading.Lock()
_out_lock = threading.Lock()


def say(kind, text):
    with _out_lock:
        print(f"{kind} {text}", flush=True)


def step(text):
    say("STEP", text)


def measure(name, value):
    say("MEASURE", f"{name} {value:.3f}")


def ctl(op, **args):
    """Asks the test harness (the owner of the processes) to do something; returns its reply."""
    with _ctl_lock:
        say("CTL", json.dumps(dict(op=op, **args)))
        line = sys.stdin.readline()
    if not line:
        raise AssertionError(f"control channel closed during {op}")
    reply = json.loads(line)
    if not reply.get("ok"):
        raise AssertionError(f"control {op} {args} failed: {reply.get('error')}")
    return reply


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def hostport(node_id):
    return f"127.0.0.1:{NODES[node_id]['port']}"


def hosts_starting_at(node_id, members):
    """The full host list, rotated so node_id comes first (with randomize_hosts=False kazoo tries it first)."""
    members = list(members)
    i = members.index(node_id)
    return ",".join(hostport(n) for n in members[i:] + members[:i])


def wait_until(what, predicate, bound):
    deadline = time.monotonic() + bound
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {bound:.0f} s waiting for {what}")
        time.sleep(0.05)


def connect(hosts, session_timeout=SESSION_TIMEOUT, listener=None, bound=CONNECT_BOUND):
    zk = KazooClient(hosts=hosts, timeout=session_timeout, randomize_hosts=False, connection_retry=CONN_RETRY)
    if listener is not None:
        zk.add_listener(listener)
    try:
        zk.start(timeout=bound)
    except Exception:
        zk.stop()
        zk.close()
        raise
    return zk


def connect_alone(node_id, **kw):
    return connect(hostport(node_id), **kw)


def peer_port(zk):
    """The client port of the server this session is connected to (kazoo 2.8 keeps the socket here)."""
    try:
        return zk._connection._socket.getpeername()[1]
    except Exception:  # noqa: BLE001 - not connected right now
        return None


def node_of(zk):
    port = peer_port(zk)
    for node_id, n in NODES.items():
        if n["port"] == port:
            return node_id
    return None


def close(*clients):
    for zk in clients:
        try:
            zk.stop()
            zk.close()
        except Exception:  # noqa: BLE001
            pass


def snapshot(node_id, root):
    """Connects to one node alone, syncs, and returns {child: data} for root's children."""
    zk = connect_alone(node_id)
    try:
        zk.sync(root)
        result = {}
        for child in zk.get_children(root):
            data, _ = zk.get(f"{root}/{child}")
            result[child] = data
        return result
    finally:
        close(zk)


def write_eventually(hosts, path, data, bound):
    """Creates path through a fresh session on hosts, retrying (fresh session, fresh call) until a create succeeds;
    returns the seconds it took. NodeExists means an earlier attempt that reported failure did land: also done."""
    started = time.monotonic()
    deadline = started + bound
    last = None
    while time.monotonic() < deadline:
        try:
            zk = connect(hosts, bound=max(0.5, min(5.0, deadline - time.monotonic())))
        except KazooTimeoutError as e:
            last = e
            continue
        try:
            zk.create_async(path, data).get(timeout=max(0.5, min(OP_BOUND, deadline - time.monotonic())))
            return time.monotonic() - started
        except NodeExistsError:
            return time.monotonic() - started  # an earlier attempt landed after all; it is there
        except (KazooException, KazooTimeoutError) as e:
            last = e
        finally:
            close(zk)
        time.sleep(0.05)
    raise AssertionError(f"no write to {path} through {hosts} succeeded within {bound:.0f} s (last error {last!r})")


def assert_all_nodes_agree(root, nodes, acked):
    """Every acknowledged write is on every node, and all nodes hold identical children and data."""
    snaps = {n: snapshot(n, root) for n in nodes}
    reference_node = nodes[0]
    reference = snaps[reference_node]
    for n in nodes:
        snap = snaps[n]
        missing = [p for p in acked if p not in snap]
        check(not missing, f"node {n} lacks {len(missing)} of {len(acked)} acknowledged writes, e.g. {sorted(missing)[:5]}")
        wrong = [p for p, d in acked.items() if snap.get(p) != d]
        check(not wrong, f"node {n} holds other data than acknowledged for {sorted(wrong)[:5]}")
        if snap != reference:
            only_here = sorted(set(snap) - set(reference))[:5]
            only_there = sorted(set(reference) - set(snap))[:5]
            differ = sorted(p for p in set(snap) & set(reference) if snap[p] != reference[p])[:5]
            raise AssertionError(f"node {n} and node {reference_node} disagree on {root}: only on {n}: {only_here}, "
                                 f"only on {reference_node}: {only_there}, different data: {differ}")
    step(f"all of {nodes} hold the same {len(reference)} children under {root}, "
         f"including all {len(acked)} acknowledged writes")
    return reference


class Writer(threading.Thread):
    """Writes continuously through one session: alternately numbered and sequential creates.

    A failed or timed-out write is never retried as such: the next attempt is a fresh call with a fresh name.
    Only writes whose call returned success are recorded as acknowledged (path -> data).
    """

    def __init__(self, name, hosts, root):
        super().__init__(name=name, daemon=True)
        self.label = name
        self.hosts = hosts
        self.root = root
        self.acked = {}
        self.ack_times = []  # (monotonic start, monotonic end) of each acknowledged write
        self.failures = 0
        self.stop_event = threading.Event()
        self.error = None
        self.zk = None
        self.lock = threading.Lock()

    def run(self):
        try:
            n = 0
            while not self.stop_event.is_set():
                n += 1
                data = f"{self.label}:{n}".encode()
                started = time.monotonic()
                try:
                    if n % 2:
                        result = self.zk.create_async(f"{self.root}/{self.label}-{n:06d}", data).get(timeout=OP_BOUND)
                    else:
                        result = self.zk.create_async(f"{self.root}/{self.label}-s-", data, sequence=True).get(timeout=OP_BOUND)
                except (KazooException, KazooTimeoutError):
                    self.failures += 1
                    self.stop_event.wait(0.05)
                    continue
                with self.lock:
                    self.acked[result[len(self.root) + 1:]] = data
                    self.ack_times.append((started, time.monotonic()))
        except Exception as e:  # noqa: BLE001
            self.error = e
            traceback.print_exc()

    def acks_since(self, t):
        with self.lock:
            return [a for a in self.ack_times if a[0] >= t]


def scenario_failover():
    """1. Leader fail-over under load: no acknowledged write is lost and every node ends up identical."""
    root = "/ens-failover"
    leader = ctl("leader")["leader"]
    step(f"leader is node {leader}")
    setup = connect(",".join(hostport(n) for n in VOTERS))
    setup.ensure_path(root)
    close(setup)

    writers = []
    for v in VOTERS:
        # One session that starts on node v but may fail over (full host list), one pinned to node v alone.
        writers.append(Writer(f"w{v}-all", hosts_starting_at(v, VOTERS), root))
        writers.append(Writer(f"w{v}-pin", hostport(v), root))
    for w in writers:
        w.zk = connect(w.hosts)
        check(node_of(w.zk) == int(w.label[1:].split("-")[0]),
              f"{w.label} should have connected to its first host, but is on node {node_of(w.zk)}")
    for w in writers:
        w.start()
    try:
        wait_until("every writer to be acknowledged 10 writes", lambda: all(len(w.acked) >= 10 for w in writers), 30)
        step(f"writers running; {sum(len(w.acked) for w in writers)} writes acknowledged before the kill")

        killed_at = time.monotonic()
        ctl("kill", node=leader)
        step(f"SIGKILLed leader node {leader}")
        new_leader = ctl("leader", timeout=FAILOVER_BOUND)["leader"]
        elected_s = time.monotonic() - killed_at
        check(new_leader != leader, f"node {leader} was killed but is reported as leader")
        measure("new_leader_reported_s", elected_s)
        step(f"node {new_leader} leads {elected_s:.2f} s after the kill")

        def first_ack_after_kill():
            times = [end for w in writers for (_, end) in w.acks_since(killed_at)]
            return min(times) if times else None
        first = wait_until("a write started after the kill to succeed", first_ack_after_kill, FAILOVER_BOUND)
        failover_s = first - killed_at
        measure("first_write_after_kill_s", failover_s)
        check(failover_s <= FAILOVER_BOUND, f"first write after the kill took {failover_s:.2f} s (bound {FAILOVER_BOUND} s)")

        movable = [w for w in writers if not w.label.endswith(f"{leader}-pin")]
        wait_until("every writer that can fail over to write 10 more times",
                   lambda: all(len(w.acks_since(killed_at)) >= 10 for w in movable), 30)
        # Keep writing a while on two voters (a phase length, not an assertion).
        time.sleep(max(0.0, 2.0 - (time.monotonic() - first)))
        step(f"writers that could fail over keep writing: {sum(len(w.acks_since(killed_at)) for w in writers)} acknowledged since the kill")

        ctl("restart", node=leader)
        restarted_at = time.monotonic()
        step(f"node {leader} restarted and serving again")
        wait_until("every writer (also the one pinned to the restarted node) to write 5 more times",
                   lambda: all(len(w.acks_since(restarted_at)) >= 5 for w in writers), 30)
    finally:
        for w in writers:
            w.stop_event.set()
        for w in writers:
            w.join(OP_BOUND + 5)
        close(*(w.zk for w in writers if w.zk is not None))
    for w in writers:
        check(w.error is None, f"writer {w.label} crashed: {w.error!r}")
        check(not w.is_alive(), f"writer {w.label} did not stop")
    acked = {}
    for w in writers:
        acked.update(w.acked)
        # One session's writes are applied in its order: its sequential names grow in the order they were acknowledged.
        counters = [int(p[-10:]) for p in w.acked if "-s-" in p]
        check(counters == sorted(counters) and len(set(counters)) == len(counters),
              f"writer {w.label}: sequential counters out of acknowledgement order: {counters[:20]}")
    step(f"{len(acked)} writes acknowledged, {sum(w.failures for w in writers)} attempts failed")
    ctl("ready", nodes=VOTERS, timeout=RESTART_BOUND)
    assert_all_nodes_agree(root, VOTERS, acked)


def scenario_sessions():
    """2. A session on a follower and its ephemeral and watch survive the leader's death; close removes it everywhere."""
    root = "/ens-sessions"
    leader = ctl("leader")["leader"]
    follower = next(v for v in VOTERS if v != leader)
    step(f"leader node {leader}, session on follower node {follower}")
    setup = connect(",".join(hostport(n) for n in VOTERS))
    setup.ensure_path(root)
    setup.create(f"{root}/watched", b"0")
    close(setup)

    states = []
    zk = connect(hosts_starting_at(follower, VOTERS), listener=lambda s: states.append((time.monotonic(), s)))
    other = None
    raw = None
    try:
        check(node_of(zk) == follower, f"session should be on node {follower}, is on node {node_of(zk)}")
        session_id = zk.client_id[0]
        zk.create(f"{root}/eph", b"mine", ephemeral=True)
        events = []
        changed = threading.Event()

        def on_watch(event):
            events.append(event)
            if event.type == "CHANGED":
                changed.set()
        zk.get(f"{root}/watched", watch=on_watch)
        # The DataWatch recipe as well: kazoo users rely on it to follow a node across connection losses.
        recipe_seen = []
        recipe_changed = threading.Event()

        def on_recipe(data, stat, event=None):
            recipe_seen.append((data, event))
            if data == b"1":
                recipe_changed.set()
        zk.DataWatch(f"{root}/watched", on_recipe)
        # Java/C-client behaviour, which kazoo lacks: a raw session on the same follower sets a data watch and, after
        # the fail-over, reconnects with its session id to another node and re-registers the watch with SetWatches.
        raw = zkraw.RawSession("127.0.0.1", NODES[follower]["port"], timeout_ms=int(SESSION_TIMEOUT * 1000))
        err, raw_zxid, _ = raw.request(zkraw.OP_GETDATA, bytes(write_string(f"{root}/watched")) + b"\x01")
        check(err == 0, f"raw getData with watch failed: error {err}")
        states.clear()

        killed_at = time.monotonic()
        ctl("kill", node=leader)
        step(f"SIGKILLed leader node {leader}")
        wait_until("the session to be SUSPENDED", lambda: any(s == KazooState.SUSPENDED for _, s in states), FAILOVER_BOUND)

        def reconnected():
            seen = [s for _, s in states]
            return KazooState.SUSPENDED in seen and KazooState.CONNECTED in seen[seen.index(KazooState.SUSPENDED):]
        wait_until("the session to be CONNECTED again after SUSPENDED", reconnected, FAILOVER_BOUND)
        back_at = next(t for t, s in states if s == KazooState.CONNECTED)
        measure("session_reconnected_s", back_at - killed_at)
        check(KazooState.LOST not in [s for _, s in states], f"session was LOST: {[s for _, s in states]}")
        check(zk.client_id[0] == session_id, "the session id changed across the fail-over")
        now_on = node_of(zk)
        step(f"session 0x{session_id:x} reconnected to node {now_on}; states {[s for _, s in states]}")
        new_leader = ctl("leader", timeout=FAILOVER_BOUND)["leader"]
        step(f"node {new_leader} leads")

        stat = zk.exists(f"{root}/eph")
        check(stat is not None, "the ephemeral is gone after the fail-over")
        check(stat.ephemeralOwner == session_id, f"ephemeral owner 0x{stat.ephemeralOwner:x} != session 0x{session_id:x}")
        live = [v for v in VOTERS if v != leader]
        for n in live:
            probe = connect_alone(n)
            try:
                probe.sync(root)
                s = probe.exists(f"{root}/eph")
                check(s is not None and s.ephemeralOwner == session_id, f"node {n} does not show the ephemeral of the live session")
            finally:
                close(probe)
        # kazoo 2.8 drops its one-shot watches on a connection loss (it tells each watcher with a NONE event and
        # sends no SetWatches on reconnect), so a kazoo user re-arms after CONNECTED; nothing else may have fired.
        check(all(e.type == "NONE" for e in events), f"the watch fired before anything changed: {events}")
        events.clear()
        data, _ = zk.get(f"{root}/watched", watch=on_watch)
        check(data == b"0", f"the watched node reads {data!r} after the fail-over")

        via = next((n for n in live if n != now_on), live[0])
        raw.drop()
        raw = reconnect_raw(raw, [n for n in live if n != follower] + [follower])
        err = raw.set_watches(raw_zxid, data=[f"{root}/watched"])
        check(err == 0, f"SetWatches after the fail-over failed: error {err}")
        step(f"raw session 0x{raw.session_id:x} moved to node {raw.node_id} and re-registered its data watch")
        other = connect_alone(via)
        other.set(f"{root}/watched", b"1")
        check(changed.wait(OP_BOUND), f"the data watch did not fire within {OP_BOUND} s of a change made via node {via}; events {events}")
        check(events[-1].path == f"{root}/watched", f"unexpected watch event {events[-1]}")
        check(recipe_changed.wait(OP_BOUND), f"the DataWatch recipe did not see the change within {OP_BOUND} s: {recipe_seen}")
        step(f"the data watch fired for a change made via node {via}; the DataWatch recipe saw it too")
        raw_events = raw.wait_events(1, OP_BOUND)
        check(raw_events == [("NodeDataChanged", f"{root}/watched")],
              f"the watch re-registered with SetWatches on node {raw.node_id} delivered {raw_events}")
        step("the watch re-registered with SetWatches fired too")
        raw.close_session()

        ctl("restart", node=leader)
        step(f"node {leader} restarted")
        zk.stop()
        zk.close()
        step("session closed")
        for n in VOTERS:
            probe = connect_alone(n)
            try:
                probe.sync(root)
                check(probe.exists(f"{root}/eph") is None, f"node {n} still has the ephemeral of the closed session")
            finally:
                close(probe)
        step(f"the ephemeral is gone on every node {VOTERS}")
    finally:
        close(zk)
        if other is not None:
            close(other)
        if raw is not None:
            raw.drop()


def reconnect_raw(raw, candidates):
    """Reconnects a raw session (same id and password) to the first candidate node that takes it, within the bound."""
    deadline = time.monotonic() + FAILOVER_BOUND
    last = None
    while time.monotonic() < deadline:
        for n in candidates:
            try:
                moved = zkraw.RawSession("127.0.0.1", NODES[n]["port"], timeout_ms=raw.timeout_ms,
                                         session_id=raw.session_id, passwd=raw.passwd, io_timeout=3.0)
            except (OSError, ConnectionError, zkraw.struct.error) as e:
                last = e
                continue
            check(moved.session_id == raw.session_id,
                  f"node {n} answered the reconnect of session 0x{raw.session_id:x} with session 0x{moved.session_id:x} (expired?)")
            moved.node_id = n
            return moved
        time.sleep(0.1)
    raise AssertionError(f"no node took the raw session back within {FAILOVER_BOUND} s (last error {last!r})")


def scenario_read_your_writes():
    """3. A client on a follower always sees its own latest write, in order; another follower sees it after sync."""
    root = "/ens-ryw"
    leader = ctl("leader")["leader"]
    followers = [v for v in VOTERS if v != leader]
    mine, theirs = followers[0], followers[1]
    step(f"leader node {leader}; writing on follower {mine}, checking on follower {theirs}")
    zk = connect_alone(mine)
    other = None
    try:
        zk.ensure_path(root)
        zk.create(f"{root}/x", b"0")
        started = time.monotonic()
        for i in range(1, 51):
            stat = zk.set(f"{root}/x", str(i).encode())
            check(stat.version == i, f"set #{i} returned version {stat.version}")
            data, stat = zk.get(f"{root}/x")
            check(data == str(i).encode() and stat.version == i, f"after set #{i} the follower returned {data!r} v{stat.version}")
            zk.create(f"{root}/c-{i:04d}", str(i).encode())
            check(zk.exists(f"{root}/c-{i:04d}") is not None, f"the follower does not show c-{i:04d} just created")
            children = zk.get_children(root)
            check(len(children) == i + 1, f"after create #{i} the follower lists {len(children)} children")
        measure("sequential_rounds_s", time.monotonic() - started)
        step("50 sequential set/get/create/exists rounds each saw their own write")

        # Pipelined: many requests in flight; the session's FIFO order means each read sees the write issued before it.
        pending = []
        for i in range(51, 251):
            pending.append(("set", i, zk.set_async(f"{root}/x", str(i).encode())))
            pending.append(("get", i, zk.get_async(f"{root}/x")))
        for kind, i, result in pending:
            value = result.get(timeout=OP_BOUND)
            if kind == "set":
                check(value.version == i, f"pipelined set #{i} returned version {value.version}")
            else:
                check(value[0] == str(i).encode(), f"pipelined get after set #{i} returned {value[0]!r}")
        step("200 pipelined set/get pairs each read the write issued just before")

        other = connect_alone(theirs)
        other.sync(root)
        data, stat = other.get(f"{root}/x")
        check(data == b"250" and stat.version == 250, f"follower {theirs} after sync returned {data!r} v{stat.version}")
        check(sorted(other.get_children(root)) == sorted(zk.get_children(root)), f"follower {theirs} lists other children")
        step(f"follower {theirs} sees the latest write after sync")
    finally:
        close(zk)
        if other is not None:
            close(other)
    expected = {f"c-{i:04d}": str(i).encode() for i in range(1, 51)}
    expected["x"] = b"250"
    assert_all_nodes_agree(root, VOTERS, expected)


class ModeSampler(threading.Thread):
    """Samples a node's srvr Mode line until stopped (a leader mode on an observer is a failure)."""

    def __init__(self, node_id):
        super().__init__(daemon=True)
        self.node_id = node_id
        self.samples = []
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.wait(0.1):
            self.samples.append(srvr_mode(NODES[self.node_id]["port"]))


def srvr_mode(port):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"srvr")
            reply = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return None
    for line in reply.decode(errors="replace").splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return "not serving"


def scenario_observer():
    """4. An observer serves reads, forwards writes, follows a new leader and is never one; killing it leaves the
    quorum unaffected."""
    root = "/ens-observer"
    check(len(OBSERVERS) == 1, "the observer scenario needs exactly one observer")
    observer = OBSERVERS[0]
    leader = ctl("leader")["leader"]
    check(leader in VOTERS, f"node {leader} leads but is not a voter")
    sampler = ModeSampler(observer)
    sampler.start()
    voters = connect(",".join(hostport(n) for n in VOTERS))
    obs = None
    try:
        voters.ensure_path(root)
        voters.create(f"{root}/from-voter", b"v")
        obs = connect_alone(observer)
        obs.sync(root)
        data, _ = obs.get(f"{root}/from-voter")
        check(data == b"v", f"the observer read {data!r} after sync")
        step("the observer reads what a voter wrote")

        acked = {"from-voter": b"o"}
        for i in range(20):
            obs.create(f"{root}/o-{i:03d}", f"o{i}".encode())
            acked[f"o-{i:03d}"] = f"o{i}".encode()
        stat = obs.set(f"{root}/from-voter", b"o")
        check(stat.version == 1, f"set through the observer returned version {stat.version}")
        data, _ = obs.get(f"{root}/from-voter")
        check(data == b"o", f"the observer does not read its own write: {data!r}")
        step("21 writes through the observer succeeded")
        assert_all_nodes_agree(root, VOTERS + [observer], acked)
        check(srvr_mode(NODES[observer]["port"]) == "observer", "the observer's srvr does not say Mode: observer")
        close(obs)
        obs = None

        # The leader dies while the observer runs: a voter must take over (never the observer), and the observer
        # must follow the new leader and forward writes to it.
        killed_at = time.monotonic()
        ctl("kill", node=leader)
        step(f"SIGKILLed leader node {leader} while the observer runs")
        new_leader = ctl("leader", timeout=FAILOVER_BOUND)["leader"]
        check(new_leader in VOTERS and new_leader != leader, f"node {new_leader} leads after node {leader} died")
        write_eventually(hostport(observer), f"{root}/after-failover", b"a", FAILOVER_BOUND)
        acked["after-failover"] = b"a"
        measure("observer_write_after_leader_kill_s", time.monotonic() - killed_at)
        step(f"node {new_leader} leads; a write through the observer succeeded {time.monotonic() - killed_at:.2f} s after the kill")
        ctl("restart", node=leader)
        leader = ctl("leader")["leader"]
        ctl("ready", nodes=VOTERS + [observer], timeout=RESTART_BOUND)
        write_eventually(",".join(hostport(n) for n in VOTERS), f"{root}/all-voters-back", b"b", FAILOVER_BOUND)
        acked["all-voters-back"] = b"b"
        step(f"all voters back; node {leader} leads")

        ctl("kill", node=observer)
        sampler.stop_event.set()
        killed_at = time.monotonic()
        step(f"SIGKILLed observer node {observer}")
        for i in range(20):
            voters.create_async(f"{root}/v-{i:03d}", f"v{i}".encode()).get(timeout=OP_BOUND)
            acked[f"v-{i:03d}"] = f"v{i}".encode()
        measure("20_writes_after_observer_kill_s", time.monotonic() - killed_at)
        check(ctl("leader", timeout=5)["leader"] == leader, "the leader changed because an observer died")
        step("writes through the voters keep succeeding without the observer; same leader")
    finally:
        sampler.stop_event.set()
        sampler.join(5)
        close(voters)
        if obs is not None:
            close(obs)
    seen = sorted(set(str(s) for s in sampler.samples))
    check("leader" not in sampler.samples, f"the observer reported Mode: leader; modes seen {seen}")
    check("observer" in sampler.samples, f"the observer never reported Mode: observer; modes seen {seen}")
    step(f"observer srvr sampled {len(sampler.samples)} times, modes seen {seen}")
    assert_all_nodes_agree(root, VOTERS, acked)


def scenario_minority():
    """5. One voter of three down: writes go on. Two down: the survivor refuses clients; one back: writes resume."""
    root = "/ens-minority"
    leader = ctl("leader")["leader"]
    followers = [v for v in VOTERS if v != leader]
    down_first, survivor = followers[0], followers[1]
    acked = {}
    zk = connect(",".join(hostport(n) for n in VOTERS))
    try:
        zk.ensure_path(root)
    finally:
        close(zk)

    ctl("kill", node=down_first)
    step(f"SIGKILLed follower node {down_first}; leader {leader} and follower {survivor} remain")
    zk = connect(hosts_starting_at(survivor, [leader, survivor]))
    try:
        for i in range(10):
            zk.create_async(f"{root}/a-{i:03d}", b"a").get(timeout=OP_BOUND)
            acked[f"a-{i:03d}"] = b"a"
    finally:
        close(zk)
    step("with 1 of 3 voters down, writes succeed")

    ctl("kill", node=leader)
    killed_at = time.monotonic()
    step(f"SIGKILLed leader node {leader}; node {survivor} is alone")
    wait_until(f"node {survivor} to stop serving", lambda: srvr_mode(NODES[survivor]["port"]) not in ("leader", "follower"), FAILOVER_BOUND)
    measure("survivor_stops_serving_s", time.monotonic() - killed_at)
    # Negative check over a window: the survivor must neither accept a session nor a write.
    refused = 0
    window_end = time.monotonic() + 4
    while time.monotonic() < window_end:
        try:
            lonely = connect_alone(survivor, bound=1.0)
        except KazooTimeoutError:
            refused += 1
            continue
        try:
            try:
                path = lonely.create_async(f"{root}/lonely-", b"x", sequence=True).get(timeout=2)
            except (KazooException, KazooTimeoutError):
                refused += 1
                continue
            raise AssertionError(f"node {survivor} alone accepted write {path}")
        finally:
            close(lonely)
    mode = srvr_mode(NODES[survivor]["port"])
    check(mode not in ("leader", "follower", "standalone"), f"node {survivor} alone reports Mode: {mode}")
    step(f"node {survivor} alone refused {refused} connection/write attempts; srvr says {mode!r}")

    ctl("restart", node=down_first)
    back_at = time.monotonic()
    step(f"node {down_first} restarted; quorum of {down_first} and {survivor}")
    zk = connect_alone(survivor, bound=FAILOVER_BOUND)
    try:
        zk.create_async(f"{root}/b-000", b"b").get(timeout=OP_BOUND)
        acked["b-000"] = b"b"
        measure("write_on_survivor_after_restart_s", time.monotonic() - back_at)
        for i in range(1, 10):
            zk.create_async(f"{root}/b-{i:03d}", b"b").get(timeout=OP_BOUND)
            acked[f"b-{i:03d}"] = b"b"
    finally:
        close(zk)
    step(f"writes through node {survivor} succeed again")
    ctl("restart", node=leader)
    ctl("ready", nodes=VOTERS, timeout=RESTART_BOUND)
    assert_all_nodes_agree(root, VOTERS, acked)


SCENARIOS = {
    "failover": scenario_failover,
    "sessions": scenario_sessions,
    "read_your_writes": scenario_read_your_writes,
    "observer": scenario_observer,
    "minority": scenario_minority,
}


def main():
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr, format="%(asctime)s kazoo %(levelname)s %(message)s")
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        SCENARIOS[sys.argv[1]]()
    except Exception:  # noqa: BLE001
        traceback.print_exc(file=sys.stdout)
        say("RESULT", "FAIL")
        return 1
    say("RESULT", "PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

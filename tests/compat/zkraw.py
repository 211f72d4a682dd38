# Owns the raw ZooKeeper wire pieces the compat suites need beyond kazoo 2.8 (TTL, container, watches, whoami, ...).
"""Raw protocol helpers shared by kazoo_suite.py and diff_ops.py.

Two layers:
  * request classes that plug into kazoo's private `client._call` queue, for
    opcodes kazoo 2.8 does not expose (createContainer, createTTL, addWatch,
    removeWatches, getEphemerals, getAllChildrenNumber, whoAmI, multiRead);
  * RawSession, a tiny blocking socket client used where kazoo would get in the
    way (dropping a connection without closing the session, reading the raw
    ConnectResponse).

Everything is written from the public wire format (jute big-endian encoding).
"""
import socket
import struct
import threading
import time
from collections import namedtuple

from kazoo import exceptions as kexc
from kazoo.protocol.serialization import (
    read_buffer, read_string, stat_struct, write_buffer, write_string)
from kazoo.protocol.states import ZnodeStat

# ---------------------------------------------------------------- constants
OP_CREATE, OP_DELETE, OP_EXISTS, OP_GETDATA, OP_SETDATA = 1, 2, 3, 4, 5
OP_GETCHILDREN, OP_SYNC, OP_PING, OP_GETCHILDREN2 = 8, 9, 11, 12
OP_CHECK, OP_MULTI, OP_CREATE2 = 13, 14, 15
OP_REMOVE_WATCHES, OP_CREATE_CONTAINER, OP_CREATE_TTL = 18, 19, 21
OP_MULTI_READ = 22
OP_GET_EPHEMERALS, OP_GET_ALL_CHILDREN_NUMBER = 103, 104
OP_ADD_WATCH, OP_WHOAMI = 106, 107
OP_SET_WATCHES, OP_SET_WATCHES2 = 101, 105
SET_WATCHES_XID = -8
OP_CLOSE = -11

FLAG_EPHEMERAL, FLAG_SEQUENTIAL, FLAG_CONTAINER = 1, 2, 4
FLAG_TTL, FLAG_TTL_SEQUENTIAL = 5, 6

ADD_WATCH_PERSISTENT, ADD_WATCH_PERSISTENT_RECURSIVE = 0, 1
WATCHER_CHILDREN, WATCHER_DATA, WATCHER_ANY = 1, 2, 3

EVENT_NAMES = {-1: 'None', 1: 'NodeCreated', 2: 'NodeDeleted',
               3: 'NodeDataChanged', 4: 'NodeChildrenChanged'}

_i32 = struct.Struct('!i')
_i64 = struct.Struct('!q')


# ------------------------------------------------- error codes kazoo lacks
# kazoo 2.8 raises RuntimeError inside its reader thread for unknown codes,
# which kills the connection; register the newer codes so they surface as
# ordinary exceptions.
def _register(code, name):
    if code in kexc.EXCEPTIONS:
        return kexc.EXCEPTIONS[code]
    klass = type(name, (kexc.ZookeeperError,), {})
    kexc.EXCEPTIONS[code] = klass
    klass.code = code
    return klass


NoWatcherError = _register(-121, 'NoWatcherError')
EphemeralOnLocalSessionError = _register(-120, 'EphemeralOnLocalSessionError')
ReconfigDisabledError = _register(-123, 'ReconfigDisabledError')
SessionClosedRequireSaslError = _register(-124, 'SessionClosedRequireSaslError')
QuotaExceededError = _register(-125, 'QuotaExceededError')
ThrottledOpError = _register(-127, 'ThrottledOpError')


def error_name(code):
    """Kazoo-style class name for a numeric ZooKeeper error code."""
    if code in kexc.EXCEPTIONS:
        return kexc.EXCEPTIONS[code].__name__
    return 'ZkError(%d)' % code


# ------------------------------------------------------------- encoders
def _acl_bytes(acls):
    b = bytearray(_i32.pack(len(acls)))
    for a in acls:
        b += _i32.pack(a.perms) + write_string(a.id.scheme) + write_string(a.id.id)
    return b


def _read_stat(buf, off):
    return ZnodeStat._make(stat_struct.unpack_from(buf, off)), off + stat_struct.size


def _read_string_vector(buf, off):
    n = _i32.unpack_from(buf, off)[0]
    off += 4
    out = []
    for _ in range(max(n, 0)):
        s, off = read_string(buf, off)
        out.append(s)
    return out, off


# ---------------------------------------- requests usable with kazoo._call
class CreateContainer(namedtuple('CreateContainer', 'path data acl')):
    type = OP_CREATE_CONTAINER

    def serialize(self):
        return (bytearray(write_string(self.path)) + write_buffer(self.data)
                + _acl_bytes(self.acl) + _i32.pack(FLAG_CONTAINER))

    @classmethod
    def deserialize(cls, buf, off):
        path, off = read_string(buf, off)
        return path, _read_stat(buf, off)[0]


class CreateTTL(namedtuple('CreateTTL', 'path data acl flags ttl')):
    type = OP_CREATE_TTL

    def serialize(self):
        return (bytearray(write_string(self.path)) + write_buffer(self.data)
                + _acl_bytes(self.acl) + _i32.pack(self.flags) + _i64.pack(self.ttl))

    @classmethod
    def deserialize(cls, buf, off):
        path, off = read_string(buf, off)
        return path, _read_stat(buf, off)[0]


class RawCreate(namedtuple('RawCreate', 'path data acl flags')):
    """Plain create (opcode 1) with arbitrary flags, e.g. the container flag."""
    type = OP_CREATE

    def serialize(self):
        return (bytearray(write_string(self.path)) + write_buffer(self.data)
                + _acl_bytes(self.acl) + _i32.pack(self.flags))

    @classmethod
    def deserialize(cls, buf, off):
        return read_string(buf, off)[0]


class AddWatch(namedtuple('AddWatch', 'path mode')):
    type = OP_ADD_WATCH

    def serialize(self):
        return bytearray(write_string(self.path)) + _i32.pack(self.mode)

    @classmethod
    def deserialize(cls, buf, off):
        return True


class RemoveWatches(namedtuple('RemoveWatches', 'path watcher_type')):
    type = OP_REMOVE_WATCHES

    def serialize(self):
        return bytearray(write_string(self.path)) + _i32.pack(self.watcher_type)

    @classmethod
    def deserialize(cls, buf, off):
        return True


class GetEphemerals(namedtuple('GetEphemerals', 'prefix')):
    type = OP_GET_EPHEMERALS

    def serialize(self):
        return bytearray(write_string(self.prefix))

    @classmethod
    def deserialize(cls, buf, off):
        return _read_string_vector(buf, off)[0]


class GetAllChildrenNumber(namedtuple('GetAllChildrenNumber', 'path')):
    type = OP_GET_ALL_CHILDREN_NUMBER

    def serialize(self):
        return bytearray(write_string(self.path))

    @classmethod
    def deserialize(cls, buf, off):
        return _i32.unpack_from(buf, off)[0]


class WhoAmI(namedtuple('WhoAmI', '')):
    type = OP_WHOAMI

    def __bool__(self):  # kazoo skips responses for falsy (empty) requests
        return True

    def serialize(self):
        return bytearray()

    @classmethod
    def deserialize(cls, buf, off):
        n = _i32.unpack_from(buf, off)[0]
        off += 4
        out = []
        for _ in range(max(n, 0)):
            scheme, off = read_string(buf, off)
            user, off = read_string(buf, off)
            out.append((scheme, user))
        return out


class MultiRead(namedtuple('MultiRead', 'ops')):
    """ops: list of ('get_data'|'get_children', path). Result: list of
    (data, stat) / [children] / exception instance, one per op."""
    type = OP_MULTI_READ

    def serialize(self):
        b = bytearray()
        for kind, path in self.ops:
            op = OP_GETDATA if kind == 'get_data' else OP_GETCHILDREN
            b += struct.pack('!iBi', op, 0, -1) + write_string(path) + b'\x00'
        return b + struct.pack('!iBi', -1, 1, -1)

    @classmethod
    def deserialize(cls, buf, off):
        out = []
        while True:
            typ, done, err = struct.unpack_from('!iBi', buf, off)
            off += 9
            if done:
                return out
            if typ == OP_GETDATA:
                data, off = read_buffer(buf, off)
                stat, off = _read_stat(buf, off)
                out.append((data, stat))
            elif typ == OP_GETCHILDREN:
                kids, off = _read_string_vector(buf, off)
                out.append(kids)
            else:
                code = _i32.unpack_from(buf, off)[0]
                off += 4
                out.append(kexc.EXCEPTIONS[code]())


class RawRequest(namedtuple('RawRequest', 'type body')):
    """Any opcode with a hand-built body, for malformed-on-purpose requests.
    The reply body is ignored: a successful reply yields True."""

    def serialize(self):
        return bytearray(self.body)

    @classmethod
    def deserialize(cls, buf, off):
        return True


def multi_header(op, done=False, err=-1):
    return struct.pack('!iBi', op, 1 if done else 0, err)


def call(client, request, timeout=10.0):
    """Send a raw request through a connected KazooClient and wait."""
    result = client.handler.async_result()
    client._call(request, result)
    return result.get(timeout=timeout)


# --------------------------------------------------------- event capture
class EventRecorder(object):
    """Records every watch notification a KazooClient receives, including
    the ones (persistent watches) kazoo itself has no watcher for."""

    def __init__(self, client):
        self._events = []
        self._cond = threading.Condition()
        conn = client._connection
        original = conn._read_watch_event

        def hook(buffer, offset):
            typ, state = struct.unpack_from('!ii', buffer, offset)
            path, _ = read_string(buffer, offset + 8)
            with self._cond:
                self._events.append((EVENT_NAMES.get(typ, str(typ)), path))
                self._cond.notify_all()
            return original(buffer, offset)

        conn._read_watch_event = hook

    def snapshot(self, under=None):
        with self._cond:
            return [e for e in self._events
                    if under is None or e[1] == under or e[1].startswith(under + '/')]

    def wait_for(self, predicate, timeout=5.0):
        """Wait until predicate(list_of_events) is true; returns the list."""
        deadline = time.time() + timeout
        with self._cond:
            while not predicate(list(self._events)):
                left = deadline - time.time()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self._events)


# ------------------------------------------------------ standalone client
class RawSession(object):
    """Minimal blocking ZooKeeper client over one TCP connection."""

    def __init__(self, host, port, timeout_ms=4000, session_id=0,
                 passwd=b'\x00' * 16, io_timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=io_timeout)
        self.sock.settimeout(io_timeout)
        self.xid = 0
        body = (struct.pack('!iqiq', 0, 0, timeout_ms, session_id)
                + write_buffer(passwd) + b'\x00')
        self._send(body)
        resp = self._recv_frame()
        self.protocol_version, self.timeout_ms, self.session_id = \
            struct.unpack_from('!iiq', resp, 0)
        self.passwd, _ = read_buffer(resp, 16)
        self.events = []

    def _send(self, payload):
        self.sock.sendall(_i32.pack(len(payload)) + payload)

    def _recv_exact(self, n):
        chunks = b''
        while len(chunks) < n:
            part = self.sock.recv(n - len(chunks))
            if not part:
                raise ConnectionError('server closed the connection')
            chunks += part
        return chunks

    def _recv_frame(self):
        n = _i32.unpack(self._recv_exact(4))[0]
        return self._recv_exact(n)

    def request(self, op, body=b'', xid=None):
        """Returns (err, zxid, response_body_bytes)."""
        if xid is None:
            self.xid += 1
            xid = self.xid
        self._send(struct.pack('!ii', xid, op) + bytes(body))
        while True:
            frame = self._recv_frame()
            rxid, zxid, err = struct.unpack_from('!iqi', frame, 0)
            if self._note_event(frame) or rxid == -2:  # watch notification / ping reply
                continue
            return err, zxid, frame[16:]

    def _note_event(self, frame):
        if struct.unpack_from('!i', frame, 0)[0] != -1:
            return False
        typ, state = struct.unpack_from('!ii', frame, 16)
        path, _ = read_string(frame, 24)
        self.events.append((EVENT_NAMES.get(typ, str(typ)), path))
        return True

    def wait_events(self, count, timeout):
        """Read notifications until `count` have arrived in total or timeout; returns them."""
        deadline = time.time() + timeout
        old = self.sock.gettimeout()
        try:
            while len(self.events) < count:
                left = deadline - time.time()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    self._note_event(self._recv_frame())
                except socket.timeout:
                    break
        finally:
            self.sock.settimeout(old)
        return list(self.events)

    def set_watches(self, relative_zxid, data=(), exist=(), child=(), persistent=None,
                    recursive=None):
        """SetWatches (or SetWatches2 when persistent lists are given), as clients send
        after reconnecting. Returns the error code."""
        body = bytearray(_i64.pack(relative_zxid))
        lists = [data, exist, child]
        if persistent is not None or recursive is not None:
            lists += [persistent or (), recursive or ()]
        for paths in lists:
            body += _i32.pack(len(paths))
            for p in paths:
                body += write_string(p)
        op = OP_SET_WATCHES if len(lists) == 3 else OP_SET_WATCHES2
        return self.request(op, body, xid=SET_WATCHES_XID)[0]

    def create(self, path, data=b'', acl=None, flags=0):
        from kazoo.security import OPEN_ACL_UNSAFE
        body = (bytearray(write_string(path)) + write_buffer(data)
                + _acl_bytes(acl or OPEN_ACL_UNSAFE) + _i32.pack(flags))
        err, _, resp = self.request(OP_CREATE, body)
        if err:
            raise kexc.EXCEPTIONS[err]()
        return read_string(resp, 0)[0]

    def ping(self):
        self._send(struct.pack('!ii', -2, OP_PING))
        while True:
            frame = self._recv_frame()
            if struct.unpack_from('!i', frame, 0)[0] == -2:
                return

    def drop(self):
        """Close the TCP connection WITHOUT closing the session."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def close_session(self):
        try:
            self.request(OP_CLOSE)
        finally:
            self.drop()


def four_letter(host, port, word, timeout=5.0):
    """Send a four letter word command and return the full reply text."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(word.encode('ascii'))
        out = b''
        deadline = time.time() + timeout
        while time.time() < deadline:
            part = s.recv(65536)
            if not part:
                break
            out += part
        return out.decode('utf-8', 'replace')
    finally:
        s.close()

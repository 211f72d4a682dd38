# Owns the differential op script: a fixed op sequence printed as normalized JSON, to diff Apache ZooKeeper against us.
"""Differential operation script.

Usage: /usr/bin/python3 diff_ops.py HOST:PORT

Runs a fixed, deterministic sequence of operations (including failing ones)
with kazoo, and prints ONE JSON document: for each step the op, its args and
its normalized result (value, or {"error": "<kazoo exception class>"}).
The document is a JSON array with one step per line. Server-specific values
are normalized away so that two compatible servers print byte-identical output:
  * the random root path is replaced by "$ROOT";
  * Stat keeps version/cversion/aversion/dataLength/numChildren and turns
    czxid/mzxid/pzxid/ctime/mtime/ephemeralOwner into relations/booleans;
  * unordered lists (children, getEphemerals) are sorted.
Exit code: 0 if the script ran to the end (errors from the server are data,
not failures); 2 on usage error; any other non-zero code means the client broke down.
"""
import base64
import faulthandler
import json
import logging
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import ZookeeperError  # noqa: E402
from kazoo.protocol.serialization import write_string  # noqa: E402
from kazoo.protocol.states import ZnodeStat  # noqa: E402
from kazoo.security import (  # noqa: E402
    ACL, Id, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_digest_acl)

import zkraw  # noqa: E402


class Normalizer(object):
    def __init__(self, root, sessions):
        self.root = root
        self.sessions = sessions  # session id -> label

    def path(self, p):
        if isinstance(p, str) and p.startswith(self.root):
            return '$ROOT' + p[len(self.root):]
        return p

    def stat(self, st):
        return {
            'version': st.version, 'cversion': st.cversion, 'aversion': st.aversion,
            'dataLength': st.dataLength, 'numChildren': st.numChildren,
            'ephemeralOwner': self.sessions.get(st.ephemeralOwner,
                                                'none' if st.ephemeralOwner == 0 else 'other'),
            'mzxid==czxid': st.mzxid == st.czxid,
            'pzxid==czxid': st.pzxid == st.czxid,
            'mzxid>czxid': st.mzxid > st.czxid,
            'pzxid>czxid': st.pzxid > st.czxid,
            'ctime==mtime': st.ctime == st.mtime,
        }

    def data(self, d):
        if d is None:
            return None
        try:
            return {'utf8': d.decode('utf-8')}
        except UnicodeDecodeError:
            return {'base64': base64.b64encode(d).decode()}

    def value(self, v):
        if isinstance(v, BaseException):
            return {'error': type(v).__name__}
        if isinstance(v, ZnodeStat):
            return {'stat': self.stat(v)}
        if isinstance(v, ACL):
            return {'perms': v.perms, 'scheme': v.id.scheme, 'id': v.id.id}
        if isinstance(v, bytes):
            return {'data': self.data(v)}
        if isinstance(v, str):
            return self.path(v)
        if isinstance(v, (list, tuple)):
            return [self.value(x) for x in v]
        if callable(v):
            return '<watcher>'
        return v


def main(argv):
    if len(argv) != 2 or ':' not in argv[1]:
        print('usage: diff_ops.py HOST:PORT', file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.CRITICAL)
    faulthandler.dump_traceback_later(float(os.environ.get('COMPAT_CHECK_TIMEOUT', '60')), exit=True)
    hostport = argv[1]
    root = '/diff-%08x' % random.getrandbits(32)
    a = KazooClient(hosts=hostport, timeout=10.0)
    b = KazooClient(hosts=hostport, timeout=10.0)
    a.start(timeout=15)
    b.start(timeout=15)
    rec = zkraw.EventRecorder(a)
    norm = Normalizer(root, {a.client_id[0]: 'session-a', b.client_id[0]: 'session-b'})
    steps = []
    R = root

    def step(name, fn, *args, **kw):
        """Run one op; record args and the normalized result or error."""
        shown = [norm.value(x) if not isinstance(x, bytes) else norm.data(x) for x in args]
        if kw:
            shown.append({k: norm.value(v) for k, v in sorted(kw.items())})
        try:
            result = norm.value(fn(*args, **kw))
        except ZookeeperError as e:
            result = {'error': type(e).__name__}
        steps.append({'step': len(steps) + 1, 'op': name, 'args': shown, 'result': result})

    def sorted_children(path, **kw):
        res = a.get_children(path, **kw)
        if isinstance(res, tuple):
            return sorted(res[0]), res[1]
        return sorted(res)

    marks = [0]

    def events(count, timeout=3.0):
        """Watch notifications session a received since the previous call."""
        rec.wait_for(lambda evs: len(evs) >= marks[0] + count, timeout)
        time.sleep(0.2)  # let any unexpected extra event arrive too
        evs = rec.snapshot()
        new, marks[0] = evs[marks[0]:], len(evs)
        return [[typ, norm.path(path)] for typ, path in new]

    def raw(req):
        return zkraw.call(a, req)

    noop = lambda e: None  # noqa: E731 - kazoo wants a callable watcher

    # --- create / read / update / delete
    step('create', a.create, R, b'root')
    step('create2', a.create, R + '/a', b'alpha', include_data=True)
    step('create', a.create, R + '/a', b'again')
    step('create', a.create, R + '/missing/x', b'')
    # the server checks the parent before the path syntax: existing parent + bad name
    # is BadArguments, a missing (empty-named) parent is NoNode
    step('create_raw', raw, zkraw.RawCreate(R + '/', b'', OPEN_ACL_UNSAFE, 0))
    step('create_raw', raw, zkraw.RawCreate(R + '//x', b'', OPEN_ACL_UNSAFE, 0))
    step('create_raw', raw, zkraw.RawCreate('relative', b'', OPEN_ACL_UNSAFE, 0))
    step('get', a.get, R + '/a')
    step('exists', a.exists, R + '/nope')
    step('set', a.set, R + '/a', b'alpha2', version=0)
    step('set', a.set, R + '/a', b'x', version=0)
    step('set', a.set, R + '/nope', b'x')
    step('set', a.set, R + '/a', b'\x00\xff\x10', version=-1)
    step('get', a.get, R + '/a')
    step('create_null_data', a.create, R + '/null', None)
    step('get', a.get, R + '/null')
    step('create_empty_data', a.create, R + '/empty', b'')
    step('get', a.get, R + '/empty')
    # --- sequential and ephemeral
    for _ in range(3):
        step('create_sequential', a.create, R + '/seq-', b's', sequence=True)
    step('delete', a.delete, R + '/seq-0000000004')
    step('create_sequential', a.create, R + '/seq-', b's', sequence=True)
    step('create_ephemeral', a.create, R + '/eph', b'e', ephemeral=True, include_data=True)
    step('create_ephemeral_sequential', b.create, R + '/eseq-', b'', ephemeral=True, sequence=True)
    step('create', a.create, R + '/eph/child', b'')
    step('get_children2', sorted_children, R, include_data=True)
    step('exists', a.exists, R + '/eph')
    # --- delete errors
    step('delete', a.delete, R + '/a', version=5)
    step('delete', a.delete, R)
    step('delete', a.delete, R + '/a', version=2)
    step('get', a.get, R + '/a')
    step('delete', a.delete, R + '/a')
    step('get_children', sorted_children, R + '/a')
    # --- one-shot watches
    a.create(R + '/w', b'w')
    step('get_with_watch', a.get, R + '/w', watch=noop)
    step('exists_with_watch', a.exists, R + '/w2', watch=noop)
    step('get_children_with_watch', sorted_children, R + '/w', watch=noop)
    step('set', b.set, R + '/w', b'w1')
    step('set', b.set, R + '/w', b'w2')
    step('create', b.create, R + '/w2', b'')
    step('create', b.create, R + '/w/k', b'')
    step('events', events, 3)
    # --- persistent watches
    step('add_watch_persistent', raw, zkraw.AddWatch(R + '/p', zkraw.ADD_WATCH_PERSISTENT))
    step('add_watch_recursive', raw, zkraw.AddWatch(R + '/r', zkraw.ADD_WATCH_PERSISTENT_RECURSIVE))
    for p in ('/p', '/p/k', '/r', '/r/k', '/r/k/g'):
        b.create(R + p, b'')
    b.set(R + '/p/k', b'1')
    b.set(R + '/r/k/g', b'1')
    b.delete(R + '/r/k/g')
    b.delete(R + '/p/k')
    step('events', events, 8)
    step('remove_watches', raw, zkraw.RemoveWatches(R + '/r', zkraw.WATCHER_ANY))
    step('remove_watches', raw, zkraw.RemoveWatches(R + '/r', zkraw.WATCHER_ANY))
    step('remove_watches', raw, zkraw.RemoveWatches(R + '/p', zkraw.WATCHER_DATA))
    step('remove_watches', raw, zkraw.RemoveWatches(R + '/p', zkraw.WATCHER_CHILDREN))
    # --- multi
    t = a.transaction()
    t.create(R + '/tx', b'1')
    t.set_data(R + '/tx', b'2', version=0)
    t.check(R + '/tx', 1)
    t.create(R + '/tx/s-', b'', sequence=True)
    t.delete(R + '/w2')
    step('multi', t.commit)
    t = a.transaction()
    t.create(R + '/tx2', b'')
    t.delete(R + '/tx')
    t.set_data(R + '/tx', b'3')
    step('multi_failing', t.commit)
    t = a.transaction()
    t.check(R + '/none', -1)
    t.create(R + '/tx3', b'')
    step('multi_failing', t.commit)
    step('exists', a.exists, R + '/tx2')
    step('multi_empty', a.transaction().commit)
    step('multi_read', raw, zkraw.MultiRead([('get_data', R + '/tx'), ('get_children', R + '/tx'),
                                             ('get_data', R + '/none')]))
    # --- ACLs
    step('create_read_only', a.create, R + '/ro', b'ro', acl=READ_ACL_UNSAFE)
    step('set', a.set, R + '/ro', b'x')
    step('get_acls', a.get_acls, R + '/ro')
    step('set_acls', a.set_acls, R + '/ro', OPEN_ACL_UNSAFE, version=3)
    a.create(R + '/acl', b'')
    step('set_acls', a.set_acls, R + '/acl', READ_ACL_UNSAFE, version=3)
    step('set_acls', a.set_acls, R + '/acl', READ_ACL_UNSAFE, version=0)
    step('get_acls', a.get_acls, R + '/acl')
    step('delete', a.delete, R + '/acl')
    a.add_auth('digest', 'alice:secret')
    step('create_digest', a.create, R + '/d', b'sec', acl=[make_digest_acl('alice', 'secret', all=True)])
    step('get', b.get, R + '/d')
    step('create_digest_read_only', a.create, R + '/dr', b'',
         acl=[make_digest_acl('alice', 'secret', read=True)])
    step('get_acls_redacted', a.get_acls, R + '/dr')
    step('get_acls', a.get_acls, R + '/d')
    step('create_auth_acl', b.create, R + '/noauth', b'', acl=[ACL(31, Id('auth', ''))])
    step('create_auth_acl', a.create, R + '/withauth', b'', acl=[ACL(31, Id('auth', ''))])
    step('get_acls', a.get_acls, R + '/withauth')
    step('create_bad_acl', a.create, R + '/bad', b'', acl=[ACL(31, Id('digest', 'nocolon'))])
    step('whoami', lambda: sorted(raw(zkraw.WhoAmI())))

    # --- ACL id validation (nodes that get created are removed at once; the parent's ACL allows it)
    def create_probe(path, scheme, ident):
        created = a.create(path, b'', acl=[ACL(31, Id(scheme, ident))])
        a.delete(created)
        return created
    probes = [('digest', ':'), ('digest', 'alice:'), ('digest', ':hash'), ('digest', 'a:b:c'),
              ('digest', 'alice::'), ('digest', 'alice'), ('ip', '127.0.0.1/0'), ('ip', '127.0.0.01'),
              ('ip', '::1'), ('ip', '1.2.3'), ('ip', 'localhost'), ('world', 'Anyone')]
    for i, (scheme, ident) in enumerate(probes):
        step('create_acl_probe', create_probe, R + '/aclprobe%d' % i, scheme, ident)
    # --- container and TTL
    step('create_container', raw, zkraw.CreateContainer(R + '/c', b'c', OPEN_ACL_UNSAFE))
    step('create_ttl', raw, zkraw.CreateTTL(R + '/t', b't', OPEN_ACL_UNSAFE, zkraw.FLAG_TTL, 60000))
    step('create_ttl', raw, zkraw.CreateTTL(R + '/t0', b'', OPEN_ACL_UNSAFE, zkraw.FLAG_TTL, 0))
    step('create_flag_container', raw, zkraw.RawCreate(R + '/c1', b'', OPEN_ACL_UNSAFE,
                                                         zkraw.FLAG_CONTAINER))
    step('create_flag_ttl', raw, zkraw.RawCreate(R + '/t1', b'', OPEN_ACL_UNSAFE, zkraw.FLAG_TTL))
    # --- requests a well-behaved client library would not send
    step('add_watch_bad_mode', raw, zkraw.AddWatch(R, 7))
    def multi_with_get_data(path):
        body = (zkraw.multi_header(zkraw.OP_GETDATA) + write_string(path) + b'\x00'
                + zkraw.multi_header(-1, done=True))
        return raw(zkraw.RawRequest(zkraw.OP_MULTI, body))

    def multi_read_with_delete(path):
        body = (zkraw.multi_header(zkraw.OP_DELETE) + write_string(path) + struct.pack('!i', -1)
                + zkraw.multi_header(-1, done=True))
        return raw(zkraw.RawRequest(zkraw.OP_MULTI_READ, body))
    step('multi_with_get_data', multi_with_get_data, R)
    step('multi_read_with_delete', multi_read_with_delete, R + '/c')
    step('exists', a.exists, R + '/c')

    # --- other reads
    step('get_ephemerals', lambda p: sorted(raw(zkraw.GetEphemerals(p))), R)
    step('get_all_children_number', raw, zkraw.GetAllChildrenNumber(R))
    step('get_all_children_number', raw, zkraw.GetAllChildrenNumber(R + '/none'))
    step('sync', a.sync, R)
    step('get_children', sorted_children, '/zookeeper')
    step('get_children2', sorted_children, R, include_data=True)
    # --- quotas: the nodes zkCli's setquota writes (limits, then stats, which the server fills and keeps current);
    # --- the oracle runs with -Dzookeeper.enforceQuota=true, so hard limits refuse writes with QuotaExceeded
    Q = R + '/q'
    QN = '/zookeeper/quota' + Q

    def quota_create(suffix, data):
        a.create(QN + suffix, data, makepath=True)  # the path names the random root: keep it out of the transcript

    def quota_stats():
        return a.get(QN + '/zookeeper_stats')[0]
    step('create', a.create, Q, b'abc')
    step('create', a.create, Q + '/w', b'')
    step('quota_limits', quota_create, '/zookeeper_limits', b'count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=3')
    step('quota_stats_node', quota_create, '/zookeeper_stats', b'count=0,bytes=0')
    step('quota_stats', quota_stats)
    step('create', a.create, Q + '/x', b'1234')
    step('quota_stats', quota_stats)
    step('create_past_count_limit', a.create, Q + '/y')
    step('set_past_bytes_limit', a.set, Q, b'123456789')
    step('set', a.set, Q, b'12')
    step('quota_stats', quota_stats)
    step('delete', a.delete, Q + '/x')
    step('quota_stats', quota_stats)
    step('create', a.create, Q + '/y')
    step('quota_stats', quota_stats)
    step('quota_delete', lambda: a.delete('/zookeeper/quota' + R, recursive=True))

    # --- cleanup (part of the transcript)
    step('delete_recursive', a.delete, R, recursive=True)
    step('exists', a.exists, R)

    faulthandler.cancel_dump_traceback_later()
    for c in (a, b):
        c.stop()
        c.close()
    # one step per line (keys in insertion order: step, op, args, result), so that a line diff of two runs names the differing steps
    print('[\n' + ',\n'.join(json.dumps(s, ensure_ascii=True) for s in steps) + '\n]')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

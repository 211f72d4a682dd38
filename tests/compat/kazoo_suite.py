# Owns the kazoo (Python client) compatibility suite: every op, watch, session, multi and ACL behaviour we promise.
"""Kazoo compatibility suite.

Usage: /usr/bin/python3 kazoo_suite.py HOST:PORT [NAME_SUBSTRING ...]

Runs each check against the server at HOST:PORT, prints one line per check
(PASS / FAIL / SKIP), then a SUMMARY line. Exit code 0 iff no check failed.
Every check works below a fresh random root (/kz-<hex>) that is removed at
the end. Written against kazoo 2.8 (Debian bookworm); operations kazoo 2.8
lacks are sent through its protocol layer (see zkraw.py).

Environment:
  COMPAT_CHECK_TIMEOUT  seconds one check may take before the run aborts (30)
  COMPAT_REAP_TIMEOUT   seconds to wait for container/TTL reaping (15);
                        0 skips the reaping checks.
"""
import base64
import faulthandler
import hashlib
import logging
import os
import random
import re
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kazoo.client import KazooClient  # noqa: E402
from kazoo import exceptions as kexc  # noqa: E402
from kazoo.security import (  # noqa: E402
    ACL, Id, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_digest_acl)

import zkraw  # noqa: E402

CHECK_TIMEOUT = float(os.environ.get('COMPAT_CHECK_TIMEOUT', '30'))
REAP_TIMEOUT = float(os.environ.get('COMPAT_REAP_TIMEOUT', '15'))
QUIET = 0.4  # seconds we wait to be sure that an event does NOT arrive

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


class Skip(Exception):
    pass


# ------------------------------------------------------------ assertions
def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError('%s: expected %r, got %r' % (what, expected, actual))


def true(cond, what):
    if not cond:
        raise AssertionError(what)


def raises(exc_class, fn, what):
    try:
        result = fn()
    except exc_class:
        return
    except Exception as e:  # noqa: BLE001 - report the wrong class
        raise AssertionError('%s: expected %s, got %s(%s)'
                             % (what, exc_class.__name__, type(e).__name__, e))
    raise AssertionError('%s: expected %s, got result %r'
                         % (what, exc_class.__name__, result))


def digest_id(user, password):
    raw = hashlib.sha1(('%s:%s' % (user, password)).encode()).digest()
    return '%s:%s' % (user, base64.b64encode(raw).decode())


def wait_until(pred, timeout, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


# ------------------------------------------------------------ context
class Ctx(object):
    def __init__(self, hostport):
        self.hostport = hostport
        host, port = hostport.rsplit(':', 1)
        self.host, self.port = host, int(port)
        self.root = '/kz-%08x' % random.getrandbits(32)
        self.clients = []
        self.a = self.client()
        self.b = self.client()
        self.rec = zkraw.EventRecorder(self.a)

    def client(self, timeout=10.0, **kw):
        c = KazooClient(hosts=self.hostport, timeout=timeout, **kw)
        c.start(timeout=15)
        self.clients.append(c)
        return c

    def path(self, name):
        """A fresh node path for one check (parent created on demand)."""
        return '%s/%s' % (self.root, name)

    def raw(self, **kw):
        return zkraw.RawSession(self.host, self.port, **kw)

    def events(self, under):
        return self.rec.snapshot(under)

    def wait_events(self, under, count, timeout=5.0):
        self.rec.wait_for(lambda evs: len([e for e in evs if e[1] == under or
                                           e[1].startswith(under + '/')]) >= count,
                          timeout)
        return self.events(under)

    def close(self):
        for c in self.clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001
                pass


class Watcher(object):
    """A kazoo watch callback that records the events it receives."""

    def __init__(self):
        self.events = []

    def __call__(self, event):
        self.events.append((event.type, event.path))

    def wait(self, count=1, timeout=5.0):
        wait_until(lambda: len(self.events) >= count, timeout)
        return list(self.events)


# ====================================================== basic operations
@check
def server_answers_ruok(ctx):
    eq(zkraw.four_letter(ctx.host, ctx.port, 'ruok'), 'imok', 'ruok reply')


@check
def four_letter_words(ctx):
    fl = lambda w: zkraw.four_letter(ctx.host, ctx.port, w)  # noqa: E731
    srvr = fl('srvr').splitlines()
    true(srvr and srvr[0].startswith('Zookeeper version: '), 'srvr first line: %r' % srvr[:1])
    true('Mode: standalone' in srvr, 'srvr has Mode: standalone: %r' % srvr)
    true(any(re.match(r'^Zxid: 0x[0-9a-f]+$', l) for l in srvr), 'srvr has Zxid: 0x..')
    true(any(re.match(r'^Node count: \d+$', l) for l in srvr), 'srvr has Node count')
    eq(fl('isro'), 'rw', 'isro')
    true('zk_server_state\tstandalone' in fl('mntr').splitlines(), 'mntr zk_server_state')
    conf = fl('conf').splitlines()
    for line in ('tickTime=2000', 'minSessionTimeout=4000', 'maxSessionTimeout=40000'):
        true(line in conf, 'conf has %s: %r' % (line, conf))
    true(re.fullmatch(r'\d+ connections watching \d+ paths\nTotal watches:\d+\n', fl('wchs')),
         'wchs format')
    eq(fl('zzzz'), '', 'unknown word: connection closed without a reply')


@check
def session_established(ctx):
    sid, pwd = ctx.a.client_id
    true(sid != 0, 'session id must be non-zero')
    eq(len(pwd), 16, 'session password length')
    true(ctx.b.client_id[0] != sid, 'two clients must get distinct sessions')


@check
def create_root_for_run(ctx):
    eq(ctx.a.create(ctx.root, b'root'), ctx.root, 'created path')


@check
def create_persistent_and_stat(ctx):
    p = ctx.path('persist')
    path, st = ctx.a.create(p, b'hello', include_data=True)
    eq(path, p, 'create2 path')
    eq((st.version, st.cversion, st.aversion), (0, 0, 0), 'versions')
    eq(st.ephemeralOwner, 0, 'ephemeralOwner')
    eq(st.dataLength, 5, 'dataLength')
    eq(st.numChildren, 0, 'numChildren')
    true(st.czxid == st.mzxid == st.pzxid, 'czxid==mzxid==pzxid on create: %r' % (st,))
    eq(st.ctime, st.mtime, 'ctime==mtime on create')
    data, st2 = ctx.a.get(p)
    eq(data, b'hello', 'data')
    eq(st2, st, 'get stat equals create2 stat')
    eq(ctx.a.exists(p), st, 'exists stat equals create2 stat')
    eq(ctx.b.get(p)[0], b'hello', 'other session sees data')


@check
def create_empty_and_null_data(ctx):
    p = ctx.path('empty')
    ctx.a.create(p, b'')
    data, st = ctx.a.get(p)
    eq(data, b'', 'empty data')
    eq(st.dataLength, 0, 'dataLength')
    q = ctx.path('nulldata')
    ctx.a.create(q, None)
    data, st = ctx.a.get(q)
    true(data in (None, b''), 'null data reads back as null/empty, got %r' % (data,))
    eq(st.dataLength, 0, 'dataLength of null data')


@check
def create_binary_and_large_data(ctx):
    p = ctx.path('binary')
    blob = bytes(range(256)) * 4
    ctx.a.create(p, blob)
    eq(ctx.a.get(p)[0], blob, 'binary round trip')
    big = os.urandom(512 * 1024)
    ctx.a.set(p, big)
    data, st = ctx.a.get(p)
    eq(st.dataLength, len(big), 'dataLength of 512 KiB value')
    true(data == big, '512 KiB value round trip')


@check
def create_unicode_name(ctx):
    p = ctx.path('uni-\u00e9\u4e2d')
    ctx.a.create(p, 'd\u00e9j\u00e0'.encode('utf-8'))
    true('uni-\u00e9\u4e2d' in ctx.a.get_children(ctx.root), 'unicode child listed')
    eq(ctx.a.get(p)[0].decode('utf-8'), 'd\u00e9j\u00e0', 'utf-8 data')


@check
def create_existing_fails(ctx):
    p = ctx.path('persist')
    raises(kexc.NodeExistsError, lambda: ctx.a.create(p), 'create existing')
    raises(kexc.NodeExistsError, lambda: ctx.a.create('/'), 'create /')


@check
def create_without_parent_fails(ctx):
    raises(kexc.NoNodeError, lambda: ctx.a.create(ctx.path('nope/child')),
           'create under missing parent')
    ctx.a.create(ctx.path('mk/a/b'), b'x', makepath=True)
    eq(ctx.a.get(ctx.path('mk/a/b'))[0], b'x', 'makepath create')


@check
def invalid_paths_rejected(ctx):
    s = ctx.raw()
    try:
        for path, what in (('relative', 'relative path'),
                           (ctx.root + '/', 'trailing slash (parent exists)'),
                           (ctx.root + '/.', 'path ending in /.'),
                           (ctx.root + '/..', 'path ending in /..'),
                           (ctx.root + '/a\x00b', 'NUL in path'),
                           (ctx.root + '/\x01x', 'control character'),
                           (ctx.root + '/\ufffe', 'non-character U+FFFE')):
            raises(kexc.BadArgumentsError, lambda: s.create(path), what)
    finally:
        s.close_session()


@check
def reserved_nodes(ctx):
    kids = ctx.a.get_children('/')
    true('zookeeper' in kids, '/ lists zookeeper, got %r' % (kids,))
    eq(sorted(ctx.a.get_children('/zookeeper')), ['config', 'quota'], '/zookeeper children')
    raises(kexc.BadArgumentsError, lambda: ctx.a.delete('/'), 'delete /')
    raises(kexc.BadArgumentsError, lambda: ctx.a.delete('/zookeeper'), 'delete /zookeeper')
    raises(kexc.NoAuthError, lambda: ctx.a.set('/zookeeper/config', b'x'),
           'write /zookeeper/config (world:anyone:r)')


@check
def sequential_names(ctx):
    parent = ctx.path('seq')
    ctx.a.create(parent)
    names = [ctx.a.create(parent + '/job-', b'', sequence=True) for _ in range(3)]
    eq(names, [parent + '/job-%010d' % i for i in range(3)], 'first three sequential names')
    ctx.a.create(parent + '/plain')
    ctx.a.delete(parent + '/plain')
    # the suffix counts child creations only; the delete bumped cversion but not the counter
    eq(ctx.a.create(parent + '/job-', sequence=True), parent + '/job-0000000004',
       'sequential name after plain create+delete')
    eq(ctx.a.create(parent + '/', sequence=True), parent + '/0000000005',
       'sequential name with empty prefix')
    eq(ctx.a.exists(parent).cversion, 7, 'parent cversion counts creates and deletes')


@check
def ephemeral_nodes(ctx):
    p = ctx.path('eph')
    _, st = ctx.a.create(p, b'e', ephemeral=True, include_data=True)
    eq(st.ephemeralOwner, ctx.a.client_id[0], 'ephemeralOwner is the session id')
    eq(ctx.b.exists(p).ephemeralOwner, ctx.a.client_id[0], 'seen by other session')
    raises(kexc.NoChildrenForEphemeralsError, lambda: ctx.a.create(p + '/child'),
           'child of ephemeral')
    raises(kexc.NoChildrenForEphemeralsError,
           lambda: ctx.a.create(p + '/s-', sequence=True), 'sequential child of ephemeral')
    es = ctx.a.create(ctx.path('eseq-'), ephemeral=True, sequence=True)
    true(es.startswith(ctx.path('eseq-')) and len(es) == len(ctx.path('eseq-')) + 10
         and es[-10:].isdigit(), 'ephemeral sequential name %r' % es)
    eq(ctx.a.exists(es).ephemeralOwner, ctx.a.client_id[0], 'ephemeral sequential owner')


@check
def children_and_parent_stat(ctx):
    parent = ctx.path('kids')
    ctx.a.create(parent, b'p')
    before = ctx.a.exists(parent)
    czx = [ctx.a.create(parent + '/' + n, include_data=True)[1].czxid for n in ('a', 'b', 'c')]
    kids, st = ctx.a.get_children(parent, include_data=True)
    eq(sorted(kids), ['a', 'b', 'c'], 'children')
    eq((st.numChildren, st.cversion), (3, 3), 'numChildren, cversion after 3 creates')
    eq(st.pzxid, czx[-1], 'pzxid is last child czxid')
    eq((st.version, st.mzxid), (before.version, before.mzxid), 'data version untouched by children')
    ctx.a.delete(parent + '/b')
    st2 = ctx.a.exists(parent)
    eq((st2.numChildren, st2.cversion), (2, 4), 'numChildren, cversion after delete')
    true(st2.pzxid > st.pzxid, 'pzxid advances on child delete')
    eq(sorted(ctx.b.get_children(parent)), ['a', 'c'], 'children after delete')
    raises(kexc.NoNodeError, lambda: ctx.a.get_children(ctx.path('nokids')), 'children of missing')


@check
def set_data_and_versions(ctx):
    p = ctx.path('setme')
    _, st0 = ctx.a.create(p, b'one', include_data=True)
    st1 = ctx.a.set(p, b'second')
    eq(st1.version, 1, 'version after set')
    eq(st1.dataLength, 6, 'dataLength after set')
    eq(st1.czxid, st0.czxid, 'czxid unchanged')
    true(st1.mzxid > st0.mzxid, 'mzxid advances')
    true(st1.mtime >= st0.mtime and st1.ctime == st0.ctime, 'mtime/ctime')
    eq(st1.pzxid, st0.pzxid, 'pzxid unchanged by set')
    eq(ctx.a.set(p, b'3', version=1).version, 2, 'set with matching version')
    raises(kexc.BadVersionError, lambda: ctx.a.set(p, b'x', version=1), 'set with stale version')
    eq(ctx.a.set(p, b'4', version=-1).version, 3, 'set with version -1')
    eq(ctx.a.get(p), (b'4', ctx.a.exists(p)), 'get after sets')
    raises(kexc.NoNodeError, lambda: ctx.a.set(ctx.path('nosuch'), b'x'), 'set missing')


@check
def delete_and_versions(ctx):
    p = ctx.path('delme')
    ctx.a.create(p, b'x')
    ctx.a.set(p, b'y')
    raises(kexc.BadVersionError, lambda: ctx.a.delete(p, version=0), 'delete stale version')
    ctx.a.create(p + '/kid')
    raises(kexc.NotEmptyError, lambda: ctx.a.delete(p), 'delete non-empty')
    ctx.a.delete(p + '/kid')
    eq(ctx.a.delete(p, version=1), True, 'delete matching version')
    eq(ctx.a.exists(p), None, 'exists after delete')
    raises(kexc.NoNodeError, lambda: ctx.a.delete(p), 'delete missing')
    raises(kexc.NoNodeError, lambda: ctx.a.get(p), 'get missing')


@check
def sync_returns_path(ctx):
    eq(ctx.a.sync(ctx.root), ctx.root, 'sync result')
    eq(ctx.a.sync(ctx.path('not-there')), ctx.path('not-there'), 'sync on missing path')


# ================================================================ watches
@check
def data_watch_fires_once(ctx):
    p = ctx.path('w-data')
    ctx.a.create(p, b'0')
    w = Watcher()
    ctx.a.get(p, watch=w)
    ctx.b.set(p, b'1')
    ctx.b.set(p, b'2')
    w.wait(1)
    time.sleep(QUIET)
    eq(w.events, [('CHANGED', p)], 'one CHANGED event for two sets')


@check
def data_watch_on_delete(ctx):
    p = ctx.path('w-data-del')
    ctx.a.create(p)
    w = Watcher()
    ctx.a.get(p, watch=w)
    ctx.b.delete(p)
    eq(w.wait(1), [('DELETED', p)], 'DELETED event')


@check
def exists_watch_on_create(ctx):
    p = ctx.path('w-exists')
    w = Watcher()
    eq(ctx.a.exists(p, watch=w), None, 'exists on missing')
    ctx.b.create(p)
    ctx.b.set(p, b'x')
    w.wait(1)
    time.sleep(QUIET)
    eq(w.events, [('CREATED', p)], 'one CREATED event')
    w2 = Watcher()
    ctx.a.exists(p, watch=w2)
    ctx.b.set(p, b'y')
    eq(w2.wait(1), [('CHANGED', p)], 'exists watch on existing node sees CHANGED')


@check
def child_watch_fires_once(ctx):
    p = ctx.path('w-child')
    ctx.a.create(p)
    w = Watcher()
    ctx.a.get_children(p, watch=w)
    ctx.b.create(p + '/x')
    ctx.b.create(p + '/y')
    w.wait(1)
    time.sleep(QUIET)
    eq(w.events, [('CHILD', p)], 'one CHILD event for two creates')
    w2 = Watcher()
    ctx.a.get_children(p, watch=w2)
    ctx.b.delete(p + '/x')
    eq(w2.wait(1), [('CHILD', p)], 'CHILD event on child delete')


@check
def child_watch_ignores_data_changes(ctx):
    p = ctx.path('w-child-data')
    ctx.a.create(p)
    ctx.a.create(p + '/k')
    w = Watcher()
    ctx.a.get_children(p, watch=w)
    ctx.b.set(p, b'parent data')
    ctx.b.set(p + '/k', b'child data')
    time.sleep(QUIET)
    eq(w.events, [], 'no events for data changes')
    ctx.b.delete(p + '/k')
    ctx.b.delete(p)
    w.wait(1)
    time.sleep(QUIET)
    eq(w.events, [('CHILD', p)], 'child delete fires once')


@check
def child_watch_on_parent_delete(ctx):
    p = ctx.path('w-child-pdel')
    ctx.a.create(p)
    w = Watcher()
    ctx.a.get_children(p, watch=w)
    ctx.b.delete(p)
    eq(w.wait(1), [('DELETED', p)], 'child watch gets DELETED for its node')


@check
def data_watch_ignores_children(ctx):
    p = ctx.path('w-data-kids')
    ctx.a.create(p)
    w = Watcher()
    ctx.a.get(p, watch=w)
    ctx.b.create(p + '/k')
    time.sleep(QUIET)
    eq(w.events, [], 'no data event for child create')


@check
def watch_event_precedes_new_data(ctx):
    p = ctx.path('w-order')
    ctx.a.create(p, b'old')
    ctx.a.get(p, watch=Watcher())
    ctx.b.set(p, b'new')
    deadline = time.time() + 5
    while time.time() < deadline:
        if ctx.a.get(p)[0] == b'new':
            true(('NodeDataChanged', p) in ctx.events(p),
                 'saw new data before the watch event')
            return
    raise AssertionError('new data never visible')


@check
def persistent_watch(ctx):
    p = ctx.path('w-pers')
    ctx.a.create(p)
    zkraw.call(ctx.a, zkraw.AddWatch(p, zkraw.ADD_WATCH_PERSISTENT))
    b = ctx.b
    b.create(p + '/k')
    b.set(p + '/k', b'1')  # grandchild-level data: not reported
    b.set(p, b'2')
    b.set(p, b'3')
    b.delete(p + '/k')
    b.delete(p)
    b.create(p)
    expected = [('NodeChildrenChanged', p), ('NodeDataChanged', p), ('NodeDataChanged', p),
                ('NodeChildrenChanged', p), ('NodeDeleted', p), ('NodeCreated', p)]
    got = ctx.wait_events(p, len(expected))
    time.sleep(QUIET)
    eq(ctx.events(p), expected, 'persistent watch events')
    zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_ANY))
    b.set(p, b'after')
    time.sleep(QUIET)
    eq(len(ctx.events(p)), len(got), 'no events after removeWatches')


@check
def persistent_recursive_watch(ctx):
    p = ctx.path('w-rec')
    zkraw.call(ctx.a, zkraw.AddWatch(p, zkraw.ADD_WATCH_PERSISTENT_RECURSIVE))
    b = ctx.b
    b.create(p)
    b.create(p + '/k')
    b.create(p + '/k/g')
    b.set(p + '/k/g', b'1')
    b.delete(p + '/k/g')
    b.set(p, b'x')
    b.create(p + '-sibling')  # same string prefix, not a descendant
    expected = [('NodeCreated', p), ('NodeCreated', p + '/k'), ('NodeCreated', p + '/k/g'),
                ('NodeDataChanged', p + '/k/g'), ('NodeDeleted', p + '/k/g'),
                ('NodeDataChanged', p)]
    ctx.wait_events(p, len(expected))
    time.sleep(QUIET)
    eq(ctx.events(p), expected, 'recursive watch events (no NodeChildrenChanged)')
    eq(ctx.events(p + '-sibling'), [], 'sibling with same prefix not watched')
    zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_ANY))


@check
def persistent_and_one_shot_watch_deliver_once(ctx):
    p = ctx.path('w-both')
    ctx.a.create(p)
    zkraw.call(ctx.a, zkraw.AddWatch(p, zkraw.ADD_WATCH_PERSISTENT))
    ctx.a.get(p, watch=Watcher())
    ctx.b.set(p, b'x')
    ctx.wait_events(p, 1)
    time.sleep(QUIET)
    eq(ctx.events(p), [('NodeDataChanged', p)], 'one notification per client and change')
    zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_ANY))


@check
def set_watches_after_reconnect(ctx):
    base = ctx.path('setw')
    ctx.a.create(base)
    for n in ('changed', 'same', 'gone', 'kids'):
        ctx.a.create(base + '/' + n, b'0')
    seen = ctx.a.exists(base + '/kids').czxid  # the last zxid "our client" had seen
    # changes made while the client was disconnected
    ctx.b.set(base + '/changed', b'1')
    ctx.b.delete(base + '/gone')
    ctx.b.create(base + '/born')
    s = ctx.raw(timeout_ms=10000)
    try:
        err = s.set_watches(seen,
                            data=[base + '/changed', base + '/same', base + '/gone'],
                            exist=[base + '/born', base + '/unborn'],
                            child=[base + '/kids'])
        eq(err, 0, 'SetWatches error code')
        s.wait_events(3, 5.0)
        s.wait_events(4, QUIET)
        eq(sorted(s.events), sorted([('NodeDataChanged', base + '/changed'),
                                     ('NodeDeleted', base + '/gone'),
                                     ('NodeCreated', base + '/born')]),
           'events for changes missed while disconnected')
        ctx.b.set(base + '/same', b'1')
        ctx.b.create(base + '/kids/k')
        ctx.b.create(base + '/unborn')
        s.wait_events(6, 5.0)
        s.wait_events(7, QUIET)
        eq(sorted(s.events[3:]), sorted([('NodeDataChanged', base + '/same'),
                                         ('NodeChildrenChanged', base + '/kids'),
                                         ('NodeCreated', base + '/unborn')]),
           'watches re-registered by SetWatches fire later')
    finally:
        s.close_session()


@check
def set_watches2_restores_persistent_watches(ctx):
    base = ctx.path('setw2')
    ctx.a.create(base)
    seen = ctx.a.exists(base).czxid
    s = ctx.raw(timeout_ms=10000)
    try:
        eq(s.set_watches(seen, persistent=[base], recursive=[base + '/r']), 0,
           'SetWatches2 error code')
        ctx.b.create(base + '/r')
        ctx.b.create(base + '/r/deep')
        ctx.b.set(base, b'x')
        s.wait_events(4, 5.0)
        s.wait_events(5, QUIET)
        # (one create fires two watches here; their relative order is not checked)
        eq(sorted(s.events), sorted([('NodeChildrenChanged', base), ('NodeCreated', base + '/r'),
                                     ('NodeCreated', base + '/r/deep'), ('NodeDataChanged', base)]),
           'persistent + recursive watches after SetWatches2')
    finally:
        s.close_session()


@check
def remove_watches(ctx):
    p = ctx.path('w-remove')
    ctx.a.create(p)
    raises(zkraw.NoWatcherError,
           lambda: zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_DATA)),
           'remove when none registered')
    ctx.a.get(p, watch=Watcher())
    raises(zkraw.NoWatcherError,
           lambda: zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_CHILDREN)),
           'remove child watch when only a data watch exists')
    eq(zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_DATA)), True, 'remove data watch')
    ctx.a.get_children(p, watch=Watcher())
    ctx.a.get(p, watch=Watcher())
    eq(zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_ANY)), True, 'remove any')
    raises(zkraw.NoWatcherError,
           lambda: zkraw.call(ctx.a, zkraw.RemoveWatches(p, zkraw.WATCHER_ANY)),
           'remove any again')
    ctx.b.set(p, b'x')
    ctx.b.create(p + '/k')
    time.sleep(QUIET)
    eq(ctx.events(p), [], 'no events after removal')
    q = ctx.path('w-remove-missing')
    ctx.a.exists(q, watch=Watcher())
    eq(zkraw.call(ctx.a, zkraw.RemoveWatches(q, zkraw.WATCHER_DATA)), True,
       'exists watch on missing node is a data watch')


# =============================================================== sessions
@check
def negotiated_session_timeout(ctx):
    # min = 2*tickTime, max = 20*tickTime; both suites run with tickTime=2000
    for asked, expected in ((1, 4000), (10000, 10000), (100000, 40000)):
        s = ctx.raw(timeout_ms=asked)
        try:
            eq(s.timeout_ms, expected, 'negotiated timeout for %d ms' % asked)
            eq(len(s.passwd), 16, 'password length')
        finally:
            s.close_session()


@check
def ephemeral_removed_on_close(ctx):
    c = ctx.client()
    p = ctx.path('gone-on-close')
    c.create(p, ephemeral=True)
    w = Watcher()
    true(ctx.a.exists(p, watch=w) is not None, 'ephemeral visible to other session')
    c.stop()
    c.close()
    eq(w.wait(1), [('DELETED', p)], 'DELETED seen by other session')
    eq(ctx.a.exists(p), None, 'ephemeral gone')


@check
def ephemeral_removed_on_expiry(ctx):
    s = ctx.raw(timeout_ms=4000)
    p = ctx.path('gone-on-expiry')
    s.create(p, flags=zkraw.FLAG_EPHEMERAL)
    alive = ctx.raw(timeout_ms=4000)  # same timeout, but it keeps pinging
    q = ctx.path('kept-by-pings')
    alive.create(q, flags=zkraw.FLAG_EPHEMERAL)
    sid, pwd = s.session_id, s.passwd
    s.drop()  # no closeSession: only the session timeout can remove the node
    t0 = time.time()
    w = Watcher()
    time.sleep(1.0)
    true(ctx.a.exists(p, watch=w) is not None, 'ephemeral survives 1 s after disconnect')
    while not w.events and time.time() - t0 < 16.0:
        alive.ping()
        time.sleep(0.5)
    eq(w.events, [('DELETED', p)], 'DELETED after session expiry')
    elapsed = time.time() - t0
    true(elapsed >= 3.0, 'expired too early (%.1f s for a 4 s session)' % elapsed)
    true(ctx.a.exists(q) is not None, 'a pinging session with the same timeout survives')
    alive.close_session()
    again = ctx.raw(session_id=sid, passwd=pwd, timeout_ms=4000)
    try:
        eq(again.timeout_ms, 0, 'reconnect to expired session gets timeout 0')
    finally:
        again.drop()


@check
def session_reattach_keeps_ephemerals(ctx):
    s = ctx.raw(timeout_ms=10000)
    p = ctx.path('reattach')
    s.create(p, flags=zkraw.FLAG_EPHEMERAL)
    s.drop()
    s2 = ctx.raw(session_id=s.session_id, passwd=s.passwd, timeout_ms=10000)
    eq(s2.session_id, s.session_id, 'same session id on reattach')
    eq(s2.timeout_ms, 10000, 'negotiated timeout on reattach')
    eq(ctx.a.exists(p).ephemeralOwner, s.session_id, 'ephemeral still owned')
    s2.close_session()
    true(wait_until(lambda: ctx.a.exists(p) is None, 5), 'ephemeral removed on close')


@check
def session_takeover_closes_old_connection(ctx):
    s = ctx.raw(timeout_ms=10000)
    s2 = ctx.raw(session_id=s.session_id, passwd=s.passwd, timeout_ms=10000)
    try:
        raises(ConnectionError, lambda: s.request(zkraw.OP_EXISTS, b'\x00\x00\x00\x01/\x00'),
               'request on the superseded connection')
    finally:
        s.drop()
        s2.close_session()


@check
def session_wrong_password_rejected(ctx):
    s = ctx.raw(timeout_ms=6000)
    s.drop()
    bad = ctx.raw(session_id=s.session_id, passwd=b'\x01' * 16, timeout_ms=6000)
    eq(bad.timeout_ms, 0, 'timeout for wrong password')
    raises(ConnectionError, lambda: bad.request(zkraw.OP_EXISTS, b'\x00\x00\x00\x01/\x00'),
           'connection after wrong password')
    bad.drop()
    good = ctx.raw(session_id=s.session_id, passwd=s.passwd, timeout_ms=6000)
    eq(good.timeout_ms, 6000, 'session survives a wrong-password attempt')
    good.close_session()


@check
def closed_session_cannot_be_resumed(ctx):
    s = ctx.raw(timeout_ms=6000)
    sid, pwd = s.session_id, s.passwd
    s.close_session()
    again = ctx.raw(session_id=sid, passwd=pwd, timeout_ms=6000)
    try:
        eq(again.timeout_ms, 0, 'timeout for a closed session')
    finally:
        again.drop()


@check
def kazoo_session_expired_by_clone(ctx):
    states = []
    k = ctx.client(timeout=6.0)
    k.add_listener(states.append)
    p = ctx.path('clone-eph')
    k.create(p, ephemeral=True)
    session = k.client_id
    clone = KazooClient(hosts=ctx.hostport, client_id=session, timeout=6.0)
    clone.start(timeout=15)
    eq(clone.client_id[0], session[0], 'clone attached to same session')
    clone.stop()  # closes the shared session
    clone.close()
    true(wait_until(lambda: 'LOST' in states, 15), 'original client saw LOST, states=%r' % states)
    eq(ctx.a.exists(p), None, 'ephemeral gone with the session')
    raises(kexc.SessionExpiredError, lambda: k.get('/'), 'use after expiry')


# ================================================================== multi
@check
def multi_success(ctx):
    p = ctx.path('tx')
    ctx.a.create(p, b'0')
    t = ctx.a.transaction()
    t.create(p + '/a', b'1')
    t.set_data(p, b'new', version=0)
    t.check(p, 1)
    t.create(p + '/s-', b'', sequence=True)
    t.delete(p + '/a')
    res = t.commit()
    eq(len(res), 5, 'one result per op')
    eq(res[0], p + '/a', 'create result')
    eq((res[1].version, res[1].dataLength), (1, 3), 'setData result stat')
    eq(res[2:3] + res[4:], [True, True], 'check/delete results')
    eq(res[3], p + '/s-0000000001', 'sequential create inside multi')
    eq(sorted(ctx.a.get_children(p)), ['s-0000000001'], 'children after multi')
    eq(ctx.a.get(p)[0], b'new', 'data after multi')


@check
def multi_rollback(ctx):
    p = ctx.path('tx-fail')
    ctx.a.create(p, b'0')
    before = ctx.a.exists(p)
    w = Watcher()
    ctx.a.get_children(p, watch=w)
    t = ctx.a.transaction()
    t.create(p + '/a', b'1')
    t.set_data(p + '/missing', b'x')
    t.create(p + '/b')
    t.check(p, 0)
    res = t.commit()
    eq([type(r).__name__ for r in res],
       ['RolledBackError', 'NoNodeError', 'RuntimeInconsistency', 'RuntimeInconsistency'],
       'per-op results of a failed multi')
    eq(ctx.a.get_children(p), [], 'nothing created')
    eq(ctx.a.exists(p), before, 'parent stat unchanged')
    time.sleep(QUIET)
    eq(w.events, [], 'no watch fired by a failed multi')


@check
def multi_check_version_failure(ctx):
    p = ctx.path('tx-check')
    ctx.a.create(p, b'0')
    t = ctx.a.transaction()
    t.set_data(p, b'1')
    t.check(p, 5)
    t.delete(p)
    res = t.commit()
    eq([type(r).__name__ for r in res],
       ['RolledBackError', 'BadVersionError', 'RuntimeInconsistency'], 'results')
    eq(ctx.a.get(p)[0], b'0', 'set rolled back')


@check
def multi_empty(ctx):
    eq(ctx.a.transaction().commit(), [], 'empty multi')


@check
def multi_fires_watches(ctx):
    p = ctx.path('tx-watch')
    ctx.a.create(p, b'0')
    wd, wc = Watcher(), Watcher()
    ctx.a.get(p, watch=wd)
    ctx.a.get_children(p, watch=wc)
    t = ctx.b.transaction()
    t.set_data(p, b'1')
    t.create(p + '/k')
    t.commit()
    eq(wd.wait(1), [('CHANGED', p)], 'data watch via multi')
    eq(wc.wait(1), [('CHILD', p)], 'child watch via multi')


@check
def multi_read(ctx):
    p = ctx.path('mread')
    ctx.a.create(p, b'payload')
    ctx.a.create(p + '/k')
    res = zkraw.call(ctx.a, zkraw.MultiRead([('get_data', p), ('get_children', p),
                                             ('get_data', p + '/none'),
                                             ('get_children', p + '/none')]))
    eq(len(res), 4, 'results')
    eq(res[0], ctx.a.get(p), 'getData in multiRead')
    eq(res[1], ['k'], 'getChildren in multiRead')
    eq([type(r).__name__ for r in res[2:]], ['NoNodeError', 'NoNodeError'],
       'errors do not abort a multiRead')


# ==================================================================== ACL
@check
def digest_acl(ctx):
    p = ctx.path('acl-digest')
    ctx.a.add_auth('digest', 'alice:secret')
    ctx.a.create(p, b'sec', acl=[make_digest_acl('alice', 'secret', all=True)])
    acls, st = ctx.a.get_acls(p)
    eq([(a.perms, a.id.scheme, a.id.id) for a in acls],
       [(31, 'digest', digest_id('alice', 'secret'))], 'stored ACL')
    c = ctx.client()
    raises(kexc.NoAuthError, lambda: c.get(p), 'get without auth')
    raises(kexc.NoAuthError, lambda: c.set(p, b'x'), 'set without auth')
    raises(kexc.NoAuthError, lambda: c.get_children(p), 'getChildren without auth')
    raises(kexc.NoAuthError, lambda: c.get_acls(p), 'getACL without auth')
    raises(kexc.NoAuthError, lambda: c.create(p + '/k'), 'create child without auth')
    eq(c.exists(p), st, 'exists needs no permission')
    c.add_auth('digest', 'mallory:secret')
    raises(kexc.NoAuthError, lambda: c.get(p), 'get with wrong identity')
    c.add_auth('digest', 'alice:secret')
    eq(c.get(p)[0], b'sec', 'get after add_auth')


@check
def get_acl_redacts_digest_without_admin(ctx):
    p = ctx.path('acl-redact')
    ctx.a.add_auth('digest', 'alice:secret')
    ctx.a.create(p, b'x', acl=[make_digest_acl('alice', 'secret', read=True, write=True)])
    acls, _ = ctx.a.get_acls(p)
    eq([(a.perms, a.id.scheme, a.id.id) for a in acls], [(3, 'digest', 'alice:x')],
       'digest hash hidden from a caller without ADMIN')
    ctx.a.create(p + '-admin', b'x', acl=[make_digest_acl('alice', 'secret', read=True, admin=True)])
    acls, _ = ctx.a.get_acls(p + '-admin')
    eq([(a.perms, a.id.scheme, a.id.id) for a in acls],
       [(17, 'digest', digest_id('alice', 'secret'))], 'digest hash shown with ADMIN')


@check
def auth_scheme_acl(ctx):
    p = ctx.path('acl-auth')
    ctx.a.add_auth('digest', 'alice:secret')
    ctx.a.create(p, b'x', acl=[ACL(31, Id('auth', ''))])
    acls, _ = ctx.a.get_acls(p)
    eq([(a.perms, a.id.scheme, a.id.id) for a in acls],
       [(31, 'digest', digest_id('alice', 'secret'))], 'auth expanded to digest')
    raises(kexc.InvalidACLError,
           lambda: ctx.b.create(ctx.path('acl-auth-none'), acl=[ACL(31, Id('auth', ''))]),
           'auth ACL without credentials')


@check
def invalid_acls(ctx):
    raises(kexc.InvalidACLError,
           lambda: ctx.b.create(ctx.path('bad1'), acl=[ACL(31, Id('digest', 'nocolon'))]),
           'digest id without colon')
    raises(kexc.InvalidACLError,
           lambda: ctx.b.create(ctx.path('bad2'), acl=[ACL(31, Id('nosuch', 'x'))]),
           'unknown scheme')
    eq(ctx.b.exists(ctx.path('bad1')), None, 'nothing created')


@check
def acl_id_validation(ctx):
    # digest ids need exactly one ':' with a non-empty hash; ip ids are IPv4 (optionally /bits)
    cases = [('digest', ':', False), ('digest', 'alice:', False), ('digest', 'a:b:c', False),
             ('digest', ':hash', True), ('digest', 'alice:hash', True),
             ('ip', '1.2.3', False), ('ip', 'localhost', False), ('ip', '127.0.0.1/0', True),
             ('world', 'Anyone', False), ('world', 'anyone', True)]
    wrong = []
    for i, (scheme, ident, valid) in enumerate(cases):
        p = ctx.path('aclid%d' % i)
        try:
            ctx.b.create(p, acl=[ACL(31, Id(scheme, ident))])
            ctx.b.delete(p)  # allowed by the parent's ACL
            ok = True
        except kexc.InvalidACLError:
            ok = False
        if ok != valid:
            wrong.append('%s:%s %s' % (scheme, ident, 'accepted' if ok else 'rejected'))
    eq(wrong, [], 'ACL ids judged differently')


@check
def watch_event_needs_read(ctx):
    # A watcher without READ on the node loses its watch silently (ZooKeeper's fix for CVE-2024-23944).
    p = ctx.path('acl-watch')
    ctx.a.add_auth('digest', 'alice:secret')
    ctx.a.create(p, b'x', acl=[ACL(31, Id('digest', digest_id('alice', 'secret')))])
    seen = []
    ctx.b.exists(p, watch=seen.append)
    ctx.a.set(p, b'y')
    ctx.a.sync(p)
    time.sleep(0.3)
    eq(seen, [], 'no event for a session that cannot read the node')


@check
def world_read_only_acl(ctx):
    p = ctx.path('acl-ro')
    ctx.a.create(p, b'ro', acl=READ_ACL_UNSAFE)
    eq(ctx.b.get(p)[0], b'ro', 'read allowed')
    raises(kexc.NoAuthError, lambda: ctx.b.set(p, b'x'), 'write denied')
    raises(kexc.NoAuthError, lambda: ctx.b.create(p + '/k'), 'create child denied')
    raises(kexc.NoAuthError, lambda: ctx.b.set_acls(p, OPEN_ACL_UNSAFE), 'setACL denied')
    # delete is authorised by the parent's ACL, not the node's own
    eq(ctx.b.delete(p), True, 'delete allowed via parent')


@check
def ip_acl(ctx):
    ok, denied = ctx.path('acl-ip-ok'), ctx.path('acl-ip-no')
    ctx.a.create(ok, b'1', acl=[ACL(31, Id('ip', '127.0.0.1'))])
    ctx.a.create(denied, b'2', acl=[ACL(31, Id('ip', '10.0.0.0/8'))])
    try:
        eq(ctx.b.get(ok)[0], b'1', 'ip 127.0.0.1 matches loopback client')
        raises(kexc.NoAuthError, lambda: ctx.b.get(denied), '10.0.0.0/8 does not match')
    finally:
        ctx.a.delete(denied)


@check
def acl_versions(ctx):
    p = ctx.path('acl-ver')
    ctx.a.create(p)
    st = ctx.a.set_acls(p, READ_ACL_UNSAFE + [ACL(31, Id('ip', '127.0.0.1'))], version=0)
    eq(st.aversion, 1, 'aversion after setACL')
    eq(st.version, 0, 'data version untouched')
    raises(kexc.BadVersionError, lambda: ctx.a.set_acls(p, OPEN_ACL_UNSAFE, version=0),
           'setACL stale version')
    acls, st2 = ctx.a.get_acls(p)
    eq(sorted((a.perms, a.id.scheme, a.id.id) for a in acls),
       [(1, 'world', 'anyone'), (31, 'ip', '127.0.0.1')], 'ACL after setACL')
    eq(st2.aversion, 1, 'getACL stat')
    ctx.a.set_acls(p, OPEN_ACL_UNSAFE)


@check
def bad_auth_scheme_closes_session(ctx):
    states = []
    c = ctx.client(timeout=6.0)
    c.add_listener(states.append)
    raises(kexc.AuthFailedError, lambda: c.add_auth('nosuchscheme', 'x'), 'unknown auth scheme')
    true(wait_until(lambda: 'LOST' in states, 5), 'session lost after auth failure: %r' % states)


@check
def whoami(ctx):
    c = ctx.client()
    eq(zkraw.call(c, zkraw.WhoAmI()), [('ip', '127.0.0.1')], 'whoami before auth')
    c.add_auth('digest', 'alice:secret')
    eq(sorted(zkraw.call(c, zkraw.WhoAmI())), [('digest', 'alice'), ('ip', '127.0.0.1')],
       'whoami after digest auth')


# ======================================================= newer read ops
@check
def get_ephemerals(ctx):
    c = ctx.client()
    base = ctx.path('ephs')
    ctx.a.create(base)
    mine = [c.create(base + '/e1', ephemeral=True),
            c.create(base + '/s-', ephemeral=True, sequence=True)]
    ctx.a.create(base + '/sub')
    mine.append(c.create(base + '/sub/e2', ephemeral=True))
    ctx.b.create(base + '/theirs', ephemeral=True)
    eq(sorted(zkraw.call(c, zkraw.GetEphemerals(base))), sorted(mine), 'own ephemerals under prefix')
    eq(sorted(zkraw.call(c, zkraw.GetEphemerals('/'))), sorted(mine), 'own ephemerals under /')
    eq(zkraw.call(c, zkraw.GetEphemerals(base + '/su')), [base + '/sub/e2'],
       'prefix is a plain string prefix')
    eq(zkraw.call(c, zkraw.GetEphemerals(ctx.path('none'))), [], 'no match')


@check
def get_all_children_number(ctx):
    base = ctx.path('count')
    ctx.a.create(base + '/a/x', makepath=True)
    ctx.a.create(base + '/a/y')
    ctx.a.create(base + '/b')
    eq(zkraw.call(ctx.a, zkraw.GetAllChildrenNumber(base)), 4, 'descendants of base')
    eq(zkraw.call(ctx.a, zkraw.GetAllChildrenNumber(base + '/b')), 0, 'leaf')
    raises(kexc.NoNodeError,
           lambda: zkraw.call(ctx.a, zkraw.GetAllChildrenNumber(ctx.path('nothing'))), 'missing')


# ====================================================== container / TTL
@check
def container_and_ttl_create(ctx):
    c = ctx.path('cont')
    path, st = zkraw.call(ctx.a, zkraw.CreateContainer(c, b'c', OPEN_ACL_UNSAFE))
    eq(path, c, 'container path')
    eq(st.ephemeralOwner, 0, 'container ephemeralOwner as seen by clients')
    eq(ctx.a.get(c)[0], b'c', 'container data')
    t = ctx.path('ttl')
    path, st = zkraw.call(ctx.a, zkraw.CreateTTL(t, b't', OPEN_ACL_UNSAFE, zkraw.FLAG_TTL, 60000))
    eq(path, t, 'ttl path')
    eq(st.ephemeralOwner, 0, 'ttl ephemeralOwner as seen by clients')
    path, _ = zkraw.call(ctx.a, zkraw.CreateTTL(t + '-s-', b'', OPEN_ACL_UNSAFE,
                                                zkraw.FLAG_TTL_SEQUENTIAL, 60000))
    true(path.startswith(t + '-s-') and path[-10:].isdigit(), 'sequential ttl name %r' % path)
    for flags, ttl, what in ((zkraw.FLAG_TTL, 0, 'ttl 0'), (zkraw.FLAG_TTL, -5, 'negative ttl'),
                             (0, 1000, 'ttl op with persistent flag'),
                             (zkraw.FLAG_EPHEMERAL, 1000, 'ttl op with ephemeral flag')):
        raises(kexc.BadArgumentsError,
               lambda: zkraw.call(ctx.a, zkraw.CreateTTL(t + '-bad', b'', OPEN_ACL_UNSAFE, flags, ttl)),
               what)
    raises(kexc.BadArgumentsError,
           lambda: zkraw.call(ctx.a, zkraw.RawCreate(t + '-bad', b'', OPEN_ACL_UNSAFE, zkraw.FLAG_TTL)),
           'ttl flag on plain create')


@check
def container_and_ttl_reaping(ctx):
    if REAP_TIMEOUT <= 0:
        raise Skip('COMPAT_REAP_TIMEOUT=0')
    used, unused = ctx.path('reap-used'), ctx.path('reap-unused')
    zkraw.call(ctx.a, zkraw.CreateContainer(used, b'', OPEN_ACL_UNSAFE))
    zkraw.call(ctx.a, zkraw.CreateContainer(unused, b'', OPEN_ACL_UNSAFE))
    ctx.a.create(used + '/k')
    ctx.a.delete(used + '/k')
    ttl = ctx.path('reap-ttl')
    zkraw.call(ctx.a, zkraw.CreateTTL(ttl, b'', OPEN_ACL_UNSAFE, zkraw.FLAG_TTL, 500))
    keep = ctx.path('reap-ttl-parent')
    zkraw.call(ctx.a, zkraw.CreateTTL(keep, b'', OPEN_ACL_UNSAFE, zkraw.FLAG_TTL, 500))
    ctx.a.create(keep + '/child')
    true(wait_until(lambda: ctx.a.exists(used) is None and ctx.a.exists(ttl) is None,
                    REAP_TIMEOUT, 0.2),
         'emptied container and expired TTL node reaped within %.0f s (used=%r ttl=%r)'
         % (REAP_TIMEOUT, ctx.a.exists(used) is not None, ctx.a.exists(ttl) is not None))
    true(ctx.a.exists(unused) is not None, 'never-used container is kept')
    true(ctx.a.exists(keep) is not None, 'TTL node with children is kept')


# ================================================================== runner
def cleanup(ctx):
    c = ctx.client()
    c.add_auth('digest', 'alice:secret')
    if c.exists(ctx.root):
        c.delete(ctx.root, recursive=True)


def main(argv):
    if len(argv) < 2 or ':' not in argv[1]:
        print('usage: kazoo_suite.py HOST:PORT [NAME_SUBSTRING ...]')
        return 2
    logging.basicConfig(level=logging.CRITICAL)
    wanted = argv[2:]
    started = time.time()
    faulthandler.dump_traceback_later(CHECK_TIMEOUT, exit=True)
    try:
        ctx = Ctx(argv[1])
    except Exception as e:  # noqa: BLE001
        print('FAIL connect - %s: %s' % (type(e).__name__, e))
        print('SUMMARY kazoo_suite: 0 passed, 1 failed, 0 skipped in %.1fs (could not connect)'
              % (time.time() - started), flush=True)
        return 1
    passed, failed, skipped = 0, [], 0
    for fn in CHECKS:
        name = fn.__name__
        if wanted and name != 'create_root_for_run' and not any(w in name for w in wanted):
            continue
        faulthandler.dump_traceback_later(CHECK_TIMEOUT, exit=True)
        t0 = time.time()
        try:
            fn(ctx)
        except Skip as s:
            skipped += 1
            print('SKIP %s - %s' % (name, s), flush=True)
            continue
        except Exception as e:  # noqa: BLE001
            failed.append(name)
            print('FAIL %s - %s: %s' % (name, type(e).__name__, e), flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc(file=sys.stdout)
            continue
        passed += 1
        print('PASS %s (%.2fs)' % (name, time.time() - t0), flush=True)
    faulthandler.dump_traceback_later(CHECK_TIMEOUT, exit=True)
    try:
        cleanup(ctx)
    except Exception as e:  # noqa: BLE001
        print('WARN cleanup of %s failed: %r' % (ctx.root, e))
    ctx.close()
    faulthandler.cancel_dump_traceback_later()
    print('SUMMARY kazoo_suite: %d passed, %d failed, %d skipped in %.1fs%s'
          % (passed, len(failed), skipped, time.time() - started,
             (' (failed: %s)' % ', '.join(failed)) if failed else ''), flush=True)
    return 0 if not failed else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

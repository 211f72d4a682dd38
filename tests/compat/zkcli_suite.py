# Owns the zkCli.sh (Java CLI) compatibility suite: one CLI process fed a command script, outputs checked per command.
"""zkCli compatibility suite.

Usage: python3 zkcli_suite.py HOST:PORT      (any python3 >= 3.8; stdlib only)

Starts ONE `zkCli.sh -server HOST:PORT` process and feeds it all commands on
stdin. After every command the script sends a marker command
(`get /__zkcli_mark_<nonce>/<n>`) whose "Node does not exist" reply splits
the merged stdout+stderr into one segment per command. Asynchronous watch
notifications ("WatchedEvent ...") are pulled out of the segments and
checked separately. Prints one PASS/FAIL line per check and a SUMMARY line;
exit code 0 iff all checks passed.

Environment: ZKCLI (path of zkCli.sh, default /usr/share/zookeeper/bin/zkCli.sh),
COMPAT_PROCESS_TIMEOUT (seconds for the whole CLI run, default 90).
"""
import base64
import hashlib
import os
import random
import re
import subprocess
import sys
import time

ZKCLI = os.environ.get('ZKCLI', '/usr/share/zookeeper/bin/zkCli.sh')
TIMEOUT = float(os.environ.get('COMPAT_PROCESS_TIMEOUT', '90'))

STAT_FIELDS = ['cZxid', 'ctime', 'mZxid', 'mtime', 'pZxid', 'cversion', 'dataVersion',
               'aclVersion', 'ephemeralOwner', 'dataLength', 'numChildren']


def digest_id(user, password):
    raw = hashlib.sha1(('%s:%s' % (user, password)).encode()).digest()
    return '%s:%s' % (user, base64.b64encode(raw).decode())


def parse_stat(lines):
    """Return {field: value} for `name = value` stat lines."""
    out = {}
    for line in lines:
        m = re.match(r'^(\w+) = (.*)$', line)
        if m and m.group(1) in STAT_FIELDS:
            out[m.group(1)] = m.group(2)
    return out


class Script(object):
    def __init__(self, root):
        self.root = root
        self.steps = []  # (command, check or None, label)

    def add(self, command, check=None, label=None):
        self.steps.append((command, check, label or command))


# ------------------------------------------------------------- checkers
def exactly(*expected):
    def chk(lines):
        if lines != list(expected):
            raise AssertionError('expected %r, got %r' % (list(expected), lines))
    return chk


def matches(*patterns):
    """Each regex must match (fullmatch) one line, in order; nothing else."""
    def chk(lines):
        if len(lines) != len(patterns) or not all(
                re.fullmatch(p, l) for p, l in zip(patterns, lines)):
            raise AssertionError('expected lines matching %r, got %r' % (list(patterns), lines))
    return chk


def stat_check(prefix_lines=(), **want):
    """Optional literal lines before the stat, then a full stat block."""
    def chk(lines):
        n = len(prefix_lines)
        if lines[:n] != list(prefix_lines):
            raise AssertionError('expected leading %r, got %r' % (list(prefix_lines), lines[:n]))
        rest = lines[n:]
        names = [re.match(r'^(\w+) = ', l).group(1) if re.match(r'^(\w+) = ', l) else l for l in rest]
        if names != STAT_FIELDS:
            raise AssertionError('expected stat lines %r, got %r' % (STAT_FIELDS, rest))
        st = parse_stat(rest)
        for f in ('cZxid', 'mZxid', 'pZxid'):
            if not re.fullmatch(r'0x[0-9a-f]+', st[f]):
                raise AssertionError('%s not hex: %r' % (f, st[f]))
        for f in ('ctime', 'mtime'):
            if not re.fullmatch(r'\w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}', st[f]):
                raise AssertionError('%s not a date: %r' % (f, st[f]))
        for k, v in want.items():
            ok = re.fullmatch(v, st[k]) if isinstance(v, str) else st[k] == str(v)
            if not ok:
                raise AssertionError('%s: expected %r, got %r' % (k, v, st[k]))
    return chk


def build(root):
    s = Script(root)
    R = root
    alice = digest_id('alice', 'secret')
    s.add('ls /', lambda lines: _has_zookeeper(lines))
    s.add('create %s hello' % R, exactly('Created %s' % R))
    s.add('ls %s' % R, exactly('[]'))
    s.add('create %s/child data1' % R, exactly('Created %s/child' % R))
    s.add('ls %s' % R, exactly('[child]'))
    s.add('create -s %s/seq- x' % R, exactly('Created %s/seq-0000000001' % R))
    s.add('create -s %s/seq- x' % R, exactly('Created %s/seq-0000000002' % R))
    s.add('create -e %s/eph e' % R, exactly('Created %s/eph' % R))
    s.add('create -s -e %s/eseq- e' % R, matches(re.escape('Created %s/eseq-' % R) + r'\d{10}'))
    s.add('create -c %s/cont' % R, exactly('Created %s/cont' % R))
    s.add('create -t 600000 %s/ttl t' % R, exactly('Created %s/ttl' % R))
    s.add('create %s/child again' % R, exactly('Node already exists: %s/child' % R))
    s.add('create %s/none/x' % R, exactly('Node does not exist: %s/none/x' % R))
    s.add('create %s/eph/x' % R, matches(r'.*(Ephemerals cannot have children|NoChildrenForEphemerals).*'))
    s.add('get %s' % R, exactly('hello'))
    s.add('get -s %s' % R, stat_check(['hello'], dataLength=5, numChildren=7, cversion=7,
                                      dataVersion=0, aclVersion=0, ephemeralOwner='0x0'),
          'get -s (stat block)')
    s.add('stat %s/eph' % R, stat_check(ephemeralOwner=r'0x[0-9a-f]*[1-9a-f][0-9a-f]*',
                                        dataLength=1, numChildren=0),
          'stat of ephemeral (ephemeralOwner != 0)')
    s.add('stat %s/none' % R, exactly('Node does not exist: %s/none' % R))
    s.add('set %s newdata' % R, exactly())
    s.add('set -s %s abcde' % R, stat_check(dataVersion=2, dataLength=5))
    s.add('set -v 0 %s x' % R, exactly('version No is not valid : %s' % R))
    s.add('get %s' % R, exactly('abcde'))
    s.add('getEphemerals %s' % R, lambda lines: _ephemerals(lines, R))
    s.add('getAllChildrenNumber %s' % R, exactly('7'))
    s.add('ls -s %s' % R, lambda lines: (
        _sorted_list(lines[0], ['child', 'cont', 'eph', 'eseq-*', 'seq-0000000001',
                                'seq-0000000002', 'ttl']),
        stat_check(numChildren=7)(lines[1:])))
    s.add('ls -R %s/child' % R, exactly('%s/child' % R))
    # one-shot watches (events are checked after the run)
    s.add('get -w %s/child' % R, exactly('data1'))
    s.add('set %s/child data2' % R, exactly())
    s.add('ls -w %s' % R, lambda lines: None)
    s.add('create %s/w1 x' % R, exactly('Created %s/w1' % R))
    s.add('stat -w %s/w1' % R, stat_check(dataLength=1))
    s.add('delete %s/w1' % R, exactly())
    s.add('get -w %s/rw' % R, exactly('Node does not exist: %s/rw' % R))
    s.add('create %s/rw' % R, exactly('Created %s/rw' % R))
    s.add('get -w %s/rw' % R, exactly('null'))
    s.add('removewatches %s/rw -d' % R, exactly())
    s.add('set %s/rw y' % R, exactly())
    # persistent watches
    s.add('addWatch %s/aw' % R, exactly())
    s.add('create %s/aw' % R, exactly('Created %s/aw' % R))
    s.add('create %s/aw/k' % R, exactly('Created %s/aw/k' % R))
    s.add('addWatch -m PERSISTENT %s/pw' % R, exactly())
    s.add('create %s/pw' % R, exactly('Created %s/pw' % R))
    s.add('create %s/pw/k' % R, exactly('Created %s/pw/k' % R))
    s.add('set %s/pw/k z' % R, exactly())
    # delete
    s.add('delete %s' % R, exactly('Node not empty: %s' % R))
    s.add('delete -v 5 %s/child' % R, exactly('version No is not valid : %s/child' % R))
    s.add('delete %s/child' % R, exactly())
    s.add('delete %s/child' % R, exactly('Node does not exist: %s/child' % R))
    # auth and ACLs
    s.add('whoami', exactly('Auth scheme: User', 'ip: 127.0.0.1'))
    s.add('addauth digest alice:secret', exactly())
    s.add('whoami', lambda lines: _same_set(lines, ['Auth scheme: User', 'digest: alice',
                                                    'ip: 127.0.0.1']))
    s.add('create %s/acl x' % R, exactly('Created %s/acl' % R))
    s.add('getAcl %s/acl' % R, exactly("'world,'anyone", ': cdrwa'))
    s.add('setAcl %s/acl digest:%s:cdrwa' % (R, alice), exactly())
    s.add('getAcl %s/acl' % R, exactly("'digest,'%s" % alice, ': cdrwa'))
    s.add('setAcl -v 0 %s/acl world:anyone:cdrwa' % R,
          exactly('version No is not valid : %s/acl' % R))
    s.add('setAcl -s %s/acl auth::cdr' % R, stat_check(aclVersion=2))
    # without ADMIN permission on the node, getACL redacts digest hashes to 'x'
    s.add('getAcl -s %s/acl' % R, lambda lines: (
        exactly("'digest,'alice:x", ': cdr')(lines[:2]), stat_check(aclVersion=2)(lines[2:])))
    s.add('setAcl %s/acl world:anyone:cdrwa' % R,
          exactly('Insufficient permission : %s/acl' % R))
    s.add('create %s/ro x' % R, exactly('Created %s/ro' % R))
    s.add('setAcl %s/ro world:anyone:r' % R, exactly())
    s.add('set %s/ro y' % R, exactly('Insufficient permission : %s/ro' % R))
    s.add('getAcl %s/ro' % R, exactly("'world,'anyone", ': r'))
    s.add('getAcl /zookeeper/config', exactly("'world,'anyone", ': r'))
    s.add('sync %s' % R, exactly('Sync is OK'))
    s.add('deleteall %s' % R, exactly())
    s.add('ls %s' % R, exactly('Node does not exist: %s' % R))
    s.add('quit', None, 'quit')
    return s


def _has_zookeeper(lines):
    if len(lines) != 1 or not re.fullmatch(r'\[.*\]', lines[0]) or 'zookeeper' not in \
            [x.strip() for x in lines[0][1:-1].split(',')]:
        raise AssertionError('expected a [..] list containing zookeeper, got %r' % lines)


def _sorted_list(line, expected):
    if not re.fullmatch(r'\[.*\]', line):
        raise AssertionError('not a [..] list: %r' % line)
    got = sorted(x.strip() for x in line[1:-1].split(',') if x.strip())
    exp = sorted(expected)
    if len(got) != len(exp) or not all(
            re.fullmatch(re.escape(e).replace(r'\*', r'\d{10}'), g) for e, g in zip(exp, got)):
        raise AssertionError('expected %r, got %r' % (exp, got))


def _ephemerals(lines, R):
    if len(lines) != 1:
        raise AssertionError('expected one line, got %r' % lines)
    got = sorted(x.strip() for x in lines[0].strip('[]').split(','))
    if len(got) != 2 or got[0] != R + '/eph' or not re.fullmatch(re.escape(R) + r'/eseq-\d{10}', got[1]):
        raise AssertionError('expected [%s/eph, %s/eseq-NNNNNNNNNN], got %r' % (R, R, lines))


def _same_set(lines, expected):
    if sorted(lines) != sorted(expected):
        raise AssertionError('expected (any order) %r, got %r' % (expected, lines))


EVENT_RE = re.compile(r'^WatchedEvent state:(\S+) type:(\S+) path:(\S+)$')
NOISE_RE = re.compile(r'^(SLF4J: .*|WATCHER::|Connecting to .*|Welcome to ZooKeeper!|'
                      r'JLine support is (disabled|enabled)|)$')


def run(hostport):
    nonce = '%08x' % random.getrandbits(32)
    root = '/zkcli-%s' % nonce
    marker = '/__zkcli_mark_%s' % nonce
    script = build(root)
    stdin = ''
    for i, (cmd, _, _) in enumerate(script.steps):
        stdin += cmd + '\n'
        if cmd != 'quit':
            stdin += 'get %s/%d\n' % (marker, i)
    t0 = time.time()
    try:
        proc = subprocess.run([ZKCLI, '-waitforconnection', '-timeout', '10000', '-server', hostport],
                              input=stdin.encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=TIMEOUT)
        output = proc.stdout.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        output = (e.output or b'').decode('utf-8', 'replace')
        print('zkCli did not finish within %.0f s; partial output follows' % TIMEOUT)
    elapsed = time.time() - t0

    events, segments, current = [], {}, []
    mark_re = re.compile(r'^Node does not exist: %s/(\d+)$' % re.escape(marker))
    for line in output.splitlines():
        m = EVENT_RE.match(line)
        if m:
            events.append((m.group(2), m.group(3)))
            continue
        if NOISE_RE.match(line):
            continue
        m = mark_re.match(line)
        if m:
            segments[int(m.group(1))] = current
            current = []
            continue
        current.append(line)

    results = []
    for i, (cmd, chk, label) in enumerate(script.steps):
        if chk is None:
            continue
        if i not in segments:
            results.append((False, label, 'no output segment (CLI stopped early?)'))
            continue
        try:
            chk(segments[i])
            results.append((True, label, ''))
        except AssertionError as e:
            results.append((False, label, str(e)))

    R = root

    def expect_event(typ, path, count=1):
        n = events.count((typ, path))
        return (n == count, 'event %s %s x%d' % (typ, path, count),
                '' if n == count else 'seen %d times; all events: %r' % (n, events))

    results.append(expect_event('NodeDataChanged', R + '/child'))
    results.append(expect_event('NodeChildrenChanged', R))
    results.append(expect_event('NodeDeleted', R + '/w1'))
    # getData on a missing node leaves no watch behind
    results.append(expect_event('NodeCreated', R + '/rw', 0))
    results.append(expect_event('NodeDataChanged', R + '/rw', 0))
    results.append(expect_event('NodeCreated', R + '/aw'))
    results.append(expect_event('NodeCreated', R + '/aw/k'))
    results.append(expect_event('NodeCreated', R + '/pw'))
    # create of pw/k, then its removal by deleteall
    results.append(expect_event('NodeChildrenChanged', R + '/pw', 2))
    results.append(expect_event('NodeDataChanged', R + '/pw/k', 0))
    # persistent watches outlive the deleteall at the end
    results.append(expect_event('NodeDeleted', R + '/aw/k'))
    results.append(expect_event('NodeDeleted', R + '/pw'))

    failed = [r for r in results if not r[0]]
    for ok, label, detail in results:
        print('%s %s%s' % ('PASS' if ok else 'FAIL', label, '' if ok else ' - ' + detail))
    if failed:
        print('---- raw zkCli output ----')
        print(output)
        print('---- end of raw output ----')
    print('SUMMARY zkcli_suite: %d passed, %d failed in %.1fs (one zkCli process)'
          % (len(results) - len(failed), len(failed), elapsed))
    return 0 if not failed else 1


def main(argv):
    if len(argv) != 2 or ':' not in argv[1]:
        print('usage: zkcli_suite.py HOST:PORT')
        return 2
    return run(argv[1])


if __name__ == '__main__':
    sys.exit(main(sys.argv))

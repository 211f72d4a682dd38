# Owns the cli_mt (ZooKeeper C client CLI) compatibility suite: drives it interactively and checks each reply.
"""cli_mt compatibility suite.

Usage: python3 cli_mt_suite.py HOST:PORT      (any python3 >= 3.8; stdlib only)

Starts /usr/lib/zookeeper/bin/cli_mt (the C client's shell) once, waits for
its session, then sends one command at a time followed by a marker command
(`sync /__climt_mark_<nonce>/<n>`). The C shell runs most commands
asynchronously; its completions are printed by one thread in request order,
so the marker's reply closes the segment of output that belongs to the
command. Prints one PASS/FAIL line per command and a SUMMARY line; exit
code 0 iff all passed.

Facts about cli_mt 3.8 that the checks rely on: `create PATH` takes no data
(nodes get the data "new"); `create +e|+s|+c|+t=MS` pick the mode; results
print as "<path>: rc = <code>"; `exists` prints nothing on success; stats
print zxids in hex without 0x.

Environment: CLI_MT (default /usr/lib/zookeeper/bin/cli_mt),
COMPAT_STEP_TIMEOUT (seconds to wait for one command, default 15).
"""
import os
import random
import re
import select
import subprocess
import sys
import time

CLI_MT = os.environ.get('CLI_MT', '/usr/lib/zookeeper/bin/cli_mt')
STEP_TIMEOUT = float(os.environ.get('COMPAT_STEP_TIMEOUT', '15'))


class Shell(object):
    def __init__(self, hostport):
        self.proc = subprocess.Popen([CLI_MT, hostport], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.buffer = ''
        self.transcript = ''

    def _pump(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if r:
            data = self.proc.stdout.read()
            if data:
                text = data.decode('utf-8', 'replace')
                self.buffer += text
                self.transcript += text
                return True
            if data == b'':
                return False
        return True

    def read_until(self, pattern, timeout):
        """Consume output up to and including the first line matching pattern."""
        regex = re.compile(pattern, re.M)
        deadline = time.time() + timeout
        while True:
            m = regex.search(self.buffer)
            if m:
                end = self.buffer.find('\n', m.end())
                end = len(self.buffer) if end < 0 else end + 1
                chunk, self.buffer = self.buffer[:end], self.buffer[end:]
                return chunk
            left = deadline - time.time()
            if left <= 0 or not self._pump(min(left, 0.2)) and self.proc.poll() is not None:
                raise TimeoutError('no line matching %r within %.0fs; got %r'
                                   % (pattern, timeout, self.buffer))

    def send(self, line):
        self.transcript += '>>> %s\n' % line
        self.proc.stdin.write((line + '\n').encode())
        self.proc.stdin.flush()

    def close(self):
        try:
            self.send('quit')
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        try:
            self._pump(0.1)
        except ValueError:
            pass


# ------------------------------------------------------------- checkers
def lines_of(chunk):
    return [l for l in chunk.splitlines() if l.strip() and not l.startswith('time = ')]


def has(*patterns):
    """Every regex must match (search) some line of the segment."""
    def chk(lines):
        for p in patterns:
            if not any(re.search(p, l) for l in lines):
                raise AssertionError('no line matching %r in %r' % (p, lines))
    return chk


def has_not(*patterns):
    def chk(lines):
        for p in patterns:
            bad = [l for l in lines if re.search(p, l)]
            if bad:
                raise AssertionError('unexpected %r in %r' % (bad, lines))
    return chk


def both(*checks):
    def chk(lines):
        for c in checks:
            c(lines)
    return chk


def empty(lines):
    if lines:
        raise AssertionError('expected no output, got %r' % lines)


def rc(path, code):
    return r'^%s: rc = %d\b' % (re.escape(path), code)


def created(path, mode, name=None):
    return both(has(r'^Creating \[%s\] node \(mode: %d\)$' % (re.escape(path), mode),
                    r'^\[%s\]: rc = 0$' % re.escape(path),
                    r'^\tname = %s$' % (name or re.escape(path))))


def create_failed(path, code):
    return has(r'^\[%s\]: rc = %d$' % (re.escape(path), code))


def children(path, names):
    def chk(lines):
        has(rc(path, 0))(lines)
        got = sorted(l.strip() for l in lines if l.startswith('\t') and '=' not in l)
        pending = [re.escape(n).replace(r'\*', r'\d{10}') for n in names]
        for g in got:
            hit = [p for p in pending if re.fullmatch(p, g)]
            if not hit:
                raise AssertionError('children: unexpected %r (expected %r, got %r)' % (g, names, got))
            pending.remove(hit[0])
        if pending:
            raise AssertionError('children: missing %r (got %r)' % (pending, got))
    return chk


def stat_lines(version=None, ephemeral=None):
    pats = [r'^\tczxid=[0-9a-f]+$', r'^\tmzxid=[0-9a-f]+$', r'^\tephemeralOwner = [0-9a-f]+$',
            r'^\tversion=%s\taversion=[0-9a-f]+$' % (version if version is not None else r'\d+')]
    checks = [has(*pats)]
    if ephemeral is True:
        checks.append(has(r'^\tephemeralOwner = (?!0$)[0-9a-f]+$'))
    if ephemeral is False:
        checks.append(has(r'^\tephemeralOwner = 0$'))
    return both(*checks)


def build(R):
    s = []
    add = lambda cmd, chk, label=None: s.append((cmd, chk, label or cmd))  # noqa: E731
    add('create %s' % R, created(R, 0))
    add('create %s/a' % R, created(R + '/a', 0))
    add('get %s/a' % R, both(has(rc(R + '/a', 0), r'^ value_len = 3$', r'^new$'),
                              stat_lines(version=0, ephemeral=False)))
    add('set %s/a hello' % R, both(has(rc(R + '/a', 0)), stat_lines(version=1)))
    add('get %s/a' % R, both(has(r'^ value_len = 5$', r'^hello$'), stat_lines(version=1)))
    add('set %s/a world' % R, has(r'Watcher CHANGED_EVENT .*for path %s/a$' % re.escape(R),
                                   rc(R + '/a', 0)),
        'set fires the watch left by get')
    add('create +s %s/s-' % R, created(R + '/s-', 2, re.escape(R + '/s-') + '0000000001'))
    add('create +e %s/e' % R, created(R + '/e', 1))
    add('create +es %s/es-' % R, created(R + '/es-', 3, re.escape(R + '/es-') + r'\d{10}'))
    add('create +c %s/c' % R, created(R + '/c', 4))
    add('create +t=600000 %s/t' % R, created(R + '/t', 5))
    add('create2 +s %s/q' % R, both(created(R + '/q', 2, re.escape(R + '/q') + r'\d{10}'),
                                     stat_lines(version=0)))
    add('get %s/e' % R, stat_lines(ephemeral=True), 'get ephemeral (ephemeralOwner != 0)')
    add('create %s/a' % R, create_failed(R + '/a', -110))
    add('create %s/none/x' % R, create_failed(R + '/none/x', -101))
    add('create %s/e/x' % R, create_failed(R + '/e/x', -108))
    add('ls %s' % R, children(R, ['a', 's-0000000001', 'e', 'es-*', 'c', 't', 'q*']))
    add('ls2 %s' % R, both(has(rc(R, 0)), stat_lines(version=0)))
    add('exists %s/a' % R, empty)
    add('exists %s/none' % R, has(r'^Error -101 for %s/none$' % re.escape(R)))
    add('wexists %s/w' % R, has(r'^Error -101 for %s/w$' % re.escape(R)))
    add('create %s/w' % R, both(created(R + '/w', 0),
                                has(r'^Watcher CREATED_EVENT state = CONNECTED_STATE for path %s/w$'
                                    % re.escape(R))), 'create fires exists watch')
    add('get %s/none' % R, has(rc(R + '/none', -101)))
    add('ls %s/none' % R, has(rc(R + '/none', -101)))
    add('set %s/none x' % R, has(rc(R + '/none', -101)))
    add('delete %s' % R, has(rc(R, -111)))
    add('delete %s/none' % R, has(rc(R + '/none', -101)))
    add('set /zookeeper/config x', has(rc('/zookeeper/config', -102)))
    add('addauth digest alice:secret', empty)
    add('sync %s' % R, has(r'^\[%s\]: rc = 0$' % re.escape(R)))
    add('delete %s/w' % R, both(has(rc(R + '/w', 0))))
    add('delete %s/a' % R, has(r'Watcher DELETED_EVENT .*for path %s/a$' % re.escape(R),
                               rc(R + '/a', 0)), 'delete fires the watch left by get')
    add('get %s/a' % R, has(rc(R + '/a', -101)))
    return s


def cleanup_commands(R):
    return ['delete %s/%s' % (R, n) for n in ('s-0000000001', 'c', 't')]


def run(hostport):
    nonce = '%08x' % random.getrandbits(32)
    R = '/climt-%s' % nonce
    mark = '/__climt_mark_%s' % nonce
    shell = Shell(hostport)
    results = []
    t0 = time.time()
    try:
        try:
            shell.read_until(r'^Got a new session id|CONNECTED_STATE', STEP_TIMEOUT)
        except TimeoutError as e:
            results.append((False, 'connect', str(e)))
        steps = build(R) if not results else []
        for i, (cmd, chk, label) in enumerate(steps):
            shell.send(cmd)
            shell.send('sync %s/%d' % (mark, i))
            try:
                chunk = shell.read_until(r'^\[%s/%d\]: rc = ' % (re.escape(mark), i), STEP_TIMEOUT)
            except TimeoutError as e:
                results.append((False, label, str(e)))
                break
            # drop the marker's own reply lines
            lines = [l for l in lines_of(chunk) if mark not in l]
            try:
                chk(lines)
                results.append((True, label, ''))
            except AssertionError as e:
                results.append((False, label, str(e)))
        # ephemerals (e, es-) and the sequential q go away with the session or here
        for cmd in cleanup_commands(R):
            shell.send(cmd)
    finally:
        shell.close()
    elapsed = time.time() - t0
    # the root may still hold the session's ephemerals until the session closed;
    # remove what is left with a second, short shell session
    if results and results[0][1] != 'connect':
        leftovers(hostport, R)

    failed = [r for r in results if not r[0]]
    for ok, label, detail in results:
        print('%s %s%s' % ('PASS' if ok else 'FAIL', label, '' if ok else ' - ' + detail))
    if failed:
        print('---- cli_mt transcript ----')
        print(shell.transcript)
        print('---- end of transcript ----')
    print('SUMMARY cli_mt_suite: %d passed, %d failed in %.1fs'
          % (len(results) - len(failed), len(failed), elapsed))
    return 0 if results and not failed else 1


def leftovers(hostport, R):
    """Best effort: delete whatever of R survived (sequential q*, the root)."""
    shell = Shell(hostport)
    try:
        shell.read_until(r'^Got a new session id|CONNECTED_STATE', STEP_TIMEOUT)
        shell.send('ls %s' % R)
        chunk = shell.read_until(r'^%s: rc = ' % re.escape(R), STEP_TIMEOUT)
        time.sleep(0.2)
        shell._pump(0.2)
        chunk += shell.buffer
        kids = [l.strip() for l in chunk.splitlines() if l.startswith('\t')]
        for k in kids:
            shell.send('delete %s/%s' % (R, k))
            shell.read_until(r'^%s/%s: rc = ' % (re.escape(R), re.escape(k)), STEP_TIMEOUT)
        shell.send('delete %s' % R)
        shell.read_until(r'^%s: rc = ' % re.escape(R), STEP_TIMEOUT)
    except (TimeoutError, OSError):
        pass
    finally:
        shell.close()


def main(argv):
    if len(argv) != 2 or ':' not in argv[1]:
        print('usage: cli_mt_suite.py HOST:PORT')
        return 2
    return run(argv[1])


if __name__ == '__main__':
    sys.exit(main(sys.argv))

# Owns the manual runner: start a throw-away Apache ZooKeeper 3.8 (the oracle), run suites or a command against it, stop it.
"""Run the compat suites (or any command) against a temporary Apache ZooKeeper.

Usage:
  /usr/bin/python3 with_apache_zk.py                 # run all four suites, print timings
  /usr/bin/python3 with_apache_zk.py -- CMD ARGS...  # run CMD; '{hostport}' in ARGS is replaced

ZooKeeper is started the same way as the xunit fixture does it: standalone,
free loopback port, temp dataDir, 4lw whitelist '*', extendedTypesEnabled,
container/TTL reaping every second. Only the JVM started here is stopped
(by pid), and the temp dir is removed.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
JAR = '/usr/share/java/zookeeper.jar'
SUITES = ['kazoo_suite.py', 'zkcli_suite.py', 'cli_mt_suite.py', 'diff_ops.py']


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def four_letter(port, word):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=2) as s:
            s.sendall(word)
            out = b''
            while True:
                part = s.recv(4096)
                if not part:
                    return out
                out += part
    except OSError:
        return b''


def ready(port):
    # 'ruok' can answer imok a moment before sessions are accepted; 'srvr' only
    # reports a Mode once the server really serves requests
    return four_letter(port, b'ruok') == b'imok' and b'Mode: ' in four_letter(port, b'srvr')


def start_zk(tmp):
    port = free_port()
    conf, data = os.path.join(tmp, 'conf'), os.path.join(tmp, 'data')
    os.makedirs(conf)
    os.makedirs(data)
    cfg = os.path.join(conf, 'zoo.cfg')
    with open(cfg, 'w') as f:
        f.write('tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n'
                '4lw.commands.whitelist=*\nextendedTypesEnabled=true\nadmin.enableServer=false\n'
                % (data, port))
    log = open(os.path.join(tmp, 'zk.out'), 'w')
    proc = subprocess.Popen(['java', '-Xmx256m', '-XX:+UseSerialGC',
                             '-Dznode.container.checkIntervalMs=1000',
                             '-Dzookeeper.enforceQuota=true',
                             '-cp', '%s:%s' % (conf, JAR),
                             'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if ready(port):
            return proc, port
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError('ZooKeeper did not answer imok on port %d' % port)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def main(argv):
    tmp = tempfile.mkdtemp(prefix='apache-zk-')
    rc = 0
    try:
        proc, port = start_zk(tmp)
        hostport = '127.0.0.1:%d' % port
        print('Apache ZooKeeper pid %d on %s' % (proc.pid, hostport), flush=True)
        try:
            if '--' in argv:
                cmd = [a.replace('{hostport}', hostport) for a in argv[argv.index('--') + 1:]]
                rc = subprocess.call(cmd, timeout=600)
            else:
                for suite in SUITES:
                    t0 = time.time()
                    res = subprocess.run([sys.executable, '-B', os.path.join(HERE, suite), hostport],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         timeout=300)
                    out = res.stdout.decode('utf-8', 'replace')
                    last = [l for l in out.splitlines() if l.startswith('SUMMARY')]
                    print('%-16s exit %d in %5.1fs  %s' % (suite, res.returncode, time.time() - t0,
                                                          last[-1] if last else ''), flush=True)
                    if res.returncode != 0:
                        print(out)
                        rc = 1
        finally:
            stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == '__main__':
    sys.exit(main(sys.argv))

# Owns the kazoo side of the storage interchange tests: fills a real ZooKeeper with every kind of znode, and dumps a server's tree.
"""Usage:
  zk_driver.py populate PORT OUT.json   make znodes of every kind, dump them, exit WITHOUT closing the session
                                        (so its ephemerals stay in the server's files)
  zk_driver.py dump PORT OUT.json       dump every znode (path, data, ACL, Stat) as JSON

The dump is a list of {"path", "data" (hex, or null), "acl" [[perms, scheme, id]...], "stat" [czxid, mzxid,
ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid]}.
Containers and TTL nodes need opcodes kazoo 2.8 does not expose; they are sent through kazoo's request queue
as small hand-encoded requests (jute: big-endian ints, length-prefixed strings and buffers).
"""
import json
import os
import struct
import sys
from collections import namedtuple

from kazoo.client import KazooClient
from kazoo.protocol.serialization import read_string, write_buffer, write_string
from kazoo.security import OPEN_ACL_UNSAFE, make_acl, make_digest_acl

TIMEOUT_S = 15
SESSION_TIMEOUT_S = 30
CREATE_CONTAINER, CREATE_TTL = 19, 21
FLAG_CONTAINER, FLAG_TTL = 4, 5


def encode_acls(acls):
    out = bytearray(struct.pack('!i', len(acls)))
    for acl in acls:
        out += struct.pack('!i', acl.perms) + write_string(acl.id.scheme) + write_string(acl.id.id)
    return out


class CreateContainer(namedtuple('CreateContainer', 'path data acl')):
    type = CREATE_CONTAINER

    def serialize(self):
        return (bytearray(write_string(self.path)) + write_buffer(self.data)
                + encode_acls(self.acl) + struct.pack('!i', FLAG_CONTAINER))

    @classmethod
    def deserialize(cls, buf, off):
        return read_string(buf, off)[0]


class CreateTTL(namedtuple('CreateTTL', 'path data acl ttl')):
    type = CREATE_TTL

    def serialize(self):
        return (bytearray(write_string(self.path)) + write_buffer(self.data)
                + encode_acls(self.acl) + struct.pack('!iq', FLAG_TTL, self.ttl))

    @classmethod
    def deserialize(cls, buf, off):
        return read_string(buf, off)[0]


def call(zk, request):
    result = zk.handler.async_result()
    zk._call(request, result)
    return result.get(timeout=TIMEOUT_S)


def connect(port):
    zk = KazooClient(hosts='127.0.0.1:%s' % port, timeout=SESSION_TIMEOUT_S)
    zk.start(timeout=TIMEOUT_S)
    zk.add_auth('digest', 'alice:secret')
    return zk


def populate(zk, port):
    zk.create('/a', b'hello')
    zk.create('/a/b', b'')
    zk.create('/a/nulldata', None)
    zk.create('/acl', b'x', acl=[make_digest_acl('alice', 'secret', all=True),
                                 make_acl('world', 'anyone', read=True)])
    zk.create('/ip', b'y', acl=[make_acl('ip', '127.0.0.1', all=True)])
    zk.create('/seq/s-', b'1', sequence=True, makepath=True)  # first a NoNode error txn, then /seq
    zk.create('/seq/s-', b'2', sequence=True)
    zk.create('/seq/e-', b'3', sequence=True, ephemeral=True)
    zk.create('/eph', b'e', ephemeral=True)
    call(zk, CreateContainer('/cont', b'', OPEN_ACL_UNSAFE))
    zk.create('/cont/child', b'c')
    call(zk, CreateTTL('/ttl', b't', OPEN_ACL_UNSAFE, 3600 * 1000))
    zk.set('/a', b'world')
    zk.set_acls('/ip', OPEN_ACL_UNSAFE)
    zk.create('/del', b'd')
    zk.delete('/del')
    t = zk.transaction()
    t.create('/m1', b'm')
    t.set_data('/a', b'multi')
    t.check('/a/b', 0)
    t.commit()
    t = zk.transaction()
    t.create('/m2', b'm')
    t.delete('/nonexistent')
    t.commit()  # fails: logged as a multi whose second sub-txn is an error
    other = connect(port)
    other.create('/eph2', b'', ephemeral=True)
    other.stop()  # closeSession, deleting /eph2
    other.close()
    zk.create('/binary', bytes([0, 1, 2, 255, 254]))
    for i in range(30):  # enough txns for several snapshots with a small snapCount
        zk.create('/many/n%02d' % i, bytes([i]) * i, makepath=True)
    for i in range(0, 30, 3):
        zk.set('/many/n%02d' % i, b'changed')
    zk.delete('/many/n01')


def dump(zk):
    nodes = []
    pending = ['/']
    while pending:
        path = pending.pop()
        data, stat = zk.get(path)
        acls, _ = zk.get_acls(path)
        nodes.append({
            'path': path,
            'data': None if data is None else data.hex(),
            'acl': [[a.perms, a.id.scheme, a.id.id] for a in acls],
            'stat': [stat.czxid, stat.mzxid, stat.ctime, stat.mtime, stat.version, stat.cversion,
                     stat.aversion, stat.ephemeralOwner, stat.dataLength, stat.numChildren, stat.pzxid],
        })
        for child in zk.get_children(path):
            pending.append(('' if path == '/' else path) + '/' + child)
    nodes.sort(key=lambda n: n['path'])
    return nodes


def write_json(path, nodes):
    with open(path + '.tmp', 'w') as f:
        json.dump(nodes, f)
    os.replace(path + '.tmp', path)


def main():
    command, port, out = sys.argv[1], sys.argv[2], sys.argv[3]
    zk = connect(port)
    if command == 'populate':
        populate(zk, port)
        write_json(out, dump(zk))
        sys.stdout.flush()
        # Leave without closeSession: the session and its ephemerals must stay in the server's files.
        os._exit(0)
    elif command == 'dump':
        write_json(out, dump(zk))
        zk.stop()
        zk.close()
    else:
        raise SystemExit('unknown command ' + command)


if __name__ == '__main__':
    main()

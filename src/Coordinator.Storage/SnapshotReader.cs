// Reads a ZooKeeper snapshot file (plain or .gz) into a DataTree with its sessions, checking structure and checksums.
using System.IO.Compression;
using System.Text;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>The digest trailer of a 3.6+ snapshot: the tree digest ZooKeeper saw at <see cref="Zxid"/>.</summary>
public readonly record struct SnapshotDigest(long Zxid, int Version, long Digest);

/// <summary>A loaded snapshot. <see cref="Digest"/> is null for snapshots from before ZooKeeper 3.6.</summary>
public sealed record Snapshot(string File, long Zxid, DataTree Tree, SnapshotDigest? Digest);

public static class SnapshotReader
{
    /// <summary>Reads and validates a snapshot; throws <see cref="StorageException"/> naming file and offset when it is not sound.</summary>
    public static Snapshot Read(IStorageDevice device, string path)
    {
        if (!ZkFiles.TryParse(Path.GetFileName(path), ZkFiles.SnapshotPrefix, out long zxid))
            throw new StorageException("not a snapshot file name (snapshot.<hex zxid>)", path);
        using var stream = Open(device, path);
        return Read(stream, path, zxid);
    }

    /// <summary>
    /// Parses snapshot bytes received from a leader (ZAB's SNAP) as the snapshot at <paramref name="zxid"/>,
    /// checking them as <see cref="Read(IStorageDevice, string)"/> checks a file; <paramref name="label"/> names
    /// them in errors. Throws <see cref="StorageException"/> when they are not a sound uncompressed snapshot.
    /// </summary>
    public static Snapshot Parse(byte[] bytes, long zxid, string label)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, label, zxid);
    }

    private static Snapshot Read(Stream stream, string path, long zxid)
    {
        var input = default(SnapshotInput);
        try
        {
            input = new SnapshotInput(stream);
            var (tree, digest) = ReadBody(input);
            tree.RestoreLastProcessedZxid(zxid);
            return new Snapshot(path, zxid, tree, digest);
        }
        catch (SnapshotFormatException e)
        {
            throw new StorageException(e.Message, path, e.Offset, e);
        }
        catch (InvalidDataException e)
        {
            // A broken gzip stream.
            throw new StorageException(e.Message, path, input?.Position, e);
        }
    }

    /// <summary>
    /// The cheap check ZooKeeper makes before choosing a snapshot: an uncompressed snapshot ends with the seal's
    /// "/" string (length 1, then '/'). A full <see cref="Read(IStorageDevice, string)"/> still verifies everything.
    /// </summary>
    public static bool LooksComplete(IStorageDevice device, string path)
    {
        // Compressed snapshots end with the compressor's trailer; only a full read can judge them.
        if (path.EndsWith(".gz", StringComparison.Ordinal) || path.EndsWith(".snappy", StringComparison.Ordinal)) return true;
        long length = device.FileLength(path);
        if (length < 10) return false;
        using var stream = device.OpenRead(path);
        stream.Seek(length - 5, SeekOrigin.Begin);
        var tail = new byte[5];
        return stream.ReadAtLeast(tail, 5, throwOnEndOfStream: false) == 5
               && tail[0] == 0 && tail[1] == 0 && tail[2] == 0 && tail[3] == 1 && tail[4] == (byte)'/';
    }

    private static Stream Open(IStorageDevice device, string path)
    {
        var raw = device.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal)) return new GZipStream(raw, CompressionMode.Decompress);
        if (path.EndsWith(".snappy", StringComparison.Ordinal))
        {
            raw.Dispose();
            throw new StorageException("snappy-compressed snapshots are not supported; restart ZooKeeper with zookeeper.snapshot.compression.method=none or gz and let it write a new snapshot", path);
        }
        return raw;
    }

    private static (DataTree, SnapshotDigest?) ReadBody(SnapshotInput input)
    {
        int magic = input.ReadInt();
        if (magic != SnapshotFormat.Magic) throw new SnapshotFormatException($"not a snapshot: magic 0x{magic:x8}, expected 0x{SnapshotFormat.Magic:x8} (\"ZKSN\")", 0);
        int version = input.ReadInt();
        if (version != SnapshotFormat.Version) throw new SnapshotFormatException($"snapshot format version {version} is not supported (only {SnapshotFormat.Version})", 4);
        input.ReadLong(); // dbid: ZooKeeper writes -1 and never checks it

        var tree = new DataTree();
        int sessions = input.ReadCount("session");
        for (int i = 0; i < sessions; i++) tree.RestoreSession(input.ReadLong(), input.ReadInt());

        var acls = ReadAclCache(input);
        ReadNodes(input, tree, acls);
        CheckSeal(input);

        if (input.AtEnd()) return (tree, null); // written by ZooKeeper before 3.6, or with digests disabled
        var digest = new SnapshotDigest(input.ReadLong(), input.ReadInt(), input.ReadLong());
        CheckSeal(input);
        // Anything after this belongs to newer ZooKeeper versions (3.9 can add the last processed zxid); it is not needed.
        return (tree, digest);
    }

    private static Dictionary<long, IReadOnlyList<Acl>> ReadAclCache(SnapshotInput input)
    {
        var acls = new Dictionary<long, IReadOnlyList<Acl>> { [SnapshotFormat.OpenAclUnsafeId] = Acl.OpenAclUnsafe };
        int count = input.ReadCount("ACL cache entry");
        for (int i = 0; i < count; i++)
        {
            long at = input.Position;
            long id = input.ReadLong();
            int entries = input.ReadCount("ACL");
            var list = new List<Acl>();
            for (int j = 0; j < entries; j++) list.Add(input.ReadAcl());
            if (!acls.TryAdd(id, list)) throw new SnapshotFormatException($"ACL id {id} appears twice in the ACL cache", at);
        }
        return acls;
    }

    private static void ReadNodes(SnapshotInput input, DataTree tree, Dictionary<long, IReadOnlyList<Acl>> acls)
    {
        var restorer = new TreeRestorer(tree);
        var pathBytes = new byte[256];
        while (true)
        {
            long at = input.Position;
            var path = pathBytes.AsSpan(0, input.ReadStringBytes(ref pathBytes));
            if (path.SequenceEqual("/"u8)) return; // SnapshotFormat.EndMarker
            if (path.Length > 0 && path[0] != '/') throw new SnapshotFormatException($"node path \"{Encoding.UTF8.GetString(path)}\" does not start with /", at);
            var data = input.ReadBuffer();
            long aclId = input.ReadLong();
            if (!acls.TryGetValue(aclId, out var acl)) throw new SnapshotFormatException($"node {Encoding.UTF8.GetString(path)} refers to ACL id {aclId}, which is not in the ACL cache", at);
            long czxid = input.ReadLong(), mzxid = input.ReadLong(), ctime = input.ReadLong(), mtime = input.ReadLong();
            int version = input.ReadInt(), cversion = input.ReadInt(), aversion = input.ReadInt();
            long owner = input.ReadLong(), pzxid = input.ReadLong();
            var node = new DataNode(data, acl, czxid, ctime, owner)
            {
                Mzxid = mzxid,
                Mtime = mtime,
                Version = version,
                Cversion = cversion,
                Aversion = aversion,
                Pzxid = pzxid,
            };
            try
            {
                restorer.Restore(path, node);
            }
            catch (ArgumentException e)
            {
                throw new SnapshotFormatException(e.Message, at);
            }
        }
    }

    private static void CheckSeal(SnapshotInput input)
    {
        long at = input.Position;
        long expected = input.Checksum;
        long stored = input.ReadLong();
        if (stored != expected) throw new SnapshotFormatException($"checksum mismatch (stored 0x{stored:x}, computed 0x{expected:x})", at);
        string marker = input.ReadString();
        if (marker != SnapshotFormat.EndMarker) throw new SnapshotFormatException($"seal ends with \"{marker}\" instead of \"/\"", at + 8);
    }
}

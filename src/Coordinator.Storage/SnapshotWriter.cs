// Writes a DataTree and its sessions as a ZooKeeper snapshot file, crash-safely (temp file, fsync, rename).
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>
/// The layout, as ZooKeeper 3.6+ writes it: header (magic "ZKSN", version 2, dbid -1); the sessions (count,
/// then id and timeout each); the ACL cache (count, then a long id and an ACL vector each; the id -1 stands for
/// OPEN_ACL_UNSAFE and is never in the cache); every znode in pre-order, parents first, as its path (the root
/// as ""), data buffer, ACL id and StatPersisted (czxid, mzxid, ctime, mtime, version, cversion, aversion,
/// ephemeralOwner, pzxid), ended by the path "/"; a seal (Adler-32 of all bytes so far, then the string "/");
/// the digest trailer (zxid, digest version, tree digest); and a second seal over everything before it.
/// </summary>
public static class SnapshotFormat
{
    public const int Magic = 0x5A4B534E; // "ZKSN"
    public const int Version = 2;

    /// <summary>ZooKeeper writes -1 as the dbid of snapshots (and 0 in logs).</summary>
    public const long DbId = -1;

    /// <summary>The ACL id ZooKeeper reserves for OPEN_ACL_UNSAFE.</summary>
    public const long OpenAclUnsafeId = -1;

    /// <summary>The path that ends the node list, and the string after each checksum.</summary>
    public const string EndMarker = "/";
}

public static class SnapshotWriter
{
    /// <summary>
    /// Writes snapshot.&lt;hex zxid&gt; of <paramref name="tree"/> into <paramref name="folder"/> (dataDir/version-2)
    /// and returns its path. The caller owns the tree: it must not change while this runs.
    /// </summary>
    public static string Write(IStorageDevice device, string folder, DataTree tree, long zxid) =>
        Write(device, folder, SnapshotImage.Capture(tree, zxid));

    /// <summary>
    /// Writes snapshot.&lt;hex zxid&gt; of a captured image; safe on any thread, since the image is a copy. Nodes
    /// are written in the image's pre-order (parents before children, siblings in the tree's order, as ZooKeeper
    /// writes them too).
    /// </summary>
    public static string Write(IStorageDevice device, string folder, SnapshotImage image) =>
        WriteFile(device, folder, image.Zxid, output =>
            WriteBody(output, image.Zxid, image.Sessions, AssignAclIds(image.Nodes), [image.Memory]));

    /// <summary>
    /// Writes snapshot.&lt;hex zxid&gt; of a capture as the tree's owner pumps it through <paramref name="pipe"/>;
    /// runs on the writer's own thread. Cancelled or abandoned, it throws <see cref="OperationCanceledException"/>
    /// and leaves no file behind.
    /// </summary>
    public static string Write(IStorageDevice device, string folder, CapturePipe pipe, CancellationToken cancellation)
    {
        var capture = pipe.Capture;
        return WriteFile(device, folder, capture.Zxid, output =>
            WriteBody(output, capture.Zxid, capture.Sessions, AssignAclIds(capture.AclLists), pipe.Chunks(cancellation)));
    }

    private static string WriteFile(IStorageDevice device, string folder, long zxid, Action<SnapshotOutput> write)
    {
        if (!device.DirectoryExists(folder)) device.CreateDirectory(folder);
        string temp = Path.Combine(folder, ZkFiles.TempSnapshotName(zxid));
        string final = Path.Combine(folder, ZkFiles.SnapshotName(zxid));
        try
        {
            using var output = new SnapshotOutput(device.Create(temp));
            write(output);
            output.Sync();
        }
        catch
        {
            try { device.Delete(temp); } catch (IOException) { } // nothing reads temp files; this only tidies up
            throw;
        }
        // Only a complete, synced snapshot gets a name ZooKeeper (and Recovery) will look at.
        device.Move(temp, final);
        device.SyncDirectory(folder);
        return final;
    }

    /// <summary>
    /// The bytes a snapshot file of <paramref name="tree"/> at its last processed zxid holds, for sending to a
    /// learner (ZAB's SNAP); the caller owns the tree. Limited to what one array holds (about 2 GB).
    /// </summary>
    public static byte[] Serialize(DataTree tree) => Serialize(SnapshotImage.Capture(tree, tree.LastProcessedZxid));

    /// <summary>The bytes <see cref="Write(IStorageDevice, string, SnapshotImage)"/> would put in the file.</summary>
    public static byte[] Serialize(SnapshotImage image)
    {
        var file = new MemoryFile();
        using (var output = new SnapshotOutput(file))
        {
            WriteBody(output, image.Zxid, image.Sessions, AssignAclIds(image.Nodes), [image.Memory]);
            output.Sync();
        }
        return file.ToArray();
    }

    private static void WriteBody(SnapshotOutput output, long zxid, IReadOnlyList<KeyValuePair<long, int>> sessions,
        Dictionary<IReadOnlyList<Acl>, long> aclIds, IEnumerable<ReadOnlyMemory<NodeImage>> chunks)
    {
        WriteHeaderAndSessions(output, sessions);
        WriteAclCache(output, aclIds);
        // Paths are rebuilt from the names, and the digest summed from the bytes being written, in one pass.
        var paths = new SnapshotPaths();
        long digest = 0;
        foreach (var chunk in chunks)
        {
            foreach (ref readonly var node in chunk.Span)
            {
                var path = paths.Next(node);
                WriteNode(output, path, node, aclIds);
                digest = unchecked(digest + TreeDigest.OfNodeUtf8(path, node.Data, node.Stat));
            }
        }
        output.WriteString(SnapshotFormat.EndMarker);
        Seal(output);
        output.WriteLong(zxid);
        output.WriteInt(TreeDigest.Version);
        // Before any txn ZooKeeper writes an empty digest (zxid 0, digest 0) and ignores it on load; doing
        // the same keeps a fresh tree's snapshot.0 byte-identical to ZooKeeper's.
        output.WriteLong(zxid > 0 ? digest : 0);
        Seal(output);
    }

    private static void WriteHeaderAndSessions(SnapshotOutput output, IReadOnlyList<KeyValuePair<long, int>> sessions)
    {
        output.WriteInt(SnapshotFormat.Magic);
        output.WriteInt(SnapshotFormat.Version);
        output.WriteLong(SnapshotFormat.DbId);
        output.WriteInt(sessions.Count);
        foreach (var (id, timeout) in sessions.OrderBy(s => s.Key))
        {
            output.WriteLong(id);
            output.WriteInt(timeout);
        }
    }

    private static void WriteAclCache(SnapshotOutput output, Dictionary<IReadOnlyList<Acl>, long> aclIds)
    {
        var cached = aclIds.Where(e => e.Value != SnapshotFormat.OpenAclUnsafeId).OrderBy(e => e.Value).ToList();
        output.WriteInt(cached.Count);
        foreach (var (acl, id) in cached)
        {
            output.WriteLong(id);
            output.WriteInt(acl.Count);
            foreach (var entry in acl) output.WriteAcl(entry);
        }
    }

    private static void WriteNode(SnapshotOutput output, ReadOnlySpan<byte> utf8Path, in NodeImage node, Dictionary<IReadOnlyList<Acl>, long> aclIds)
    {
        output.WriteStringBytes(utf8Path);
        output.WriteBuffer(node.Data);
        output.WriteLong(aclIds[node.Acl]);
        var stat = node.Stat;
        output.WriteLong(stat.Czxid);
        output.WriteLong(stat.Mzxid);
        output.WriteLong(stat.Ctime);
        output.WriteLong(stat.Mtime);
        output.WriteInt(stat.Version);
        output.WriteInt(stat.Cversion);
        output.WriteInt(stat.Aversion);
        output.WriteLong(stat.EphemeralOwner);
        output.WriteLong(stat.Pzxid);
    }

    private static void Seal(SnapshotOutput output)
    {
        output.WriteLong(output.Checksum);
        output.WriteString(SnapshotFormat.EndMarker);
    }

    /// <summary>Ids 1, 2, ... in order of first use (pre-order); OPEN_ACL_UNSAFE gets ZooKeeper's reserved -1.</summary>
    private static Dictionary<IReadOnlyList<Acl>, long> AssignAclIds(ReadOnlySpan<NodeImage> nodes)
    {
        var ids = NewAclIds();
        long next = 1;
        foreach (ref readonly var node in nodes)
            if (ids.TryAdd(node.Acl, next)) next++;
        return ids;
    }

    /// <summary>Ids 1, 2, ... for every list a capture's nodes can have, in the order the tree first saw them.</summary>
    private static Dictionary<IReadOnlyList<Acl>, long> AssignAclIds(IReadOnlyList<IReadOnlyList<Acl>> lists)
    {
        var ids = NewAclIds();
        long next = 1;
        foreach (var list in lists)
            if (ids.TryAdd(list, next)) next++;
        return ids;
    }

    private static Dictionary<IReadOnlyList<Acl>, long> NewAclIds() =>
        new(AclListComparer.Instance) { [Acl.OpenAclUnsafe] = SnapshotFormat.OpenAclUnsafeId };
}

/// <summary>An in-memory <see cref="IDeviceFile"/> for <see cref="SnapshotWriter.Serialize(SnapshotImage)"/>: sequential writes into a growing buffer.</summary>
internal sealed class MemoryFile : IDeviceFile
{
    private readonly MemoryStream _stream = new();

    public long Length => _stream.Length;

    public void Write(long offset, ReadOnlySpan<byte> bytes)
    {
        _stream.Position = offset;
        _stream.Write(bytes);
    }

    public void SetLength(long length) => _stream.SetLength(length);

    public void Sync()
    {
    }

    public byte[] ToArray() => _stream.ToArray();

    public void Dispose()
    {
    }
}

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
    /// Writes snapshot.&lt;hex zxid&gt; into <paramref name="folder"/> (dataDir/version-2) and returns its path.
    /// The tree must not change while this runs: the caller owns it (one writer). Children are written in
    /// ordinal order so the same tree always gives the same bytes.
    /// </summary>
    public static string Write(IStorageDevice device, string folder, DataTree tree, long zxid)
    {
        if (!device.DirectoryExists(folder)) device.CreateDirectory(folder);
        string temp = Path.Combine(folder, ZkFiles.TempSnapshotName(zxid));
        string final = Path.Combine(folder, ZkFiles.SnapshotName(zxid));
        var paths = PreOrder(tree);
        var aclIds = AssignAclIds(tree, paths);
        using (var output = new SnapshotOutput(device.Create(temp)))
        {
            WriteHeaderAndSessions(output, tree);
            WriteAclCache(output, aclIds);
            foreach (string path in paths) WriteNode(output, path, tree.GetNode(path)!, aclIds);
            output.WriteString(SnapshotFormat.EndMarker);
            Seal(output);
            output.WriteLong(zxid);
            output.WriteInt(TreeDigest.Version);
            // Before any txn ZooKeeper writes an empty digest (zxid 0, digest 0) and ignores it on load; doing
            // the same keeps a fresh tree's snapshot.0 byte-identical to ZooKeeper's.
            output.WriteLong(zxid > 0 ? TreeDigest.Of(tree) : 0);
            Seal(output);
            output.Sync();
        }
        // Only a complete, synced snapshot gets a name ZooKeeper (and Recovery) will look at.
        device.Move(temp, final);
        device.SyncDirectory(folder);
        return final;
    }

    private static void WriteHeaderAndSessions(SnapshotOutput output, DataTree tree)
    {
        output.WriteInt(SnapshotFormat.Magic);
        output.WriteInt(SnapshotFormat.Version);
        output.WriteLong(SnapshotFormat.DbId);
        output.WriteInt(tree.Sessions.Count);
        foreach (var (id, timeout) in tree.Sessions.OrderBy(s => s.Key))
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

    private static void WriteNode(SnapshotOutput output, string path, DataNode node, Dictionary<IReadOnlyList<Acl>, long> aclIds)
    {
        output.WriteString(path == "/" ? "" : path);
        output.WriteBuffer(node.Data);
        output.WriteLong(aclIds[node.Acl]);
        output.WriteLong(node.Czxid);
        output.WriteLong(node.Mzxid);
        output.WriteLong(node.Ctime);
        output.WriteLong(node.Mtime);
        output.WriteInt(node.Version);
        output.WriteInt(node.Cversion);
        output.WriteInt(node.Aversion);
        output.WriteLong(node.EphemeralOwner);
        output.WriteLong(node.Pzxid);
    }

    private static void Seal(SnapshotOutput output)
    {
        output.WriteLong(output.Checksum);
        output.WriteString(SnapshotFormat.EndMarker);
    }

    /// <summary>Every path, parents before children, siblings in ordinal order; iterative so depth cannot overflow the stack.</summary>
    internal static List<string> PreOrder(DataTree tree)
    {
        var order = new List<string>(tree.NodeCount);
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            order.Add(path);
            var node = tree.GetNode(path) ?? throw new InvalidOperationException($"child {path} is listed but missing");
            // Pushed in reverse so they pop in ordinal order.
            foreach (string child in node.Children.Order(StringComparer.Ordinal).Reverse())
                pending.Push(path == "/" ? "/" + child : path + "/" + child);
        }
        return order;
    }

    /// <summary>Ids 1, 2, ... in order of first use; OPEN_ACL_UNSAFE gets ZooKeeper's reserved -1.</summary>
    private static Dictionary<IReadOnlyList<Acl>, long> AssignAclIds(DataTree tree, List<string> paths)
    {
        var ids = new Dictionary<IReadOnlyList<Acl>, long>(AclListComparer.Instance)
        {
            [Acl.OpenAclUnsafe] = SnapshotFormat.OpenAclUnsafeId,
        };
        long next = 1;
        foreach (string path in paths)
        {
            var acl = tree.GetNode(path)!.Acl;
            if (!ids.ContainsKey(acl)) ids[acl] = next++;
        }
        return ids;
    }
}

/// <summary>Compares ACL lists by content, in order, as ZooKeeper's ACL cache keys them.</summary>
internal sealed class AclListComparer : IEqualityComparer<IReadOnlyList<Acl>>
{
    public static readonly AclListComparer Instance = new();

    public bool Equals(IReadOnlyList<Acl>? x, IReadOnlyList<Acl>? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.SequenceEqual(y));

    public int GetHashCode(IReadOnlyList<Acl> acl)
    {
        var hash = new HashCode();
        foreach (var a in acl) hash.Add(a);
        return hash.ToHashCode();
    }
}

// SnapshotWriter and SnapshotReader: round trips, layout facts, determinism, the digest trailer, damage detection.
using System.Buffers.Binary;
using System.IO.Compression;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class SnapshotTests
{
    private const string Folder = "/mem/data/version-2";

    [Fact]
    public void TreeAndSessionsRoundTrip()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        string path = SnapshotWriter.Write(device, Folder, script.Tree, script.LastZxid);
        Assert.Equal(ZkFiles.SnapshotName(script.LastZxid), Path.GetFileName(path));

        var snapshot = SnapshotReader.Read(device, path);
        TreeAssert.Equal(script.Tree, snapshot.Tree);
        Assert.Equal(script.LastZxid, snapshot.Zxid);
        Assert.Equal(script.LastZxid, snapshot.Tree.LastProcessedZxid);
        Assert.Equal(new SnapshotDigest(script.LastZxid, TreeDigest.Version, TreeDigest.Of(script.Tree)), snapshot.Digest);
        Assert.Equal(script.Tree.ApproximateDataSize, snapshot.Tree.ApproximateDataSize);
    }

    [Fact]
    public void SameTreeGivesSameBytesAndNoTempFileRemains()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        string first = SnapshotWriter.Write(device, Folder, script.Tree, 7);
        string second = SnapshotWriter.Write(device, "/mem/other/version-2", script.Tree, 7);
        Assert.Equal(device.ReadAllBytes(first), device.ReadAllBytes(second));
        Assert.Equal(["snapshot.7"], device.ListFiles(Folder));
    }

    [Fact]
    public void LayoutIsZooKeepers()
    {
        var device = new MemoryDevice();
        var tree = new DataTree();
        tree.RestoreSession(0x1234, 5000);
        byte[] bytes = device.ReadAllBytes(SnapshotWriter.Write(device, Folder, tree, 0));
        var r = new Jute.JuteReader(bytes);
        Assert.Equal(0x5A4B534E, r.ReadInt()); // "ZKSN"
        Assert.Equal(2, r.ReadInt());
        Assert.Equal(-1, r.ReadLong()); // dbid, as ZooKeeper writes it
        Assert.Equal(1, r.ReadInt());
        Assert.Equal(0x1234, r.ReadLong());
        Assert.Equal(5000, r.ReadInt());
        Assert.Equal(1, r.ReadInt()); // one cached ACL list: /zookeeper/config's read-only one
        Assert.Equal(1, r.ReadLong());
        Assert.Equal([new Acl(1, Id.AnyoneIdUnsafe)], Acl.ReadList(ref r));
        Assert.Equal("", r.ReadString()); // the root
        Assert.Equal([], r.ReadBuffer()!);
        Assert.Equal(-1, r.ReadLong()); // OPEN_ACL_UNSAFE
        // Tail: seal "/" (int 1, '/'), as ZooKeeper's quick validity check expects.
        Assert.Equal([0, 0, 0, 1, (byte)'/'], bytes[^5..]);
        Assert.True(SnapshotReader.LooksComplete(device, Path.Combine(Folder, "snapshot.0")));
    }

    [Fact]
    public void EveryFlippedByteIsDetected()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything(3);
        byte[] good = device.ReadAllBytes(SnapshotWriter.Write(device, Folder, script.Tree, 5));
        string path = Path.Combine(Folder, "snapshot.5");
        for (int i = 0; i < good.Length; i++)
        {
            byte[] bad = (byte[])good.Clone();
            bad[i] ^= 0x20;
            device.WriteAllBytes(path, bad);
            // The digest trailer's zxid and digest are only checked by Recovery; every byte is under a checksum.
            Assert.Throws<StorageException>(() => SnapshotReader.Read(device, path));
        }
    }

    [Fact]
    public void TruncatedSnapshotNamesFileAndOffset()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        string path = SnapshotWriter.Write(device, Folder, script.Tree, 5);
        byte[] good = device.ReadAllBytes(path);
        device.WriteAllBytes(path, good[..(good.Length / 2)]);
        var e = Assert.Throws<StorageException>(() => SnapshotReader.Read(device, path));
        Assert.Equal(path, e.File);
        Assert.NotNull(e.Offset);
        Assert.False(SnapshotReader.LooksComplete(device, path));
    }

    [Fact]
    public void SnapshotWithoutDigestTrailerLoads()
    {
        // ZooKeeper before 3.6 (or with zookeeper.digest.enabled=false) stops after the first seal.
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        string path = SnapshotWriter.Write(device, Folder, script.Tree, 5);
        byte[] good = device.ReadAllBytes(path);
        device.WriteAllBytes(path, good[..^(8 + 4 + 8 + 8 + 5)]);
        var snapshot = SnapshotReader.Read(device, path);
        Assert.Null(snapshot.Digest);
        TreeAssert.Equal(script.Tree, snapshot.Tree);
    }

    [Fact]
    public void GzipSnapshotLoads()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        byte[] plain = device.ReadAllBytes(SnapshotWriter.Write(device, Folder, script.Tree, 9));
        using var packed = new MemoryStream();
        using (var gz = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(plain);
        device.WriteAllBytes(Path.Combine(Folder, "snapshot.9.gz"), packed.ToArray());
        TreeAssert.Equal(script.Tree, SnapshotReader.Read(device, Path.Combine(Folder, "snapshot.9.gz")).Tree);
    }

    [Fact]
    public void UnknownAclIdAndOrphanNodeAreCorruptEvenWithGoodChecksums()
    {
        var device = new MemoryDevice();
        var tree = new DataTree();
        tree.RestoreNode("/p", new DataNode([], TxnScript.Digest, 1, 1, 0));
        tree.RestoreNode("/p/c", new DataNode([], Acl.OpenAclUnsafe, 2, 2, 0));
        byte[] good = device.ReadAllBytes(SnapshotWriter.Write(device, Folder, tree, 2));
        string path = Path.Combine(Folder, "snapshot.2");

        // The ACL cache holds ids 1 (/zookeeper/config) and 2 (/p); point /p at id 3.
        byte[] bad = (byte[])good.Clone();
        int at = bad.AsSpan().IndexOf("/p"u8) + 2 + 4; // after the path: data length 0, then the ACL id
        BinaryPrimitives.WriteInt64BigEndian(bad.AsSpan(at), 3);
        device.WriteAllBytes(path, Reseal(bad));
        Assert.Contains("ACL id 3", Assert.Throws<StorageException>(() => SnapshotReader.Read(device, path)).Message);

        // Rename /p/c to /q/c: its parent does not exist.
        bad = (byte[])good.Clone();
        bad[bad.AsSpan().IndexOf("/p/c"u8) + 1] = (byte)'q';
        device.WriteAllBytes(path, Reseal(bad));
        Assert.Contains("parent", Assert.Throws<StorageException>(() => SnapshotReader.Read(device, path)).Message);
    }

    /// <summary>Recomputes both seals of a hand-edited snapshot: [body][seal][digest trailer][seal], each seal Adler-32 then "/".</summary>
    private static byte[] Reseal(byte[] bytes)
    {
        const int seal = 8 + 5, trailer = 8 + 4 + 8;
        int firstSeal = bytes.Length - seal - trailer - seal;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(firstSeal), Adler32.Of(bytes.AsSpan(0, firstSeal)));
        int secondSeal = bytes.Length - seal;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(secondSeal), Adler32.Of(bytes.AsSpan(0, secondSeal)));
        return bytes;
    }

    [Fact]
    public void RestoreRejectsOrphans()
    {
        var tree = new DataTree();
        Assert.Throws<ArgumentException>(() => tree.RestoreNode("/no/parent", new DataNode([], Acl.OpenAclUnsafe, 1, 1, 0)));
    }
}

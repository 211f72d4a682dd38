// Adler-32 and the tree digest against values zlib and a real ZooKeeper 3.8.0 snapshot give.
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class ChecksumTests
{
    [Fact]
    public void Adler32MatchesZlib()
    {
        Assert.Equal(1, Adler32.Of([]));
        Assert.Equal(0x11E60398, Adler32.Of("Wikipedia"u8));
        // Long enough to cross the modulo batching boundary several times.
        var big = Enumerable.Repeat(Enumerable.Range(0, 256).Select(i => (byte)i), 100).SelectMany(x => x).ToArray();
        Assert.Equal(0x747FD0E0, Adler32.Of(big));
        var running = Adler32.Create();
        running.Update(big.AsSpan(0, 7000));
        running.Update(big.AsSpan(7000));
        Assert.Equal(0x747FD0E0, running.Value);
    }

    [Fact]
    public void Adler32MatchesTheTrailerZlibWritesForAnyLengthAndSplit()
    {
        // zlib ends a stream with the Adler-32 of the uncompressed bytes (big-endian): an independent oracle.
        var random = new Random(42);
        foreach (int length in new[] { 1, 15, 16, 17, 31, 255, 5551, 5552, 5553, 5568, 11104, 70001 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            if (length > 5000) data.AsSpan(0, 5000).Fill(0xFF); // the largest sums the lanes can meet
            var compressed = new MemoryStream();
            using (var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                zlib.Write(data);
            long expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(compressed.ToArray().AsSpan(^4));
            Assert.Equal(expected, Adler32.Of(data));
            int split = random.Next(length);
            var running = Adler32.Create();
            running.Update(data.AsSpan(0, split));
            running.Update(data.AsSpan(split));
            Assert.Equal(expected, running.Value);
        }
    }

    [Fact]
    public void NodeDigestMatchesZooKeeper()
    {
        // Nodes and digests of a snapshot ZooKeeper 3.8.0 wrote (its DigestCalculator, digest version 2).
        var a = new DataNode("multi"u8.ToArray(), Acl.OpenAclUnsafe, 2, 1795321280605, 0)
        {
            Mzxid = 19, Mtime = 1795321280677, Version = 2, Cversion = 2, Pzxid = 4,
        };
        Assert.Equal(0x8a4b546aL, TreeDigest.OfNode("/a", a));

        var root = new DataNode([], Acl.OpenAclUnsafe, 0, 0, 0) { Cversion = 10, Pzxid = 22 };
        Assert.Equal(0xe8b3cd53L, TreeDigest.OfNode("/", root));

        var ttl = new DataNode("t"u8.ToArray(), Acl.OpenAclUnsafe, 13, 1795321280655, unchecked((long)0xFF000000000186A0));
        Assert.Equal(0x87786f20L, TreeDigest.OfNode("/ttl", ttl));
    }

    [Fact]
    public void FreshTreeDigestIsZooKeepers()
    {
        // The digest ZooKeeper 3.8.0 logged with its first txn (a createSession, which changes no node).
        Assert.Equal(0x51c6d660L, TreeDigest.Of(new DataTree()));
    }

    [Fact]
    public void SystemSubtreeIsLeftOutButZookeeperNodeCounts()
    {
        var node = new DataNode([], Acl.OpenAclUnsafe, 0, 0, 0);
        Assert.Equal(0, TreeDigest.OfNode("/zookeeper/quota", node));
        Assert.NotEqual(0, TreeDigest.OfNode("/zookeeper", node));
    }

    [Fact]
    public void TreeDigestIsTheSumOfNodeDigests()
    {
        var tree = TxnScript.Everything().Tree;
        long sum = 0;
        foreach (string path in TreeAssert.PreOrder(tree)) unchecked { sum += TreeDigest.OfNode(path, tree.GetNode(path)!); }
        Assert.Equal(sum, TreeDigest.Of(tree));
    }
}

// Txn records against bytes Apache ZooKeeper 3.8.0 wrote (golden records) and round trips of every txn kind.
using Coordinator.Jute;
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class TxnSerializerTests
{
    // Whole log records (checksum, length, txn bytes, 'B') copied from a log written by Debian's ZooKeeper 3.8.0.
    private const string CreateSessionRecord = "0000000089a508a80000003001000016091f0000000000000000000000000001000001a2017cb816fffffff600002710000000020000000051c6d66042";
    private const string CreateTtlRecord = "00000000eecc0ba30000006001000016091f00000000000f000000000000000d000001a2017cb88f00000015000000042f74746c0000000174000000010000001f00000005776f726c6400000006616e796f6e650000000700000000000186a0000000020000000523077b1842";
    private const string ErrorRecord = "0000000045c80a350000002401000016091f0000000000070000000000000007000001a2017cb87bffffffffffffff9b42";
    private const string FailedMultiRecord = "00000000ac1813150000007001000016091f0000000000160000000000000014000001a2017cb8ac0000000e00000002000000010000002c000000032f6d32000000016d000000010000001f00000005776f726c6400000006616e796f6e65000000000affffffff00000004ffffff9b000000020000000646de49b742";
    private const string CloseSessionRecord = "00000000e4a50aab0000003901000016091f0001000000020000000000000032000001a2017cb943fffffff500000001000000052f657068320000000200000014cc9a30d842";
    private const string MultiRecord = "00000000ebe30f8e0000009301000016091f0000000000150000000000000013000001a2017cb8a50000000e00000003000000010000002c000000032f6d31000000016d000000010000001f00000005776f726c6400000006616e796f6e6500000000090000000500000013000000022f61000000056d756c7469000000020000000d0000000c000000042f612f6200000001000000020000000646de49b742";

    private static (long Checksum, byte[] Txn) Unframe(string hex)
    {
        byte[] record = Convert.FromHexString(hex);
        long checksum = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(record);
        int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(record.AsSpan(8));
        Assert.Equal(record.Length, 12 + length + 1);
        Assert.Equal((byte)'B', record[^1]);
        return (checksum, record.AsSpan(12, length).ToArray());
    }

    [Theory]
    [InlineData(CreateSessionRecord)]
    [InlineData(CreateTtlRecord)]
    [InlineData(ErrorRecord)]
    [InlineData(FailedMultiRecord)]
    [InlineData(CloseSessionRecord)]
    [InlineData(MultiRecord)]
    public void ZooKeeperRecordsParseAndReencodeToTheSameBytes(string hex)
    {
        var (checksum, txn) = Unframe(hex);
        Assert.Equal(checksum, Adler32.Of(txn));
        var entry = TxnSerializer.Deserialize(txn);
        Assert.Equal(txn, TxnSerializer.Serialize(entry));
    }

    [Fact]
    public void CreateSessionCarriesTimeoutAndDigest()
    {
        var entry = TxnSerializer.Deserialize(Unframe(CreateSessionRecord).Txn);
        Assert.Equal(new TxnHeader(0x1000016091f0000, 0, 1, 0x1a2017cb816, (int)OpCode.CreateSession), entry.Header);
        Assert.Equal(new CreateSessionTxn(10000), entry.Txn);
        Assert.Equal(new TxnDigest(2, 0x51c6d660), entry.Digest);
    }

    [Fact]
    public void CreateTtlCarriesParentCVersionAndTtl()
    {
        var txn = Assert.IsType<CreateTtlTxn>(TxnSerializer.Deserialize(Unframe(CreateTtlRecord).Txn).Txn);
        Assert.Equal("/ttl", txn.Path);
        Assert.Equal("t"u8.ToArray(), txn.Data);
        Assert.Equal(TxnScript.Open, txn.Acl);
        Assert.Equal(7, txn.ParentCVersion);
        Assert.Equal(100000, txn.Ttl);
    }

    [Fact]
    public void ErrorTxnsAreLoggedWithoutDigest()
    {
        var entry = TxnSerializer.Deserialize(Unframe(ErrorRecord).Txn);
        Assert.Equal(new ErrorTxn(-101), entry.Txn);
        Assert.Null(entry.Digest);
    }

    [Fact]
    public void FailedMultiKeepsItsSubTxnsBeforeTheError()
    {
        var multi = Assert.IsType<MultiTxn>(TxnSerializer.Deserialize(Unframe(FailedMultiRecord).Txn).Txn);
        Assert.Equal(2, multi.Txns.Count);
        Assert.Equal((int)OpCode.Create, multi.Txns[0].Type);
        Assert.Equal("/m2", Assert.IsType<CreateTxn>(multi.Txns[0].Txn).Path);
        Assert.Equal(new SubTxn((int)OpCode.Error, new ErrorTxn(-101)), multi.Txns[1]);
    }

    [Fact]
    public void CloseSessionListsTheEphemeralsToDelete()
    {
        var txn = Assert.IsType<CloseSessionTxn>(TxnSerializer.Deserialize(Unframe(CloseSessionRecord).Txn).Txn);
        Assert.Equal(["/eph2"], txn.Paths2Delete);
    }

    [Fact]
    public void EveryKindOfTxnRoundTrips()
    {
        var script = TxnScript.Everything();
        foreach (var entry in script.Entries)
        {
            var back = TxnSerializer.Deserialize(TxnSerializer.Serialize(entry));
            Assert.Equal(entry.Header, back.Header);
            Assert.Equal(entry.Digest, back.Digest);
            Assert.Equal(TxnSerializer.Serialize(entry), TxnSerializer.Serialize(back));
        }
    }

    [Fact]
    public void CloseSessionWithoutBodyReadsAsEmpty()
    {
        // ZooKeeper with zookeeper.closeSessionTxn.enabled=false logs only the header.
        var bytes = TxnSerializer.Serialize(new TxnEntry(new TxnHeader(5, 1, 9, 100, (int)OpCode.CloseSession), new CloseSessionTxn([])));
        var headerOnly = bytes.AsSpan(0, TxnSerializer.HeaderBytes).ToArray();
        Assert.Equal(new CloseSessionTxn([]), TxnSerializer.Deserialize(headerOnly).Txn, new CloseSessionComparer());
    }

    [Fact]
    public void MismatchedTypeAndRecordIsRefused()
    {
        var entry = new TxnEntry(new TxnHeader(1, 1, 1, 1, (int)OpCode.Delete), new SetDataTxn("/a", null, 1));
        Assert.Throws<ArgumentException>(() => TxnSerializer.Serialize(entry));
    }

    [Fact]
    public void UnknownTypeAndTrailingBytesAreRefused()
    {
        var good = TxnSerializer.Serialize(new TxnEntry(new TxnHeader(1, 1, 1, 1, (int)OpCode.Delete), new DeleteTxn("/a")));
        var unknown = (byte[])good.Clone();
        unknown[TxnSerializer.HeaderBytes - 1] = 99; // type 99
        Assert.Throws<JuteException>(() => TxnSerializer.Deserialize(unknown));
        Assert.Throws<JuteException>(() => TxnSerializer.Deserialize([.. good, 1, 2, 3]));
    }

    private sealed class CloseSessionComparer : IEqualityComparer<Txn>
    {
        public bool Equals(Txn? x, Txn? y) =>
            x is CloseSessionTxn a && y is CloseSessionTxn b && a.Paths2Delete.SequenceEqual(b.Paths2Delete);

        public int GetHashCode(Txn obj) => 0;
    }
}

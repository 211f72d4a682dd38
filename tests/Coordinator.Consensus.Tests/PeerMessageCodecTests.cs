// The peer wire format: every message round-trips, and malformed frames fail cleanly.
using Coordinator.Core;
using FsCheck;
using FsCheck.Fluent;

namespace Coordinator.Consensus.Tests;

public sealed class PeerMessageCodecTests
{
    private static readonly LoggedTxn TxnA = new(Zxid.Of(3, 7), [1, 2, 3]);
    private static readonly LoggedTxn TxnB = new(Zxid.Of(3, 8), []);

    public static TheoryData<PeerMessage> Messages => new()
    {
        new Notification(new Vote(5, Zxid.Of(2, 9), 2), 17, PeerState.Looking),
        new Notification(new Vote(long.MaxValue, new Zxid(long.MinValue), int.MinValue), -1, PeerState.Observing),
        new FollowerInfo(4, Zxid.Of(4, unchecked((int)0xfffffffe)), 3, IsObserver: true),
        new LeaderInfo(5, 3),
        new AckEpoch(4, Zxid.Of(4, 2), Zxid.Of(3, 1), 3, Fresh: true),
        new NewLeader(5, 3, SyncMode.Trunc, Zxid.Of(3, 6), [], [TxnA, TxnB], Zxid.Of(3, 7)),
        new NewLeader(5, 4, SyncMode.Snap, Zxid.Of(3, 6), new byte[5000], [], Zxid.Of(3, 6)),
        new Ack(5, Zxid.Of(5, 1)),
        new UpToDate(5, 3, Zxid.Of(5, 0)),
        new Proposal(5, Zxid.Of(3, 8), TxnA),
        new Commit(5, Zxid.Of(5, 1)),
        new Inform(5, Zxid.Of(3, 6), TxnB),
        new Ping(5, Zxid.Of(5, 1), Zxid.Of(5, 2), 3),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips(PeerMessage message)
    {
        var bytes = PeerMessageCodec.Encode(message);
        var decoded = PeerMessageCodec.Decode(bytes);
        Assert.Equal(message.GetType(), decoded.GetType());
        Assert.Equal(bytes, PeerMessageCodec.Encode(decoded));
        // Records with arrays compare by reference, so compare the parts that are plain values too.
        if (message is not (NewLeader or Proposal or Inform)) Assert.Equal(message, decoded);
        if (message is NewLeader nl && decoded is NewLeader d)
        {
            Assert.Equal((nl.Epoch, nl.Handshake, nl.Mode, nl.From, nl.CommitZxid), (d.Epoch, d.Handshake, d.Mode, d.From, d.CommitZxid));
            Assert.Equal(nl.Snapshot, d.Snapshot);
            Assert.Equal(nl.Txns.Select(t => (t.Zxid, Convert.ToHexString(t.Payload))), d.Txns.Select(t => (t.Zxid, Convert.ToHexString(t.Payload))));
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_truncation_of_a_frame_is_rejected(PeerMessage message)
    {
        var bytes = PeerMessageCodec.Encode(message);
        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<PeerMessageFormatException>(() => PeerMessageCodec.Decode(bytes.AsSpan(0, length)));
    }

    [Fact]
    public void Unknown_types_trailing_bytes_and_bad_fields_are_rejected()
    {
        Assert.Throws<PeerMessageFormatException>(() => PeerMessageCodec.Decode([99]));
        var ack = PeerMessageCodec.Encode(new Ack(1, Zxid.Of(1, 1)));
        Assert.Throws<PeerMessageFormatException>(() => PeerMessageCodec.Decode([.. ack, 0]));
        var info = PeerMessageCodec.Encode(new FollowerInfo(1, Zxid.Zero, 1, false));
        info[^1] = 2; // a boolean that is neither 0 nor 1
        Assert.Throws<PeerMessageFormatException>(() => PeerMessageCodec.Decode(info));
        var sync = PeerMessageCodec.Encode(new NewLeader(1, 1, SyncMode.Diff, Zxid.Zero, [], [], Zxid.Zero));
        sync[1 + 4 + 8] = 9; // the sync mode
        Assert.Throws<PeerMessageFormatException>(() => PeerMessageCodec.Decode(sync));
    }

    [Fact]
    public void Random_proposals_round_trip()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<(int, long, long, byte[])>(), t =>
        {
            var (epoch, prev, zxid, payload) = t;
            var message = new Proposal(epoch, new Zxid(prev), new LoggedTxn(new Zxid(zxid), payload ?? []));
            var decoded = (Proposal)PeerMessageCodec.Decode(PeerMessageCodec.Encode(message));
            return decoded.Epoch == epoch && decoded.PrevZxid == message.PrevZxid && decoded.Txn.Zxid == message.Txn.Zxid
                && decoded.Txn.Payload.AsSpan().SequenceEqual(message.Txn.Payload);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_a_format_error()
    {
        var random = new Random(42);
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length > 0) bytes[0] = (byte)random.Next(0, 13);
            try { PeerMessageCodec.Decode(bytes); }
            catch (PeerMessageFormatException) { }
        }
    }
}

// The wire encoding of peer messages: a type byte, then fixed-width big-endian fields and length-prefixed bytes.
using System.Buffers;
using System.Buffers.Binary;
using Coordinator.Core;

namespace Coordinator.Consensus;

/// <summary>A peer sent bytes that are not a message; the transport drops the connection.</summary>
public sealed class PeerMessageFormatException(string message) : Exception(message);

/// <summary>
/// Encodes one <see cref="PeerMessage"/> per frame (the transport adds the frame length). Integers are big-endian,
/// zxids 8 bytes, byte strings an int32 length then the bytes, lists an int32 count. Decoding checks every length
/// against what is left, so a malformed frame fails with <see cref="PeerMessageFormatException"/>, never more.
/// </summary>
public static class PeerMessageCodec
{
    private enum Tag : byte
    {
        Notification = 1, FollowerInfo = 2, LeaderInfo = 3, AckEpoch = 4, NewLeader = 5, Ack = 6,
        UpToDate = 7, Proposal = 8, Commit = 9, Inform = 10, Ping = 11,
    }

    public static byte[] Encode(PeerMessage message)
    {
        var w = new Writer(new ArrayBufferWriter<byte>(64));
        switch (message)
        {
            case Notification n:
                w.Byte((byte)Tag.Notification); w.Long(n.Vote.Leader); w.Zxid(n.Vote.Zxid); w.Int(n.Vote.PeerEpoch);
                w.Long(n.Round); w.Byte((byte)n.State);
                break;
            case FollowerInfo f:
                w.Byte((byte)Tag.FollowerInfo); w.Int(f.AcceptedEpoch); w.Zxid(f.LastZxid); w.Long(f.Handshake); w.Bool(f.IsObserver);
                break;
            case LeaderInfo l:
                w.Byte((byte)Tag.LeaderInfo); w.Int(l.NewEpoch); w.Long(l.Handshake);
                break;
            case AckEpoch a:
                w.Byte((byte)Tag.AckEpoch); w.Int(a.CurrentEpoch); w.Zxid(a.LastZxid); w.Zxid(a.AppliedZxid);
                w.Long(a.Handshake); w.Bool(a.Fresh);
                break;
            case NewLeader nl:
                w.Byte((byte)Tag.NewLeader); w.Int(nl.Epoch); w.Long(nl.Handshake); w.Byte((byte)nl.Mode); w.Zxid(nl.From);
                w.Bytes(nl.Snapshot); w.Int(nl.Txns.Count);
                foreach (var t in nl.Txns) w.Txn(t);
                w.Zxid(nl.CommitZxid);
                break;
            case Ack a:
                w.Byte((byte)Tag.Ack); w.Int(a.Epoch); w.Zxid(a.Zxid);
                break;
            case UpToDate u:
                w.Byte((byte)Tag.UpToDate); w.Int(u.Epoch); w.Long(u.Handshake); w.Zxid(u.CommitZxid);
                break;
            case Proposal p:
                w.Byte((byte)Tag.Proposal); w.Int(p.Epoch); w.Zxid(p.PrevZxid); w.Txn(p.Txn);
                break;
            case Commit c:
                w.Byte((byte)Tag.Commit); w.Int(c.Epoch); w.Zxid(c.Zxid);
                break;
            case Inform i:
                w.Byte((byte)Tag.Inform); w.Int(i.Epoch); w.Zxid(i.PrevZxid); w.Txn(i.Txn);
                break;
            case Ping p:
                w.Byte((byte)Tag.Ping); w.Int(p.Epoch); w.Zxid(p.CommitZxid); w.Zxid(p.LastZxid); w.Long(p.SyncedHandshake);
                break;
            default:
                throw new ArgumentException($"no encoding for {message.GetType().Name}");
        }
        return w.ToArray();
    }

    public static PeerMessage Decode(ReadOnlySpan<byte> frame)
    {
        var r = new Reader(frame);
        var tag = (Tag)r.Byte();
        PeerMessage message = tag switch
        {
            Tag.Notification => new Notification(new Vote(r.Long(), r.Zxid(), r.Int()), r.Long(), r.State()),
            Tag.FollowerInfo => new FollowerInfo(r.Int(), r.Zxid(), r.Long(), r.Bool()),
            Tag.LeaderInfo => new LeaderInfo(r.Int(), r.Long()),
            Tag.AckEpoch => new AckEpoch(r.Int(), r.Zxid(), r.Zxid(), r.Long(), r.Bool()),
            Tag.NewLeader => DecodeNewLeader(ref r),
            Tag.Ack => new Ack(r.Int(), r.Zxid()),
            Tag.UpToDate => new UpToDate(r.Int(), r.Long(), r.Zxid()),
            Tag.Proposal => new Proposal(r.Int(), r.Zxid(), r.Txn()),
            Tag.Commit => new Commit(r.Int(), r.Zxid()),
            Tag.Inform => new Inform(r.Int(), r.Zxid(), r.Txn()),
            Tag.Ping => new Ping(r.Int(), r.Zxid(), r.Zxid(), r.Long()),
            _ => throw new PeerMessageFormatException($"unknown peer message type {(byte)tag}"),
        };
        if (!r.AtEnd) throw new PeerMessageFormatException($"{tag} has {r.Remaining} trailing bytes");
        return message;
    }

    private static NewLeader DecodeNewLeader(ref Reader r)
    {
        int epoch = r.Int();
        long handshake = r.Long();
        var mode = (SyncMode)r.Byte();
        if (mode is not (SyncMode.Diff or SyncMode.Trunc or SyncMode.Snap))
            throw new PeerMessageFormatException($"unknown sync mode {(byte)mode}");
        var from = r.Zxid();
        var snapshot = r.Bytes();
        int count = r.Int();
        // Each txn takes at least 12 bytes, which bounds the count by the frame before anything is allocated.
        if (count < 0 || count > r.Remaining / 12) throw new PeerMessageFormatException($"bad txn count {count}");
        var txns = new LoggedTxn[count];
        for (int i = 0; i < count; i++) txns[i] = r.Txn();
        return new NewLeader(epoch, handshake, mode, from, snapshot, txns, r.Zxid());
    }

    private readonly struct Writer(ArrayBufferWriter<byte> buffer)
    {
        public void Byte(byte value) { buffer.GetSpan(1)[0] = value; buffer.Advance(1); }
        public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);
        public void Int(int value) { BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), value); buffer.Advance(4); }
        public void Long(long value) { BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), value); buffer.Advance(8); }
        public void Zxid(Zxid value) => Long(value.Value);
        public void Bytes(byte[] value) { Int(value.Length); buffer.Write(value); }
        public void Txn(LoggedTxn txn) { Zxid(txn.Zxid); Bytes(txn.Payload); }
        public byte[] ToArray() => buffer.WrittenSpan.ToArray();
    }

    private ref struct Reader(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _rest = span;

        public readonly bool AtEnd => _rest.IsEmpty;
        public readonly int Remaining => _rest.Length;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > _rest.Length) throw new PeerMessageFormatException($"frame too short: need {n}, have {_rest.Length}");
            var taken = _rest[..n];
            _rest = _rest[n..];
            return taken;
        }

        public byte Byte() => Take(1)[0];
        public bool Bool() => Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw new PeerMessageFormatException($"bad boolean {b}"),
        };
        public int Int() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
        public long Long() => BinaryPrimitives.ReadInt64BigEndian(Take(8));
        public Zxid Zxid() => new(Long());
        public byte[] Bytes() => Take(Int()).ToArray();
        public LoggedTxn Txn() => new(Zxid(), Bytes());
        public PeerState State()
        {
            var s = (PeerState)Byte();
            return s <= PeerState.Observing ? s : throw new PeerMessageFormatException($"bad peer state {(byte)s}");
        }
    }
}

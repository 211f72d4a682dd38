// Outgoing packets live in pooled arrays: framed correctly, given back safely, never shared while still queued.
using System.Buffers.Binary;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Server.Tests;

public sealed class PacketsTests
{
    [Fact]
    public void A_reply_is_framed_to_its_own_length_even_though_its_array_is_larger()
    {
        var packet = Packets.Reply(new ReplyHeader(7, 42, 0), new StatResponse(new Stat(5, 6, 0, 0, 3, 0, 0, 0, 0, 0, 6)));
        var bytes = packet.Span;
        Assert.Equal(bytes.Length - 4, BinaryPrimitives.ReadInt32BigEndian(bytes));
        var reader = new JuteReader(bytes[4..]);
        var header = ReplyHeader.Read(ref reader);
        Assert.Equal((7, 42L, 0), (header.Xid, header.Zxid, header.Err));
        var stat = Stat.Read(ref reader);
        Assert.Equal((5L, 3), (stat.Czxid, stat.Version));
        Assert.Equal(0, reader.Remaining);
        Packets.Return(packet);
    }

    [Fact]
    public void Packets_queued_at_once_do_not_share_bytes()
    {
        var queued = Enumerable.Range(0, 100).Select(i => Packets.Reply(new ReplyHeader(i, i, 0), null)).ToList();
        for (int i = 0; i < queued.Count; i++)
        {
            var reader = new JuteReader(queued[i].Span[4..]);
            Assert.Equal(i, ReplyHeader.Read(ref reader).Xid);
        }
        foreach (var p in queued) Packets.Return(p);
    }

    [Fact]
    public void Returning_memory_the_pool_did_not_make_is_ignored()
    {
        Packets.Return(new byte[100]);
        Packets.Return(ReadOnlyMemory<byte>.Empty);
        Packets.Return(new byte[3 << 20]);
        var packet = Packets.Record(new ConnectResponse(0, 30_000, 1, new byte[16], false));
        Assert.Equal(packet.Length - 4, BinaryPrimitives.ReadInt32BigEndian(packet.Span));
        Packets.Return(packet);
    }
}

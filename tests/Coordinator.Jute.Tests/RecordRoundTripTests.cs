// Round trips of every jute record that has a reader: write, read back, compare values and bytes consumed.
using Coordinator.Jute.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Coordinator.Jute.Tests;

public sealed class RecordRoundTripTests
{
    private delegate T ReadFn<T>(ref JuteReader r);

    /// <summary>Reads <paramref name="bytes"/> with <paramref name="read"/> and checks every byte was consumed.</summary>
    private static T ReadAll<T>(byte[] bytes, ReadFn<T> read)
    {
        var r = new JuteReader(bytes);
        var value = read(ref r);
        Assert.Equal(0, r.Remaining);
        return value;
    }

    private static readonly Stat SampleStat = new(
        Czxid: 0x1_0000_0001, Mzxid: 0x1_0000_0002, Ctime: 1_700_000_000_000, Mtime: 1_700_000_000_123,
        Version: 3, Cversion: -1, Aversion: int.MaxValue, EphemeralOwner: unchecked((long)0xFF00_0000_0000_1234UL),
        DataLength: 42, NumChildren: 7, Pzxid: long.MaxValue);

    [Fact]
    public void Id_round_trips()
    {
        var id = new Id("digest", "user:hash\u00e9");
        Assert.Equal(id, ReadAll(HandBytes.Encode(id.Write), Id.Read));
    }

    [Fact]
    public void Acl_and_acl_lists_round_trip()
    {
        var acl = new Acl(31, new Id("world", "anyone"));
        Assert.Equal(acl, ReadAll(HandBytes.Encode(acl.Write), Acl.Read));

        List<Acl> list = [acl, new Acl(1, new Id("ip", "10.0.0.0/8")), new Acl(0, new Id("", ""))];
        Assert.Equal(list, ReadAll(HandBytes.Encode(w => Acl.WriteList(w, list)), Acl.ReadList));
        Assert.Empty(ReadAll(HandBytes.Encode(w => Acl.WriteList(w, [])), Acl.ReadList));
    }

    [Fact]
    public void A_null_acl_list_reads_as_empty()
    {
        Assert.Empty(ReadAll(HandBytes.Encode(w => Acl.WriteList(w, null)), Acl.ReadList));
    }

    [Fact]
    public void Stat_round_trips()
    {
        Assert.Equal(SampleStat, ReadAll(HandBytes.Encode(SampleStat.Write), Stat.Read));
        Assert.Equal(default, ReadAll(HandBytes.Encode(default(Stat).Write), Stat.Read));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [InlineData(null)]
    public void ConnectRequest_round_trips_with_and_without_readOnly(bool? readOnly)
    {
        var request = new ConnectRequest(0, 0x5_0000_0007, 30_000, 0x0123_4567_89ab_cdef, [1, 2, 3, 4], readOnly);
        var back = ReadAll(HandBytes.Encode(request.Write), ConnectRequest.Read);
        Assert.Equal((request.ProtocolVersion, request.LastZxidSeen, request.TimeoutMs, request.SessionId, request.ReadOnly),
            (back.ProtocolVersion, back.LastZxidSeen, back.TimeoutMs, back.SessionId, back.ReadOnly));
        Assert.Equal(request.Password, back.Password);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [InlineData(null)]
    public void ConnectResponse_round_trips_with_and_without_readOnly(bool? readOnly)
    {
        var response = new ConnectResponse(0, 40_000, -5, new byte[16], readOnly);
        var back = ReadAll(HandBytes.Encode(response), ConnectResponse.Read);
        Assert.Equal((response.ProtocolVersion, response.TimeoutMs, response.SessionId, response.ReadOnly),
            (back.ProtocolVersion, back.TimeoutMs, back.SessionId, back.ReadOnly));
        Assert.Equal(response.Password, back.Password);
    }

    [Fact]
    public void Headers_round_trip()
    {
        var request = new RequestHeader(-8, 101);
        Assert.Equal(request, ReadAll(HandBytes.Encode(request.Write), RequestHeader.Read));
        var reply = new ReplyHeader(int.MinValue, long.MinValue, -112);
        Assert.Equal(reply, ReadAll(HandBytes.Encode(reply.Write), ReplyHeader.Read));
        var multi = new MultiHeader(5, false, -1);
        Assert.Equal(multi, ReadAll(HandBytes.Encode(multi.Write), MultiHeader.Read));
        var done = new MultiHeader(-1, true, -1);
        Assert.Equal(done, ReadAll(HandBytes.Encode(done.Write), MultiHeader.Read));
    }

    [Fact]
    public void WatcherEvent_round_trips()
    {
        var ev = new WatcherEvent(3, 3, "/app/\u00e9");
        Assert.Equal(ev, ReadAll(HandBytes.Encode(ev), WatcherEvent.Read));
    }

    [Fact]
    public void AuthPacket_round_trips()
    {
        var packet = new AuthPacket(0, "digest", "user:pw"u8.ToArray());
        var back = ReadAll(HandBytes.Encode(packet), AuthPacket.Read);
        Assert.Equal((packet.Type, packet.Scheme), (back.Type, back.Scheme));
        Assert.Equal(packet.Auth, back.Auth);
    }

    [Fact]
    public void SetWatches2_round_trips()
    {
        var sw = new SetWatches(0x7_0000_0001, ["/d"], ["/e1", "/e2"], [], ["/p"], ["/r", "/"]);
        var back = ReadAll(HandBytes.Encode(sw), (ref JuteReader r) => SetWatches.Read(ref r, version2: true));
        Assert.Equal(sw.RelativeZxid, back.RelativeZxid);
        Assert.Equal(sw.DataWatches, back.DataWatches);
        Assert.Equal(sw.ExistWatches, back.ExistWatches);
        Assert.Equal(sw.ChildWatches, back.ChildWatches);
        Assert.Equal(sw.PersistentWatches, back.PersistentWatches);
        Assert.Equal(sw.PersistentRecursiveWatches, back.PersistentRecursiveWatches);
    }

    [Fact]
    public void SetWatches_version1_reads_three_lists_from_hand_made_bytes()
    {
        byte[] bytes = new HandBytes().Long(9).Int(1).String("/d").Int(0).Int(-1).ToArray();
        var back = ReadAll(bytes, (ref JuteReader r) => SetWatches.Read(ref r, version2: false));
        Assert.Equal(9, back.RelativeZxid);
        Assert.Equal(["/d"], back.DataWatches);
        Assert.Empty(back.ExistWatches);
        Assert.Empty(back.ChildWatches);
        Assert.Empty(back.PersistentWatches);
        Assert.Empty(back.PersistentRecursiveWatches);
    }

    [Fact]
    public void String_vectors_round_trip_and_null_reads_as_empty()
    {
        List<string> values = ["", "/a", "\u4e2d\u6587"];
        Assert.Equal(values, ReadAll(HandBytes.Encode(w => w.WriteStringVector(values)), (ref JuteReader r) => r.ReadStringVector()));
        Assert.Empty(ReadAll(HandBytes.Encode(w => w.WriteStringVector(null)), (ref JuteReader r) => r.ReadStringVector()));
    }

    [Fact]
    public void Primitives_round_trip_at_their_extremes()
    {
        byte[] bytes = HandBytes.Encode(w =>
        {
            w.WriteInt(int.MinValue);
            w.WriteInt(int.MaxValue);
            w.WriteLong(long.MinValue);
            w.WriteLong(long.MaxValue);
            w.WriteBool(true);
            w.WriteByte(0xfe);
            w.WriteBuffer((byte[]?)null);
            w.WriteBuffer([]);
            w.WriteString(null);
            w.WriteString("");
        });
        var r = new JuteReader(bytes);
        Assert.Equal(int.MinValue, r.ReadInt());
        Assert.Equal(int.MaxValue, r.ReadInt());
        Assert.Equal(long.MinValue, r.ReadLong());
        Assert.Equal(long.MaxValue, r.ReadLong());
        Assert.True(r.ReadBool());
        Assert.Equal(0xfe, r.ReadByte());
        Assert.Null(r.ReadBuffer());
        Assert.Equal([], r.ReadBuffer()!);
        Assert.Null(r.ReadString());
        Assert.Equal("", r.ReadString());
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void The_writer_grows_past_its_initial_capacity()
    {
        var big = new byte[100_000];
        new Random(7).NextBytes(big);
        using var w = new JuteWriter(4);
        w.WriteBuffer(big);
        w.WriteInt(5);
        var r = new JuteReader(w.WrittenSpan);
        Assert.Equal(big, r.ReadBuffer());
        Assert.Equal(5, r.ReadInt());
    }

    [Fact]
    public void ReserveLength_and_PatchLength_frame_a_packet()
    {
        using var w = new JuteWriter();
        int at = w.ReserveLength();
        new ReplyHeader(1, 2, 0).Write(w);
        w.PatchLength(at);
        Assert.Equal(new HandBytes().Int(16).Int(1).Long(2).Int(0).ToArray(), w.ToArray());
    }

    /// <summary>Every request record, generated at random: decode(encode(x)) describes the same value and re-encodes to the same bytes.</summary>
    [Fact]
    public void Every_request_round_trips()
    {
        Prop.ForAll(RequestGen.Any.ToArbitrary(), request =>
        {
            byte[] bytes = RequestGen.Encode(request);
            var back = RequestGen.Decode(request.Op, bytes, out int consumed);
            Assert.NotNull(back);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(request.GetType(), back.GetType());
            Assert.Equal(RequestGen.Describe(request), RequestGen.Describe(back));
            Assert.Equal(bytes, RequestGen.Encode(back));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_known_opcode_has_a_generated_request()
    {
        var generated = RequestGen.Any.Sample(2000).Select(r => r.Op).ToHashSet();
        Assert.Empty(RequestGen.KnownOps.Except(generated));
    }

    [Fact]
    public void Unknown_opcodes_decode_to_null_without_reading()
    {
        foreach (int op in new[] { 0, 10, 23, 99, 101, 102, 105, 108, -1, -10, int.MaxValue, int.MinValue })
        {
            Assert.Null(RequestGen.Decode((OpCode)op, [1, 2, 3], out int consumed));
            Assert.Equal(0, consumed);
        }
    }
}

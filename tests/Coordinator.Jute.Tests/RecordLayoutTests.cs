// Byte layouts of records compared with bytes computed by hand from zookeeper.jute's field order.
using Coordinator.Jute.Records;

namespace Coordinator.Jute.Tests;

public sealed class RecordLayoutTests
{
    private static readonly Stat SampleStat = new(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);

    /// <summary>Stat: czxid, mzxid, ctime, mtime (longs), version, cversion, aversion (ints), ephemeralOwner (long), dataLength, numChildren (ints), pzxid (long).</summary>
    private static byte[] SampleStatBytes() =>
        new HandBytes().Long(1).Long(2).Long(3).Long(4).Int(5).Int(6).Int(7).Long(8).Int(9).Int(10).Long(11).ToArray();

    [Fact]
    public void Stat_is_68_bytes_in_zookeeper_field_order()
    {
        byte[] bytes = HandBytes.Encode(SampleStat.Write);
        Assert.Equal(68, bytes.Length);
        Assert.Equal(Stat.Bytes, bytes.Length);
        Assert.Equal(SampleStatBytes(), bytes);
    }

    [Fact]
    public void Stat_numbers_are_big_endian()
    {
        byte[] bytes = HandBytes.Encode(new Stat(0x0102030405060708, 0, 0, 0, 0x0a0b0c0d, 0, 0, 0, 0, 0, 0).Write);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, bytes[..8]);
        Assert.Equal(new byte[] { 0x0a, 0x0b, 0x0c, 0x0d }, bytes[32..36]);
    }

    [Fact]
    public void ConnectRequest_with_readOnly_is_45_bytes_for_a_16_byte_password()
    {
        var password = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var request = new ConnectRequest(0, 0x10, 30_000, 0x22, password, false);
        byte[] expected = new HandBytes().Int(0).Long(0x10).Int(30_000).Long(0x22).Int(16).Raw(password).Bool(false).ToArray();
        Assert.Equal(45, expected.Length);
        Assert.Equal(expected, HandBytes.Encode(request.Write));
    }

    [Fact]
    public void ConnectRequest_without_readOnly_omits_the_last_byte()
    {
        var request = new ConnectRequest(0, 0, 10_000, 0, new byte[16], null);
        byte[] expected = new HandBytes().Int(0).Long(0).Int(10_000).Long(0).Int(16).Raw(new byte[16]).ToArray();
        Assert.Equal(44, expected.Length);
        Assert.Equal(expected, HandBytes.Encode(request.Write));

        var r = new JuteReader(expected);
        Assert.Null(ConnectRequest.Read(ref r).ReadOnly);
    }

    [Fact]
    public void ConnectResponse_layout()
    {
        var response = new ConnectResponse(0, 4000, 0x0100_0000_0000_0001, new byte[16], false);
        byte[] expected = new HandBytes().Int(0).Int(4000).Long(0x0100_0000_0000_0001).Int(16).Raw(new byte[16]).Bool(false).ToArray();
        Assert.Equal(37, expected.Length);
        Assert.Equal(expected, HandBytes.Encode(response));
    }

    [Fact]
    public void Header_layouts()
    {
        Assert.Equal(new HandBytes().Int(7).Int(4).ToArray(), HandBytes.Encode(new RequestHeader(7, 4).Write));
        Assert.Equal(new HandBytes().Int(7).Long(0x1234).Int(-101).ToArray(), HandBytes.Encode(new ReplyHeader(7, 0x1234, -101).Write));
        Assert.Equal(new HandBytes().Int(1).Bool(false).Int(-1).ToArray(), HandBytes.Encode(new MultiHeader(1, false, -1).Write));
    }

    [Fact]
    public void CreateRequest_layout_with_open_acl()
    {
        var request = new CreateRequest(OpCode.Create, "/a", "x"u8.ToArray(), [.. Acl.OpenAclUnsafe], 0);
        byte[] expected = new HandBytes()
            .String("/a").Buffer("x"u8.ToArray())
            .Int(1).Int(31).String("world").String("anyone")
            .Int(0).ToArray();
        Assert.Equal(4 + 2 + 4 + 1 + 4 + 4 + 9 + 10 + 4, expected.Length);
        Assert.Equal(expected, HandBytes.Encode(request));
    }

    [Fact]
    public void CreateTtlRequest_appends_the_ttl()
    {
        var request = new CreateRequest(OpCode.CreateTtl, "/t", [], [], 5, 60_000);
        byte[] expected = new HandBytes().String("/t").Buffer([]).Int(0).Int(5).Long(60_000).ToArray();
        Assert.Equal(expected, HandBytes.Encode(request));
    }

    [Fact]
    public void SetData_delete_exists_layouts()
    {
        Assert.Equal(new HandBytes().String("/n").Buffer([9]).Int(-1).ToArray(),
            HandBytes.Encode(new SetDataRequest("/n", [9], -1)));
        Assert.Equal(new HandBytes().String("/n").Int(3).ToArray(), HandBytes.Encode(new DeleteRequest(OpCode.Delete, "/n", 3)));
        Assert.Equal(new HandBytes().String("/n").Bool(true).ToArray(), HandBytes.Encode(new PathWatchRequest(OpCode.Exists, "/n", true)));
        Assert.Equal(new HandBytes().String("/n").ToArray(), HandBytes.Encode(new PathRequest(OpCode.Sync, "/n")));
    }

    [Fact]
    public void Multi_layout_is_headers_and_bodies_then_a_done_header()
    {
        var multi = new MultiRequest(OpCode.Multi, [new CheckVersionRequest("/c", 1), new DeleteRequest(OpCode.Delete, "/d", -1)]);
        byte[] expected = new HandBytes()
            .Int(13).Bool(false).Int(-1).String("/c").Int(1)
            .Int(2).Bool(false).Int(-1).String("/d").Int(-1)
            .Int(-1).Bool(true).Int(-1).ToArray();
        Assert.Equal(expected, HandBytes.Encode(multi));
    }

    [Fact]
    public void Response_layouts()
    {
        byte[] stat = SampleStatBytes();
        Assert.Equal(new HandBytes().String("/p").ToArray(), HandBytes.Encode(new CreateResponse("/p")));
        Assert.Equal(new HandBytes().String("/p").Raw(stat).ToArray(), HandBytes.Encode(new Create2Response("/p", SampleStat)));
        Assert.Equal(stat, HandBytes.Encode(new StatResponse(SampleStat)));
        Assert.Equal(new HandBytes().Buffer([1, 2]).Raw(stat).ToArray(), HandBytes.Encode(new GetDataResponse([1, 2], SampleStat)));
        Assert.Equal(new HandBytes().Int(2).String("a").String("b").ToArray(), HandBytes.Encode(new GetChildrenResponse(["a", "b"])));
        Assert.Equal(new HandBytes().Int(1).String("a").Raw(stat).ToArray(), HandBytes.Encode(new GetChildren2Response(["a"], SampleStat)));
        Assert.Equal(new HandBytes().Int(1).Int(31).String("world").String("anyone").Raw(stat).ToArray(),
            HandBytes.Encode(new GetAclResponse(Acl.OpenAclUnsafe, SampleStat)));
        Assert.Equal(new HandBytes().Int(12).ToArray(), HandBytes.Encode(new GetAllChildrenNumberResponse(12)));
        Assert.Equal(new HandBytes().Int(1).String("/e").ToArray(), HandBytes.Encode(new GetEphemeralsResponse(["/e"])));
        Assert.Equal(new HandBytes().Int(1).String("ip").String("127.0.0.1").ToArray(),
            HandBytes.Encode(new WhoAmIResponse([new ClientInfo("ip", "127.0.0.1")])));
        Assert.Equal(new HandBytes().Int(-101).ToArray(), HandBytes.Encode(new ErrorResponse(-101)));
        Assert.Empty(HandBytes.Encode(EmptyResponse.Instance));
        Assert.Equal(new HandBytes().Int(3).Int(3).String("/w").ToArray(), HandBytes.Encode(new WatcherEvent(3, 3, "/w")));
    }

    [Fact]
    public void Multi_response_layout()
    {
        var response = new MultiResponse([
            new OpResult(1, 0, new CreateResponse("/a")),
            new OpResult(-1, -101, new ErrorResponse(-101)),
        ]);
        byte[] expected = new HandBytes()
            .Int(1).Bool(false).Int(0).String("/a")
            .Int(-1).Bool(false).Int(-101).Int(-101)
            .Int(-1).Bool(true).Int(-1).ToArray();
        Assert.Equal(expected, HandBytes.Encode(response));
    }

    [Fact]
    public void Strings_are_utf8_with_a_byte_count_prefix()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 3, (byte)'/', 0xc3, 0xa9 }, HandBytes.Encode(w => w.WriteString("/\u00e9")));
        Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0xff }, HandBytes.Encode(w => w.WriteString(null)));
    }
}

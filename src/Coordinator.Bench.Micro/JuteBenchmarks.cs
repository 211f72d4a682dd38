// Decoding a request and encoding a reply: what every packet costs before and after the server loop.
using BenchmarkDotNet.Attributes;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server;

namespace Coordinator.Bench.Micro;

[MemoryDiagnoser]
public class JuteBenchmarks
{
    private byte[] _createPacket = [];
    private byte[] _getPacket = [];
    private GetDataResponse _getReply = null!;

    [GlobalSetup]
    public void Setup()
    {
        using (var w = new JuteWriter())
        {
            new RequestHeader(7, (int)OpCode.Create).Write(w);
            new CreateRequest(OpCode.Create, "/bench/c/client-12-000042", new byte[100], [.. Acl.OpenAclUnsafe], 0).Write(w);
            _createPacket = w.ToArray();
        }
        using (var w = new JuteWriter())
        {
            new RequestHeader(8, (int)OpCode.GetData).Write(w);
            new PathWatchRequest(OpCode.GetData, "/bench/g", false).Write(w);
            _getPacket = w.ToArray();
        }
        _getReply = new GetDataResponse(new byte[100], new Stat(1, 2, 3, 4, 5, 6, 7, 0, 100, 0, 2));
    }

    [Benchmark]
    public Request? DecodeCreate() => Decode(_createPacket);

    [Benchmark]
    public Request? DecodeGetData() => Decode(_getPacket);

    /// <summary>What the network thread does with a packet: header, then the opcode's body.</summary>
    private static Request? Decode(byte[] packet)
    {
        var reader = new JuteReader(packet);
        var header = RequestHeader.Read(ref reader);
        return RequestDecoder.TryDecode((OpCode)header.Type, ref reader);
    }

    [Benchmark]
    public int EncodeGetDataReply()
    {
        var packet = Packets.Reply(new ReplyHeader(8, 42, 0), _getReply);
        Packets.Return(packet);
        return packet.Length;
    }
}

// Bad-input scenarios as data: each sends raw bytes to a server and reports what came back as a short outcome string.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Host.Tests;

/// <summary>
/// One scenario: a name and a probe that talks to a server at an endpoint and describes the result, e.g.
/// "err -8", "closed", "refused timeout=0 session=0, then closed". The same probes run against our
/// in-process host and (when asked) against Apache ZooKeeper, so expectations are ZooKeeper's observed answers.
/// </summary>
internal sealed record WireScenario(string Name, Func<IPEndPoint, Task<string>> Probe)
{
    public override string ToString() => Name;
}

internal static class WireScenarios
{
    public const int JuteMaxBufferDefault = 0xfffff;

    private static readonly TimeSpan CloseGrace = TimeSpan.FromMilliseconds(300);

    /// <summary>Paths ZooKeeper's PathUtils refuses.</summary>
    public static readonly string[] BadPaths = ["", "a/b", "/a/", "//", "/a/./b", "/a/../b", "/a\u0000b"];

    public static string Show(string path) => "\"" + path.Replace("\0", "\\0") + "\"";

    // ---- building blocks ----

    private static byte[] ConnectPayload(long sessionId = 0, byte[]? password = null, bool? readOnly = false, int timeoutMs = 30_000) =>
        TestClient.Encode(new ConnectRequest(0, 0, timeoutMs, sessionId, password ?? new byte[16], readOnly).Write);

    /// <summary>"closed" if the server ends the connection within a few seconds (any bytes first are ignored), otherwise "open".</summary>
    private static async Task<string> ClosedOrOpenAsync(TestClient client) =>
        await client.WaitForCloseAsync(TimeSpan.FromSeconds(3)) ? "closed" : "open";

    /// <summary>Pings: "open" if the server answers, "closed" if the connection is gone.</summary>
    public static async Task<string> PingStateAsync(TestClient client)
    {
        try
        {
            await client.SendFrameAsync(TestClient.RequestPayload(Xids.Ping, (int)OpCode.Ping, null));
            for (int i = 0; i < 100; i++)
            {
                var reply = await client.ReadReplyAsync();
                if (reply is null) return "closed";
                if (reply.Xid == Xids.Ping) return "open";
            }
            return "no ping reply among 100 packets";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "closed";
        }
    }

    /// <summary>Sends raw bytes on a fresh connection (no handshake) and reports whether the server closes it.</summary>
    private static async Task<string> RawThenStateAsync(IPEndPoint ep, byte[] bytes)
    {
        await using var client = await TestClient.OpenAsync(ep);
        try
        {
            await client.SendRawAsync(bytes);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "closed";
        }
        return await ClosedOrOpenAsync(client);
    }

    /// <summary>A frame, or null when the server closes (or resets) the connection; a silent server is a timeout failure.</summary>
    private static async Task<byte[]?> ReadFrameOrClosedAsync(TestClient client)
    {
        try
        {
            return await client.ReadFrameAsync();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>Sends one request frame after a good handshake and describes the reply and the connection after it.</summary>
    private static async Task<string> AfterHandshakeAsync(IPEndPoint ep, Func<TestClient, byte[]> payload)
    {
        await using var client = await TestClient.ConnectAsync(ep);
        try
        {
            await client.SendFrameAsync(payload(client));
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "closed";
        }
        return await DescribeNextAsync(client);
    }

    private static async Task<string> DescribeNextAsync(TestClient client, int? expectXid = null)
    {
        WireReply? reply;
        try
        {
            reply = await client.ReadReplyAsync();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "closed";
        }
        if (reply is null) return "closed";
        string xid = expectXid is null || reply.Xid == expectXid ? "" : $" xid {reply.Xid}";
        // A server that closes after an error reply (ZooKeeper does for Unimplemented) does so at once; a ping
        // sent before that close lands could still be answered, so give the close a moment to show first.
        if (await client.WaitForCloseAsync(CloseGrace)) return $"err {reply.Err}{xid}, then closed";
        return $"err {reply.Err}{xid}, then {await PingStateAsync(client)}";
    }

    private static byte[] Frame(int length, int bodyBytes = 0)
    {
        var bytes = new byte[4 + bodyBytes];
        BinaryPrimitives.WriteInt32BigEndian(bytes, length);
        return bytes;
    }

    // ---- the scenarios ----

    public static IEnumerable<WireScenario> Connection()
    {
        yield return new("connect: frame of 5 garbage bytes", ep => RawThenStateAsync(ep, TestClient.Frame([1, 2, 3, 4, 5])));
        yield return new("connect: empty frame", ep => RawThenStateAsync(ep, Frame(0)));
        yield return new("connect: password length -5", ep =>
            RawThenStateAsync(ep, TestClient.Frame(new HandWire().Int(0).Long(0).Int(30_000).Long(0).Int(-5).Bytes(new byte[16]).ToArray())));
        yield return new("connect: password length past the frame", ep =>
            RawThenStateAsync(ep, TestClient.Frame(new HandWire().Int(0).Long(0).Int(30_000).Long(0).Int(1_000_000).Bytes(new byte[16]).ToArray())));
        yield return new("connect: cut inside sessionId", ep =>
            RawThenStateAsync(ep, TestClient.Frame(new HandWire().Int(0).Long(0).Int(30_000).Int(0).ToArray())));
        yield return new("frame length -1 before handshake", ep => RawThenStateAsync(ep, Frame(-1, 8)));
        yield return new("frame length int.MinValue before handshake", ep => RawThenStateAsync(ep, Frame(int.MinValue, 8)));
        yield return new("frame length int.MaxValue before handshake", ep => RawThenStateAsync(ep, Frame(int.MaxValue, 8)));
        yield return new("frame length jute.maxbuffer+1025 before handshake", ep => RawThenStateAsync(ep, Frame(JuteMaxBufferDefault + 1025, 64)));
        yield return new("frame length -1 after handshake", ep => AfterHandshakeRawAsync(ep, Frame(-1, 8)));
        yield return new("frame length jute.maxbuffer+1 after handshake", ep => AfterHandshakeRawAsync(ep, Frame(JuteMaxBufferDefault + 1, 64)));
        yield return new("frame length jute.maxbuffer+1025 after handshake", ep => AfterHandshakeRawAsync(ep, Frame(JuteMaxBufferDefault + 1025, 64)));
        yield return new("request as the first packet (no connect)", ep =>
            RawThenStateAsync(ep, TestClient.Frame(TestClient.RequestPayload(1, (int)OpCode.GetData, new PathWatchRequest(OpCode.GetData, "/", false)))));
        yield return new("connect and create pipelined before the connect response", PipelinedConnectAsync);
        yield return new("connect with an unknown session id", UnknownSessionAsync);
        yield return new("second connect request on one connection", ep =>
            AfterHandshakeAsync(ep, _ => ConnectPayload()));
        yield return new("four-letter word not in the whitelist (stat)", ep => FourLetterWordScenarioAsync(ep, "stat"));
        yield return new("four letters that are no word (abcd)", ep => RawThenStateAsync(ep, "abcd"u8.ToArray()));
        yield return new("four-letter word after the handshake (ruok)", ep => AfterHandshakeRawAsync(ep, "ruok"u8.ToArray()));
    }

    public static IEnumerable<WireScenario> Requests()
    {
        yield return new("create with a truncated body", ep => AfterHandshakeAsync(ep, c =>
        {
            var full = TestClient.RequestPayload(c.NextXid(), (int)OpCode.Create,
                new CreateRequest(OpCode.Create, "/truncated", [1, 2, 3], [.. Acl.OpenAclUnsafe], 0));
            return full[..^6];
        }));
        yield return new("getData with a truncated body", ep => AfterHandshakeAsync(ep, c =>
            TestClient.RequestPayload(c.NextXid(), (int)OpCode.GetData, null).Concat(new byte[] { 0, 0, 0, 9, (byte)'/' }).ToArray()));
        yield return new("request header cut short", ep => AfterHandshakeAsync(ep, _ => [0, 0, 0, 7, 0, 0]));
        yield return new("auth with a truncated body", ep => AfterHandshakeAsync(ep, _ =>
            TestClient.RequestPayload(Xids.Auth, (int)OpCode.Auth, new AuthPacket(0, "digest", "u:p"u8.ToArray()))[..^2]));
        yield return new("setWatches with a truncated body", ep => AfterHandshakeAsync(ep, _ =>
            TestClient.RequestPayload(Xids.SetWatches, (int)OpCode.SetWatches, null)
                .Concat(new HandWire().Long(0).Int(1).Str("/w").Int(0).ToArray()).ToArray()));
        yield return new("multi with a nested multi", ep => AfterHandshakeAsync(ep, c =>
            TestClient.RequestPayload(c.NextXid(), (int)OpCode.Multi, null)
                .Concat(new HandWire().Int((int)OpCode.Multi).Bytes([0]).Int(-1).Int(-1).Bytes([1]).Int(-1).Int(-1).Bytes([1]).Int(-1).ToArray()).ToArray()));
        yield return new("create with acl count int.MaxValue", ep => AfterHandshakeAsync(ep, c =>
            TestClient.RequestPayload(c.NextXid(), (int)OpCode.Create, null)
                .Concat(new HandWire().Str("/acl").Int(0).Int(int.MaxValue).Int(31).Str("world").Str("anyone").Int(0).ToArray()).ToArray()));
        yield return new("unknown opcode 999", ep => UnknownOpcodeAsync(ep, 999));
        yield return new("unknown opcode -77", ep => UnknownOpcodeAsync(ep, -77));
        yield return new("setData in a frame of exactly jute.maxbuffer bytes", ep => SetDataFrameAsync(ep, JuteMaxBufferDefault));
        yield return new("setData in a frame of jute.maxbuffer+1 bytes", ep => SetDataFrameAsync(ep, JuteMaxBufferDefault + 1));
        yield return new("setData with data of jute.maxbuffer bytes", ep => SetDataFrameAsync(ep, JuteMaxBufferDefault + 64));
        yield return new("setData with data of 2 x jute.maxbuffer bytes", ep => SetDataFrameAsync(ep, 2 * JuteMaxBufferDefault));
        yield return new("create with data of jute.maxbuffer+1 bytes", ep => AfterHandshakeAsync(ep, c =>
            TestClient.RequestPayload(c.NextXid(), (int)OpCode.Create,
                new CreateRequest(OpCode.Create, "/big", new byte[JuteMaxBufferDefault + 1], [.. Acl.OpenAclUnsafe], 0))));
    }

    /// <summary>One scenario per operation: every bad path sent on one session, answers joined with "; ".</summary>
    public static IEnumerable<WireScenario> BadPathScenarios()
    {
        yield return new("create bad paths", ep => EachBadPathAsync(ep, p => (OpCode.Create, new CreateRequest(OpCode.Create, p, [], [.. Acl.OpenAclUnsafe], 0))));
        yield return new("getData bad paths", ep => EachBadPathAsync(ep, p => (OpCode.GetData, new PathWatchRequest(OpCode.GetData, p, false))));
        yield return new("delete bad paths", ep => EachBadPathAsync(ep, p => (OpCode.Delete, new DeleteRequest(OpCode.Delete, p, -1))));
        yield return new("setData bad paths", ep => EachBadPathAsync(ep, p => (OpCode.SetData, new SetDataRequest(p, [1], -1))));
    }

    private static async Task<string> AfterHandshakeRawAsync(IPEndPoint ep, byte[] raw)
    {
        await using var client = await TestClient.ConnectAsync(ep);
        try
        {
            await client.SendRawAsync(raw);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "closed";
        }
        return await ClosedOrOpenAsync(client);
    }

    private static async Task<string> PipelinedConnectAsync(IPEndPoint ep)
    {
        await using var client = await TestClient.OpenAsync(ep);
        string path = "/pipelined-" + Guid.NewGuid().ToString("N");
        var create = TestClient.RequestPayload(1, (int)OpCode.Create, new CreateRequest(OpCode.Create, path, [7], [.. Acl.OpenAclUnsafe], 0));
        await client.SendRawAsync(TestClient.Frame(ConnectPayload()).Concat(TestClient.Frame(create)).ToArray());
        var connect = await ReadFrameOrClosedAsync(client);
        if (connect is null) return "closed before the connect response";
        var reply = await client.ReadReplyAsync();
        if (reply is null) return "connected, then closed";
        return $"connected, create xid {reply.Xid} err {reply.Err}";
    }

    private static async Task<string> FourLetterWordScenarioAsync(IPEndPoint ep, string word) =>
        "text " + (await TestClient.FourLetterWordAsync(ep, word)).Replace("\n", "\\n");

    private static async Task<string> UnknownSessionAsync(IPEndPoint ep)
    {
        await using var client = await TestClient.OpenAsync(ep);
        var response = await client.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0x0badc0ffee, new byte[16], false));
        if (response is null) return "closed";
        return $"timeout={response.TimeoutMs} session={response.SessionId} password={response.Password.Length} bytes, then {await ClosedOrOpenAsync(client)}";
    }

    private static async Task<string> UnknownOpcodeAsync(IPEndPoint ep, int opcode)
    {
        await using var client = await TestClient.ConnectAsync(ep);
        int xid = 4242;
        await client.SendFrameAsync(TestClient.RequestPayload(xid, opcode, null));
        return await DescribeNextAsync(client, xid);
    }

    /// <summary>A setData whose whole frame (header and body, without the length prefix) is <paramref name="frameBytes"/> long.</summary>
    private static async Task<string> SetDataFrameAsync(IPEndPoint ep, int frameBytes)
    {
        await using var client = await TestClient.ConnectAsync(ep);
        string path = "/sized-" + Guid.NewGuid().ToString("N");
        var created = await client.CreateAsync(path, [1]);
        if (created.Err != 0) return $"setup create failed: {created.Err}";
        int xid = client.NextXid();
        int overhead = TestClient.RequestPayload(xid, (int)OpCode.SetData, new SetDataRequest(path, [], -1)).Length;
        var payload = TestClient.RequestPayload(xid, (int)OpCode.SetData, new SetDataRequest(path, new byte[frameBytes - overhead], -1));
        try
        {
            await client.SendFrameAsync(payload);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "closed";
        }
        return await DescribeNextAsync(client);
    }

    private static async Task<string> EachBadPathAsync(IPEndPoint ep, Func<string, (OpCode, IRecord)> request)
    {
        await using var client = await TestClient.ConnectAsync(ep);
        // Real nodes next to the bad paths, so an answer of NoNode is not just "the parent is missing".
        await client.CreateAsync("/a", []);
        await client.CreateAsync("/a/b", []);
        var answers = new List<string>();
        foreach (string path in BadPaths)
        {
            var (op, body) = request(path);
            WireReply reply;
            try
            {
                reply = await client.CallAsync(op, body);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                answers.Add($"{Show(path)} closed");
                break;
            }
            answers.Add($"{Show(path)} {reply.Err}");
        }
        return string.Join("; ", answers);
    }
}

/// <summary>Hand-built jute bytes for scenarios that must send what no record would write.</summary>
internal sealed class HandWire
{
    private readonly List<byte> _bytes = [];

    public HandWire Int(int v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public HandWire Long(long v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, v);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public HandWire Bytes(byte[] raw)
    {
        _bytes.AddRange(raw);
        return this;
    }

    public HandWire Str(string s)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(s);
        return Int(utf8.Length).Bytes(utf8);
    }

    public byte[] ToArray() => [.. _bytes];
}

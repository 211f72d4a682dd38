// A minimal raw-socket ZooKeeper client for tests: handshake, framed requests, replies; every read has a timeout.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Host.Tests;

/// <summary>One reply: its header and the body bytes that follow it, still encoded.</summary>
internal sealed record WireReply(ReplyHeader Header, byte[] Body)
{
    public int Xid => Header.Xid;
    public int Err => Header.Err;

    public string ReadPath()
    {
        var r = new JuteReader(Body);
        return r.ReadRequiredString();
    }

    public (byte[] Data, Stat Stat) ReadGetData()
    {
        var r = new JuteReader(Body);
        byte[] data = r.ReadBuffer() ?? [];
        return (data, Stat.Read(ref r));
    }

    public Stat ReadStat()
    {
        var r = new JuteReader(Body);
        return Stat.Read(ref r);
    }

    public WatcherEvent ReadWatcherEvent()
    {
        var r = new JuteReader(Body);
        return WatcherEvent.Read(ref r);
    }
}

/// <summary>
/// Speaks ZooKeeper's client protocol over a plain socket with nothing clever in between, so a test can
/// send exactly the bytes it means (including wrong ones) and see exactly what comes back.
/// </summary>
internal sealed class TestClient : IAsyncDisposable
{
    /// <summary>The longest any single read or write waits before the test fails instead of hanging.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Frames larger than this are refused by the client, so a garbage length cannot make a test allocate gigabytes.</summary>
    public const int FrameBytesMax = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly TimeSpan _timeout;
    private int _nextXid = 1;

    private TestClient(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        _timeout = timeout;
    }

    public long SessionId { get; private set; }
    public byte[] Password { get; private set; } = [];

    /// <summary>Opens a TCP connection and sends nothing.</summary>
    /// <param name="receiveBufferBytes">A small receive buffer makes a client that does not read push back on the server quickly.</param>
    public static async Task<TestClient> OpenAsync(IPEndPoint endPoint, TimeSpan? timeout = null, int? receiveBufferBytes = null)
    {
        var t = timeout ?? DefaultTimeout;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes is { } bytes) socket.ReceiveBufferSize = bytes;
        try
        {
            using var cts = new CancellationTokenSource(t);
            await socket.ConnectAsync(endPoint, cts.Token);
            return new TestClient(socket, t);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens a connection and completes the handshake for a new session; fails the test if it is refused.</summary>
    public static async Task<TestClient> ConnectAsync(IPEndPoint endPoint, int sessionTimeoutMs = 30_000, TimeSpan? timeout = null, int? receiveBufferBytes = null)
    {
        var client = await OpenAsync(endPoint, timeout, receiveBufferBytes);
        try
        {
            var response = await client.HandshakeAsync(new ConnectRequest(0, 0, sessionTimeoutMs, 0, new byte[16], false));
            if (response is null || response.SessionId == 0 || response.TimeoutMs <= 0)
                throw new InvalidOperationException($"handshake refused: {response}");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a ConnectRequest and reads the ConnectResponse; null if the server closed the connection instead.</summary>
    public async Task<ConnectResponse?> HandshakeAsync(ConnectRequest request)
    {
        await SendFrameAsync(Encode(request.Write));
        var frame = await ReadFrameAsync();
        if (frame is null) return null;
        var r = new JuteReader(frame);
        var response = ConnectResponse.Read(ref r);
        SessionId = response.SessionId;
        Password = response.Password;
        return response;
    }

    public static byte[] Encode(Action<JuteWriter> write)
    {
        using var w = new JuteWriter();
        write(w);
        return w.ToArray();
    }

    /// <summary>A request packet's payload (header then body), without the length prefix.</summary>
    public static byte[] RequestPayload(int xid, int type, IRecord? body) => Encode(w =>
    {
        new RequestHeader(xid, type).Write(w);
        body?.Write(w);
    });

    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var framed = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed, payload.Length);
        payload.CopyTo(framed.AsSpan(4));
        return framed;
    }

    public int NextXid() => _nextXid++;

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        using var cts = new CancellationTokenSource(_timeout);
        int sent = 0;
        while (sent < bytes.Length)
            sent += await _socket.SendAsync(bytes[sent..], SocketFlags.None, cts.Token);
    }

    public Task SendFrameAsync(ReadOnlySpan<byte> payload) => SendRawAsync(Frame(payload));

    /// <summary>Sends a request with the next xid and returns that xid.</summary>
    public async Task<int> SendAsync(OpCode op, IRecord? body)
    {
        int xid = NextXid();
        await SendFrameAsync(RequestPayload(xid, (int)op, body));
        return xid;
    }

    /// <summary>Sends a request and reads replies until the one with its xid, skipping notifications and pings.</summary>
    public async Task<WireReply> CallAsync(OpCode op, IRecord? body)
    {
        int xid = await SendAsync(op, body);
        return await ReadReplyForAsync(xid);
    }

    public async Task<WireReply> ReadReplyForAsync(int xid)
    {
        // Bounded: a well-behaved server sends a few notifications at most before our reply.
        for (int skipped = 0; skipped < 1000; skipped++)
        {
            var reply = await ReadReplyAsync() ?? throw new IOException($"connection closed while waiting for the reply to xid {xid}");
            if (reply.Xid == xid) return reply;
            if (reply.Xid is not (Xids.Notification or Xids.Ping))
                throw new InvalidOperationException($"reply for xid {reply.Xid} arrived while waiting for {xid}");
        }
        throw new InvalidOperationException($"no reply for xid {xid} among 1000 packets");
    }

    /// <summary>Reads one reply; null when the server closed the connection.</summary>
    public async Task<WireReply?> ReadReplyAsync()
    {
        var frame = await ReadFrameAsync();
        if (frame is null) return null;
        var r = new JuteReader(frame);
        var header = ReplyHeader.Read(ref r);
        return new WireReply(header, r.Rest.ToArray());
    }

    /// <summary>Reads one length-prefixed frame; null on a clean or reset end of stream; throws on timeout.</summary>
    public async Task<byte[]?> ReadFrameAsync()
    {
        var prefix = new byte[4];
        if (!await ReadExactlyAsync(prefix)) return null;
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length is < 0 or > FrameBytesMax) throw new InvalidDataException($"server sent a frame length of {length}");
        var frame = new byte[length];
        if (!await ReadExactlyAsync(frame)) throw new IOException($"connection closed inside a {length}-byte frame");
        return frame;
    }

    /// <summary>Fills <paramref name="buffer"/>; false if the stream ended (or was reset) before the first byte.</summary>
    private async Task<bool> ReadExactlyAsync(byte[] buffer)
    {
        using var cts = new CancellationTokenSource(_timeout);
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                n = 0;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no data from the server within {_timeout.TotalSeconds} s");
            }
            if (n == 0)
            {
                if (read == 0) return false;
                throw new IOException($"connection closed after {read} of {buffer.Length} bytes");
            }
            read += n;
        }
        return true;
    }

    /// <summary>True when the server closes the connection within the timeout; bytes that arrive first are discarded.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? _timeout);
        var sink = new byte[4096];
        try
        {
            // Bounded by the timeout; each pass either reads bytes or ends.
            while (true)
            {
                int n = await _socket.ReceiveAsync(sink, SocketFlags.None, cts.Token);
                if (n == 0) return true;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Reads everything until the server closes the stream (four-letter word answers).</summary>
    public async Task<string> ReadToEndAsync(int bytesMax = 1024 * 1024)
    {
        using var cts = new CancellationTokenSource(_timeout);
        using var text = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            while (text.Length < bytesMax)
            {
                int n = await _socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
                if (n == 0) break;
                text.Write(chunk, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted) { }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the server did not close the stream within {_timeout.TotalSeconds} s");
        }
        return Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>Sends a four-letter word on a fresh connection and returns the whole answer.</summary>
    public static async Task<string> FourLetterWordAsync(IPEndPoint endPoint, string word)
    {
        await using var client = await OpenAsync(endPoint);
        await client.SendRawAsync(Encoding.ASCII.GetBytes(word));
        return await client.ReadToEndAsync();
    }

    // ---- typed helpers for the well-behaved path ----

    public Task<WireReply> CreateAsync(string path, byte[] data, int flags = 0) =>
        CallAsync(OpCode.Create, new CreateRequest(OpCode.Create, path, data, [.. Acl.OpenAclUnsafe], flags));

    public Task<WireReply> GetDataAsync(string path) => CallAsync(OpCode.GetData, new PathWatchRequest(OpCode.GetData, path, false));

    public Task<WireReply> SetDataAsync(string path, byte[] data, int version = -1) =>
        CallAsync(OpCode.SetData, new SetDataRequest(path, data, version));

    public Task<WireReply> DeleteAsync(string path, int version = -1) =>
        CallAsync(OpCode.Delete, new DeleteRequest(OpCode.Delete, path, version));

    public Task<WireReply> ExistsAsync(string path) => CallAsync(OpCode.Exists, new PathWatchRequest(OpCode.Exists, path, false));

    /// <summary>Closes the session politely (closeSession), then the socket.</summary>
    public async Task CloseSessionAsync()
    {
        int xid = await SendAsync(OpCode.CloseSession, null);
        await ReadReplyForAsync(xid);
    }

    /// <summary>Makes the coming close a reset (RST) instead of an orderly FIN, as a crashed client would.</summary>
    public void Abort()
    {
        try { _socket.LingerState = new LingerOption(true, 0); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public ValueTask DisposeAsync()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

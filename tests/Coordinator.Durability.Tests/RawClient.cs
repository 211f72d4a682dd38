// Test helper: a small pipelining ZooKeeper client over a raw socket, built on Coordinator.Jute's records.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Durability.Tests;

/// <summary>One reply: its header and the body bytes after it, still encoded.</summary>
internal sealed record Reply(ReplyHeader Header, byte[] Body)
{
    public int Err => Header.Err;
    public long Zxid => Header.Zxid;

    public string ReadPath()
    {
        var r = new JuteReader(Body);
        return r.ReadRequiredString();
    }

    public (byte[]? Data, Stat Stat) ReadGetData()
    {
        var r = new JuteReader(Body);
        byte[]? data = r.ReadBuffer();
        return (data, Stat.Read(ref r));
    }

    public Stat ReadStat()
    {
        var r = new JuteReader(Body);
        return Stat.Read(ref r);
    }

    public List<string> ReadChildren()
    {
        var r = new JuteReader(Body);
        return r.ReadStringVector();
    }
}

/// <summary>
/// Requests may be pipelined: each send registers its xid and returns a task the reader completes when the
/// reply arrives. When the connection ends (the server was killed), every request still waiting fails with
/// an <see cref="IOException"/>: its outcome is unknown, so a test must not count it as acknowledged.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    /// <summary>A garbage length from a broken server must not make the test allocate gigabytes.</summary>
    private const int FrameBytesMax = 16 * 1024 * 1024;

    public const int ErrNoNode = -101;
    public const int FlagEphemeral = 1;

    private static readonly List<Acl> OpenAcl = [new(31, new Id("world", "anyone"))];

    private readonly Socket _socket;
    private readonly TimeSpan _timeout;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<int, TaskCompletionSource<Reply>> _pending = new();
    private readonly ConcurrentQueue<TaskCompletionSource<Reply>> _pings = new();
    private readonly CancellationTokenSource _closing = new();
    private Task _reader = Task.CompletedTask;
    private Task _sender = Task.CompletedTask;
    private int _nextXid;
    private volatile bool _broken;
    private int _disposed;

    private RawClient(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        _timeout = timeout;
    }

    public long SessionId { get; private set; }
    public byte[] Password { get; private set; } = [];
    public int NegotiatedTimeoutMs { get; private set; }

    /// <summary>True once the connection has ended; nothing more will be answered.</summary>
    public bool Broken => _broken;

    /// <summary>Connects and opens a new session; throws if the server refuses or does not answer in time.</summary>
    public static async Task<RawClient> ConnectAsync(IPEndPoint endPoint, int sessionTimeoutMs, TimeSpan timeout) =>
        await ResumeAsync(endPoint, sessionTimeoutMs, 0, new byte[16], timeout)
        ?? throw new InvalidOperationException($"{endPoint} refused a new session");

    /// <summary>Connects with an existing session's id and password; null when the server says the session is gone.</summary>
    public static async Task<RawClient?> ResumeAsync(IPEndPoint endPoint, int sessionTimeoutMs, long sessionId, byte[] password, TimeSpan timeout, long lastZxidSeen = 0)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var client = new RawClient(socket, timeout);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(endPoint, cts.Token);
            await client.SendFrameAsync(Encode(w => new ConnectRequest(0, lastZxidSeen, sessionTimeoutMs, sessionId, password, false).Write(w)), cts.Token);
            var frame = await client.ReadFrameAsync(cts.Token) ?? throw new IOException("the server closed the connection instead of answering the handshake");
            var r = new JuteReader(frame);
            var response = ConnectResponse.Read(ref r);
            if (response.SessionId == 0 || response.TimeoutMs <= 0)
            {
                await client.DisposeAsync();
                return null;
            }
            client.SessionId = response.SessionId;
            client.Password = response.Password;
            client.NegotiatedTimeoutMs = response.TimeoutMs;
            client._reader = Task.Run(client.ReadLoopAsync);
            client._sender = Task.Run(client.SendLoopAsync);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    public Task<Reply> CreateAsync(string path, byte[] data, int flags = 0) =>
        SendAsync(OpCode.Create, new CreateRequest(OpCode.Create, path, data, OpenAcl, flags));

    public Task<Reply> SetDataAsync(string path, byte[] data, int version = -1) =>
        SendAsync(OpCode.SetData, new SetDataRequest(path, data, version));

    public Task<Reply> GetDataAsync(string path) => SendAsync(OpCode.GetData, new PathWatchRequest(OpCode.GetData, path, false));

    public Task<Reply> ExistsAsync(string path) => SendAsync(OpCode.Exists, new PathWatchRequest(OpCode.Exists, path, false));

    public Task<Reply> GetChildrenAsync(string path) => SendAsync(OpCode.GetChildren, new PathWatchRequest(OpCode.GetChildren, path, false));

    public Task<Reply> CloseSessionAsync() => SendAsync(OpCode.CloseSession, null);

    /// <summary>A ping (xid -2); the server answers pings in order, so a FIFO matches them.</summary>
    public async Task PingAsync()
    {
        var tcs = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings.Enqueue(tcs);
        Queue(Xids.Ping, OpCode.Ping, null);
        await tcs.Task.WaitAsync(_timeout);
    }

    /// <summary>Queues a request now and returns the task of its reply; the task faults with IOException if the connection ends first.</summary>
    public Task<Reply> SendAsync(OpCode op, IRecord? body)
    {
        int xid = Interlocked.Increment(ref _nextXid);
        var tcs = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[xid] = tcs;
        Queue(xid, op, body);
        if (_broken) FailPending();
        return tcs.Task;
    }

    /// <summary>Sends and waits for the reply, bounded by the client's timeout.</summary>
    public async Task<Reply> CallAsync(OpCode op, IRecord? body) => await SendAsync(op, body).WaitAsync(_timeout);

    /// <summary>Requests leave in the order they were queued (one sender), so pipelined setData values stay in order.</summary>
    private void Queue(int xid, OpCode op, IRecord? body)
    {
        byte[] payload = Encode(w =>
        {
            new RequestHeader(xid, (int)op).Write(w);
            body?.Write(w);
        });
        if (!_outgoing.Writer.TryWrite(payload)) Break();
    }

    private async Task SendLoopAsync()
    {
        try
        {
            // Bounded by the connection: the channel completes when the client is disposed or the connection breaks.
            await foreach (byte[] payload in _outgoing.Reader.ReadAllAsync(_closing.Token))
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
                cts.CancelAfter(_timeout);
                await SendFrameAsync(payload, cts.Token);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the connection ended; waiting requests are failed below
        }
        Break();
    }

    private static byte[] Encode(Action<JuteWriter> write)
    {
        using var w = new JuteWriter();
        write(w);
        return w.ToArray();
    }

    private async Task SendFrameAsync(byte[] payload, CancellationToken ct)
    {
        var framed = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed, payload.Length);
        payload.CopyTo(framed.AsSpan(4));
        int sent = 0;
        while (sent < framed.Length) sent += await _socket.SendAsync(framed.AsMemory(sent), SocketFlags.None, ct);
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            // Bounded by the connection: it ends when the server closes it, or when this client is disposed.
            while (true)
            {
                var frame = await ReadFrameAsync(_closing.Token);
                if (frame is null) break;
                var r = new JuteReader(frame);
                var header = ReplyHeader.Read(ref r);
                var reply = new Reply(header, r.Rest.ToArray());
                if (header.Xid == Xids.Ping)
                {
                    if (_pings.TryDequeue(out var ping)) ping.TrySetResult(reply);
                }
                else if (header.Xid != Xids.Notification && _pending.TryRemove(header.Xid, out var tcs))
                {
                    tcs.TrySetResult(reply);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
        {
            // the connection ended; every waiting request is failed below
        }
        Break();
    }

    private void Break()
    {
        _broken = true;
        _outgoing.Writer.TryComplete();
        FailPending();
    }

    private void FailPending()
    {
        foreach (int xid in _pending.Keys)
        {
            if (_pending.TryRemove(xid, out var tcs)) tcs.TrySetException(new IOException($"connection lost before the reply to xid {xid}"));
        }
        while (_pings.TryDequeue(out var ping)) ping.TrySetException(new IOException("connection lost before a ping reply"));
    }

    /// <summary>One length-prefixed frame; null on a clean end of stream before its first byte.</summary>
    private async Task<byte[]?> ReadFrameAsync(CancellationToken ct)
    {
        var prefix = new byte[4];
        if (!await ReadExactlyAsync(prefix, ct)) return null;
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length is < 0 or > FrameBytesMax) throw new InvalidDataException($"frame length {length}");
        var frame = new byte[length];
        if (!await ReadExactlyAsync(frame, ct)) throw new IOException($"connection closed inside a {length}-byte frame");
        return frame;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken ct)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                n = 0;
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

    /// <summary>Closes the socket without closing the session, as a client that crashed or went away would.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _closing.Cancel();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _socket.Dispose();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { await Task.WhenAll(_reader, _sender).WaitAsync(cts.Token); } catch (OperationCanceledException) { }
        }
        Break();
        _closing.Dispose();
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static string Utf8(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);
}

// One benchmark session over raw jute: pipelined requests, replies matched in order (ZooKeeper answers a session FIFO).
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Bench;

internal sealed class BenchConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Queue<(long StartTicks, TaskCompletionSource<int> Done)> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Task _reader;
    private int _xid;
    private long _lastZxid;

    /// <summary>The zxid in the newest reply header: its high 32 bits are the epoch of the leader that committed it.</summary>
    public long LastZxid => Volatile.Read(ref _lastZxid);

    /// <summary>Notifications (xid -1) seen, with the time each arrived.</summary>
    public Action<long>? OnNotification { get; set; }

    private BenchConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = Task.Run(ReadLoopAsync);
    }

    public static async Task<BenchConnection> OpenAsync(string host, int port, int timeoutMs, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(host, port, ct);
        using var w = new JuteWriter();
        int at = w.ReserveLength();
        new ConnectRequest(0, 0, timeoutMs, 0, new byte[16], false).Write(w);
        w.PatchLength(at);
        await socket.SendAsync(w.WrittenMemory, ct);
        var frame = await ReadFrameAsync(socket, ct) ?? throw new IOException("server closed during connect");
        var r = new JuteReader(frame);
        var response = ConnectResponse.Read(ref r);
        if (response.SessionId == 0) throw new IOException("server refused the session");
        return new BenchConnection(socket);
    }

    private static async Task<byte[]?> ReadFrameAsync(Socket socket, CancellationToken ct)
    {
        var len = new byte[4];
        if (!await FillAsync(socket, len, ct)) return null;
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(len)];
        return await FillAsync(socket, frame, ct) ? frame : null;
    }

    private static async Task<bool> FillAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer, ct);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    /// <summary>Sends one request and completes with its error code when the reply arrives.</summary>
    public Task<int> CallAsync(Request request) => SendAsync(request.Op, request);

    /// <summary>Frames and sends a request (a body-less one when <paramref name="body"/> is null) and queues its reply slot.</summary>
    private async Task<int> SendAsync(OpCode op, Request? body)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var w = new JuteWriter();
        int at = w.ReserveLength();
        await _writeLock.WaitAsync();
        try
        {
            new RequestHeader(++_xid, (int)op).Write(w);
            body?.Write(w);
            w.PatchLength(at);
            lock (_pending) _pending.Enqueue((Stopwatch.GetTimestamp(), done));
            await _stream.WriteAsync(w.WrittenMemory);
        }
        finally
        {
            _writeLock.Release();
        }
        return await done.Task;
    }

    private async Task ReadLoopAsync()
    {
        var buffered = new BufferedStream(_stream, 64 * 1024);
        var len = new byte[4];
        var header = new byte[16];
        try
        {
            while (true)
            {
                await buffered.ReadExactlyAsync(len);
                int n = BinaryPrimitives.ReadInt32BigEndian(len);
                var frame = new byte[n];
                await buffered.ReadExactlyAsync(frame);
                int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
                int err = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(12));
                if (xid == -1) { OnNotification?.Invoke(Stopwatch.GetTimestamp()); continue; }
                if (xid < 0) continue;
                Volatile.Write(ref _lastZxid, BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(4)));
                (long, TaskCompletionSource<int> Done) p;
                bool matched;
                lock (_pending) matched = _pending.TryDequeue(out p);
                if (matched) p.Done.TrySetResult(err); // unmatched: the closeSession reply, nobody waits for it

            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException or SocketException or NotSupportedException)
        {
            // NotSupportedException: the stream was disposed under the read (a closed session's connection).
            lock (_pending)
                while (_pending.TryDequeue(out var p)) p.Done.TrySetException(new IOException("connection lost", e));
        }
    }

    /// <summary>Closes the session and waits for the server's answer (session churn measures this round trip).</summary>
    public async Task CloseSessionAsync()
    {
        await SendAsync(OpCode.CloseSession, null).WaitAsync(TimeSpan.FromSeconds(10));
        _closed = true;
    }

    private bool _closed;

    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            _stream.Dispose();
            try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception e) when (e is TimeoutException) { }
            return;
        }
        try
        {
            using var w = new JuteWriter();
            int at = w.ReserveLength();
            new RequestHeader(++_xid, (int)OpCode.CloseSession).Write(w);
            w.PatchLength(at);
            await _stream.WriteAsync(w.WrittenMemory).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            await Task.Delay(20);
        }
        catch (Exception e) when (e is IOException or TimeoutException or ObjectDisposedException or SocketException) { }
        _stream.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception e) when (e is TimeoutException) { }
    }
}

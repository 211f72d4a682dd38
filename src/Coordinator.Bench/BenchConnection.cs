// One benchmark session over raw jute: pipelined requests, replies matched in order (ZooKeeper answers a session FIFO).
//
// The load generator shares the machine's cores with the server it measures, so it must cost little per request:
// replies are dispatched on the reading thread (a lane's next request is built right there, without a thread-pool
// hop), and requests queued while the reader is dispatching, or while a send is under way, leave in one send.
using System.Buffers.Binary;
using System.Net.Sockets;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Bench;

internal sealed class BenchConnection : IAsyncDisposable
{
    private const int ReadBufferBytes = 64 * 1024;
    private const int SocketBufferBytes = 1024 * 1024;

    private readonly Socket _socket;
    private readonly Task _reader;
    // _gate guards the xid, the reply slots, the outgoing buffer and the two flags below.
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource<int>> _pending = new();
    private JuteWriter _outgoing = new(16 * 1024);
    private JuteWriter _sending = new(16 * 1024);
    /// <summary>The reader is completing replies: what they send is flushed by the reader when it is done.</summary>
    private bool _dispatching;
    /// <summary>A thread is sending: what is queued meanwhile goes out in its next send.</summary>
    private bool _flushing;
    private Exception? _lost;
    private int _xid;
    private long _lastZxid;
    private bool _closed;

    /// <summary>The zxid in the newest reply header: its high 32 bits are the epoch of the leader that committed it.</summary>
    public long LastZxid => Volatile.Read(ref _lastZxid);

    /// <summary>Notifications (xid -1) seen, with the time each arrived; runs on the reading thread.</summary>
    public Action<long>? OnNotification { get; set; }

    private BenchConnection(Socket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public static async Task<BenchConnection> OpenAsync(string host, int port, int timeoutMs, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true, SendBufferSize = SocketBufferBytes, ReceiveBufferSize = SocketBufferBytes,
        };
        try
        {
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
        catch
        {
            socket.Dispose();
            throw;
        }
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

    /// <summary>
    /// Queues one request and completes with its error code when the reply arrives. The caller's continuation runs
    /// on the reading thread: it must not block.
    /// </summary>
    public Task<int> CallAsync(Request request) => Send(request.Op, request);

    /// <summary>Closes the session and waits for the server's answer (session churn measures this round trip).</summary>
    public async Task CloseSessionAsync()
    {
        await Send(OpCode.CloseSession, null).WaitAsync(TimeSpan.FromSeconds(10));
        _closed = true;
    }

    /// <summary>Frames a request (a body-less one when <paramref name="body"/> is null) into the outgoing buffer.</summary>
    private Task<int> Send(OpCode op, Request? body)
    {
        // Continuations run synchronously, on the reader, when the reply arrives.
        var done = new TaskCompletionSource<int>();
        bool flush;
        lock (_gate)
        {
            if (_lost is not null) return Task.FromException<int>(new IOException("connection lost", _lost));
            int at = _outgoing.ReserveLength();
            new RequestHeader(++_xid, (int)op).Write(_outgoing);
            body?.Write(_outgoing);
            _outgoing.PatchLength(at);
            _pending.Enqueue(done);
            flush = !_dispatching && !_flushing;
            if (flush) _flushing = true;
        }
        if (flush) Flush();
        return done.Task;
    }

    /// <summary>Sends what is queued until nothing is; the caller has set <see cref="_flushing"/>.</summary>
    private void Flush()
    {
        try
        {
            while (true)
            {
                JuteWriter batch;
                lock (_gate)
                {
                    if (_outgoing.Length == 0)
                    {
                        _flushing = false;
                        return;
                    }
                    batch = _outgoing;
                    _outgoing = _sending;
                    _sending = batch;
                }
                int at = 0;
                while (at < batch.Length)
                {
                    // An async send that completes at once costs no thread hop; one that has to wait for room in the
                    // socket finishes on its own, so the thread that queued (it may be the event thread) never blocks.
                    var sending = _socket.SendAsync(batch.WrittenMemory[at..], SocketFlags.None);
                    if (!sending.IsCompleted)
                    {
                        _ = SendRestAsync(sending, batch, at);
                        return;
                    }
                    at += sending.GetAwaiter().GetResult();
                }
                batch.Reset();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Lose();
        }
    }

    /// <summary>Finishes a batch the socket could not take at once, then goes on flushing (still the flushing thread's turn).</summary>
    private async Task SendRestAsync(ValueTask<int> sending, JuteWriter batch, int at)
    {
        try
        {
            at += await sending;
            while (at < batch.Length) at += await _socket.SendAsync(batch.WrittenMemory[at..], SocketFlags.None);
            batch.Reset();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Lose();
            return;
        }
        Flush();
    }

    private void Lose()
    {
        lock (_gate) _flushing = false;
        // The reader fails every waiting request once the socket is gone.
        _socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[ReadBufferBytes];
        int filled = 0;
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                if (n == 0) throw new EndOfStreamException("the server closed the connection");
                filled += n;
                int used = DispatchFrames(buffer.AsSpan(0, filled));
                filled -= used;
                buffer.AsSpan(used, filled).CopyTo(buffer);
                // A frame larger than the buffer: make room for all of it.
                if (filled >= 4 && BinaryPrimitives.ReadInt32BigEndian(buffer) + 4 is var whole && whole > buffer.Length)
                {
                    var bigger = new byte[whole];
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    buffer = bigger;
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException or SocketException)
        {
            List<TaskCompletionSource<int>> waiting;
            lock (_gate)
            {
                _lost = e;
                waiting = [.. _pending];
                _pending.Clear();
            }
            foreach (var p in waiting) p.TrySetException(new IOException("connection lost", e));
        }
    }

    /// <summary>Completes the reply slot of every whole frame in <paramref name="bytes"/>; returns the bytes used.</summary>
    private int DispatchFrames(ReadOnlySpan<byte> bytes)
    {
        lock (_gate) _dispatching = true;
        int used = 0;
        try
        {
            while (bytes.Length - used >= 4)
            {
                int n = BinaryPrimitives.ReadInt32BigEndian(bytes[used..]);
                if (n < 16) throw new IOException($"reply frame of {n} bytes is shorter than a reply header");
                if (bytes.Length - used - 4 < n) break;
                var frame = bytes.Slice(used + 4, n);
                used += 4 + n;
                int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
                int err = BinaryPrimitives.ReadInt32BigEndian(frame[12..]);
                if (xid == -1) { OnNotification?.Invoke(System.Diagnostics.Stopwatch.GetTimestamp()); continue; }
                if (xid < 0) continue;
                Volatile.Write(ref _lastZxid, BinaryPrimitives.ReadInt64BigEndian(frame[4..]));
                TaskCompletionSource<int>? slot;
                lock (_gate) _pending.TryDequeue(out slot);
                slot?.TrySetResult(err); // runs the waiting lane, which queues its next request
            }
        }
        finally
        {
            bool flush;
            lock (_gate)
            {
                _dispatching = false;
                flush = !_flushing && _outgoing.Length > 0;
                if (flush) _flushing = true;
            }
            if (flush) Flush();
        }
        return used;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            // Close the session so the server does not keep it (and its load) until it times out.
            try { await Send(OpCode.CloseSession, null).WaitAsync(TimeSpan.FromSeconds(2)); }
            catch (Exception e) when (e is IOException or TimeoutException) { }
        }
        _socket.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch (Exception e) when (e is TimeoutException) { }
        _outgoing.Dispose();
        _sending.Dispose();
    }
}

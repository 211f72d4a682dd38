// One TCP connection to one server: connect, handshake, then frame packets out and in with pings. It only moves bytes.
using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Client.Connection;

/// <summary>Receives each complete frame (without its length prefix) on the receive loop; throwing drops the connection.</summary>
internal interface IFrameHandler
{
    void OnFrame(ReadOnlySpan<byte> frame);
}

internal sealed class Transport : IDisposable
{
    /// <summary>Bytes gathered into one socket send when many small requests are queued at once.</summary>
    private const int SendBatchBytes = 64 * 1024;

    private const int ReceiveBufferBytesInitial = 16 * 1024;

    private readonly Socket _socket;
    private readonly int _frameBytesMax;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _abort = new();
    private byte[] _receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytesInitial);
    private int _receiveStart;
    private int _receiveEnd;
    private long _lastSendTimestamp;
    private long _lastReceiveTimestamp;

    private Transport(Socket socket, ServerAddress server, int packetBytesMax, TimeProvider time)
    {
        _socket = socket;
        Server = server;
        _frameBytesMax = packetBytesMax + Limits.PacketSlackBytes;
        _time = time;
        _lastSendTimestamp = _lastReceiveTimestamp = time.GetTimestamp();
    }

    public ServerAddress Server { get; }

    public static async Task<Transport> ConnectAsync(ServerAddress server, int packetBytesMax, TimeProvider time, CancellationToken cancellation)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, cancellation).ConfigureAwait(false);
            return new Transport(socket, server, packetBytesMax, time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends the ConnectRequest (a bare length-prefixed record, no header) and reads the ConnectResponse.</summary>
    public async Task<ConnectResponse> HandshakeAsync(ConnectRequest request, CancellationToken cancellation)
    {
        using (var writer = new JuteWriter())
        {
            int at = writer.ReserveLength();
            request.Write(writer);
            writer.PatchLength(at);
            await SendAsync(writer.WrittenMemory, cancellation).ConfigureAwait(false);
        }
        var (offset, length) = await ReadFrameAsync(cancellation).ConfigureAwait(false);
        var reader = new JuteReader(_receive.AsSpan(offset, length));
        return ConnectResponse.Read(ref reader);
    }

    /// <summary>Drops the connection from outside (test hook, close); the loops end with an error and the session reconnects.</summary>
    public void Abort()
    {
        try { _abort.Cancel(); } catch (ObjectDisposedException) { }
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Runs until the connection fails: sends <paramref name="first"/> (watch and auth re-registration) ahead of the
    /// queue, pings when idle for a third of the session timeout, and gives up when the server has been silent for
    /// two thirds of it. Returns the reason the connection ended.
    /// </summary>
    public async Task<Exception> RunAsync(RequestQueue queue, IReadOnlyList<PendingRequest> first, IFrameHandler handler,
        TimeSpan sessionTimeout, Func<PendingRequest> ping, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _abort.Token);
        var loops = new[]
        {
            Task.Run(() => ReceiveLoopAsync(handler, stop.Token), CancellationToken.None),
            Task.Run(() => SendLoopAsync(queue, first, stop.Token), CancellationToken.None),
            Task.Run(() => HeartbeatAsync(queue, sessionTimeout, ping, stop.Token), CancellationToken.None),
        };
        var ended = await Task.WhenAny(loops).ConfigureAwait(false);
        stop.Cancel();
        Abort();
        try { await Task.WhenAll(loops).ConfigureAwait(false); } catch (Exception) { /* the first failure is the reason */ }
        return ended.Exception?.GetBaseException() ?? new IOException("connection closed");
    }

    private async Task ReceiveLoopAsync(IFrameHandler handler, CancellationToken cancellation)
    {
        while (true)
        {
            var (offset, length) = await ReadFrameAsync(cancellation).ConfigureAwait(false);
            handler.OnFrame(_receive.AsSpan(offset, length));
        }
    }

    private async Task SendLoopAsync(RequestQueue queue, IReadOnlyList<PendingRequest> first, CancellationToken cancellation)
    {
        byte[] batch = ArrayPool<byte>.Shared.Rent(SendBatchBytes);
        try
        {
            int used = 0;
            foreach (var packet in first) used = await AppendAsync(queue, packet, batch, used, cancellation).ConfigureAwait(false);
            var reader = queue.Outgoing;
            while (true)
            {
                while (used < SendBatchBytes / 2 && reader.TryRead(out var packet))
                    used = await AppendAsync(queue, packet, batch, used, cancellation).ConfigureAwait(false);
                if (used > 0)
                {
                    await SendAsync(batch.AsMemory(0, used), cancellation).ConfigureAwait(false);
                    used = 0;
                    continue;
                }
                if (!await reader.WaitToReadAsync(cancellation).ConfigureAwait(false)) return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    /// <summary>Stamps the xid, records the request as sent and copies its frame into the batch (flushing it when full).</summary>
    private async ValueTask<int> AppendAsync(RequestQueue queue, PendingRequest packet, byte[] batch, int used, CancellationToken cancellation)
    {
        if (packet.IsCompleted)
        {
            // Cancelled before it went out: nothing was sent, nothing to match.
            packet.ReleaseFrame();
            return used;
        }
        var frame = RequestQueue.Frame(packet).WrittenMemory;
        packet.Xid = packet.Kind switch
        {
            PacketKind.Request => queue.NextXid(),
            PacketKind.Ping => Xids.Ping,
            PacketKind.Auth => Xids.Auth,
            _ => Xids.SetWatches,
        };
        BinaryPrimitives.WriteInt32BigEndian(MemoryMarshal.AsMemory(frame).Span.Slice(4, 4), packet.Xid);
        queue.MarkSent(packet);
        try
        {
            if (used + frame.Length > batch.Length)
            {
                if (used > 0) await SendAsync(batch.AsMemory(0, used), cancellation).ConfigureAwait(false);
                used = 0;
                if (frame.Length > batch.Length)
                {
                    await SendAsync(frame, cancellation).ConfigureAwait(false);
                    return 0;
                }
            }
            frame.Span.CopyTo(batch.AsSpan(used));
            return used + frame.Length;
        }
        finally
        {
            packet.ReleaseFrame();
        }
    }

    private async Task HeartbeatAsync(RequestQueue queue, TimeSpan sessionTimeout, Func<PendingRequest> ping, CancellationToken cancellation)
    {
        // ZooKeeper's client: read timeout is 2/3 of the session timeout, and it pings after half of that idle.
        var readTimeout = sessionTimeout * 2 / 3;
        var pingAfter = readTimeout / 2;
        var tick = TimeSpan.FromMilliseconds(Math.Max(10, pingAfter.TotalMilliseconds / 4));
        using var timer = new PeriodicTimer(tick, _time);
        long lastTick = _time.GetTimestamp();
        while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
        {
            long now = _time.GetTimestamp();
            bool stalled = _time.GetElapsedTime(lastTick, now) > tick * 3;
            lastTick = now;
            // A late tick means this process was not running (GC, starved thread pool, suspended VM); the silence it
            // saw is ours, not the server's, and so are bytes already waiting in the socket.
            if (stalled || BytesWaiting()) Volatile.Write(ref _lastReceiveTimestamp, Math.Max(Volatile.Read(ref _lastReceiveTimestamp), now - TicksOf(tick)));
            if (_time.GetElapsedTime(Volatile.Read(ref _lastReceiveTimestamp), now) > readTimeout)
                throw new TimeoutException($"no reply from {Server} for {readTimeout.TotalMilliseconds:F0} ms");
            if (_time.GetElapsedTime(Volatile.Read(ref _lastSendTimestamp), now) >= pingAfter && queue.TryEnqueue(ping()))
                Volatile.Write(ref _lastSendTimestamp, now);
        }
    }

    private bool BytesWaiting()
    {
        try { return _socket.Available > 0; }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { return false; }
    }

    private long TicksOf(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellation)
    {
        while (bytes.Length > 0)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellation).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
        Volatile.Write(ref _lastSendTimestamp, _time.GetTimestamp());
    }

    /// <summary>Returns the next frame's position in the receive buffer; it stays valid until the next call.</summary>
    private async ValueTask<(int Offset, int Length)> ReadFrameAsync(CancellationToken cancellation)
    {
        while (true)
        {
            int available = _receiveEnd - _receiveStart;
            if (available >= 4)
            {
                int length = BinaryPrimitives.ReadInt32BigEndian(_receive.AsSpan(_receiveStart, 4));
                if (length < 0 || length > _frameBytesMax)
                    throw new JuteException($"frame of {length} bytes from {Server} exceeds the {_frameBytesMax}-byte limit");
                if (available >= 4 + length)
                {
                    int offset = _receiveStart + 4;
                    _receiveStart += 4 + length;
                    return (offset, length);
                }
                MakeRoom(4 + length);
            }
            else
            {
                MakeRoom(4);
            }
            int read = await _socket.ReceiveAsync(_receive.AsMemory(_receiveEnd), SocketFlags.None, cancellation).ConfigureAwait(false);
            if (read == 0) throw new IOException($"{Server} closed the connection");
            _receiveEnd += read;
            Volatile.Write(ref _lastReceiveTimestamp, _time.GetTimestamp());
        }
    }

    /// <summary>Moves the unread bytes to the front and grows the buffer so a frame of <paramref name="needed"/> bytes fits.</summary>
    private void MakeRoom(int needed)
    {
        int available = _receiveEnd - _receiveStart;
        if (_receiveStart + needed <= _receive.Length && _receiveEnd < _receive.Length) return;
        byte[] target = needed > _receive.Length ? ArrayPool<byte>.Shared.Rent(needed) : _receive;
        Buffer.BlockCopy(_receive, _receiveStart, target, 0, available);
        if (!ReferenceEquals(target, _receive)) ArrayPool<byte>.Shared.Return(_receive);
        _receive = target;
        _receiveStart = 0;
        _receiveEnd = available;
    }

    public void Dispose()
    {
        Abort();
        _socket.Dispose();
        _abort.Dispose();
        var buffer = Interlocked.Exchange(ref _receive, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

// The send side of the link to one peer: a bounded frame queue and a task that connects, reconnects and writes.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Network;

/// <summary>
/// Frames for one peer wait in a queue bounded by bytes and leave in order over one outbound connection, which is
/// only ever written: the peer answers over its own outbound connection to us. A broken connection loses the frames
/// it held; the queue itself survives reconnects, so what does arrive keeps its order.
/// </summary>
internal sealed partial class PeerOutbound
{
    /// <summary>Write buffer: small frames coalesce into few socket writes; larger frames go to the socket directly.</summary>
    private const int WriteBufferBytes = 64 * 1024;

    private readonly long _selfId;
    private readonly PeerSpec _peer;
    private readonly PeerNetworkOptions _options;
    private readonly ILogger _log;
    private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private long _queuedBytes;
    private long _droppedFrames;
    private int _dropping;
    private int _connected;
    private Task _running = Task.CompletedTask;

    public PeerOutbound(long selfId, PeerSpec peer, PeerNetworkOptions options, ILogger log)
    {
        _selfId = selfId;
        _peer = peer;
        _options = options;
        _log = log;
    }

    public long DroppedFrames => Interlocked.Read(ref _droppedFrames);

    public bool IsConnected => Volatile.Read(ref _connected) != 0;

    public Task Completion => _running;

    /// <summary>Queues a frame, or drops it when the queue is over its byte limit; never waits.</summary>
    public void Enqueue(byte[] frame)
    {
        if (frame.Length > _options.FrameBytesMax)
        {
            Interlocked.Increment(ref _droppedFrames);
            LogFrameTooLarge(_peer.Id, frame.Length, _options.FrameBytesMax);
            return;
        }
        long queued = Interlocked.Add(ref _queuedBytes, frame.Length);
        // An empty queue takes any frame, so a snapshot bigger than the limit is not dropped forever.
        if (queued > _options.SendQueueBytesMax && queued != frame.Length)
        {
            Interlocked.Add(ref _queuedBytes, -frame.Length);
            long dropped = Interlocked.Increment(ref _droppedFrames);
            if (Interlocked.Exchange(ref _dropping, 1) == 0) LogDropping(_peer.Id, _options.SendQueueBytesMax, dropped);
            return;
        }
        if (!_queue.Writer.TryWrite(frame))
        {
            // Stopped: nobody will send it any more.
            Interlocked.Add(ref _queuedBytes, -frame.Length);
            Interlocked.Increment(ref _droppedFrames);
            return;
        }
        if (Volatile.Read(ref _dropping) != 0 && Interlocked.Exchange(ref _dropping, 0) != 0)
        {
            LogQueueAccepting(_peer.Id, DroppedFrames);
        }
    }

    public void Start(CancellationToken stopping) => _running = Task.Run(() => RunAsync(stopping), CancellationToken.None);

    /// <summary>Refuses further frames; the caller cancels the token that ends the connection loop.</summary>
    public void Stop() => _queue.Writer.TryComplete();

    private async Task RunAsync(CancellationToken stopping)
    {
        var delay = _options.ReconnectDelayMin;
        bool quiet = false; // a failure already reported; retries stay silent until the state changes again
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await ConnectAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { return; }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                if (!quiet) LogUnreachable(_peer.Id, _peer.Host, _peer.QuorumPort, Reason(e));
                quiet = true;
                if (!await PauseAsync(delay, stopping)) return;
                delay = Next(delay);
                continue;
            }
            var connectedAt = Stopwatch.GetTimestamp();
            Volatile.Write(ref _connected, 1);
            LogConnected(_peer.Id, _peer.Host, _peer.QuorumPort);
            string reason = await PumpAsync(socket, stopping);
            Volatile.Write(ref _connected, 0);
            if (stopping.IsCancellationRequested) return;
            LogLost(_peer.Id, reason);
            quiet = true;
            // A link that lived a while earns a quick retry; one the peer keeps refusing (a bad handshake) backs off.
            delay = Stopwatch.GetElapsedTime(connectedAt) > _options.ReconnectDelayMax ? _options.ReconnectDelayMin : Next(delay);
            if (!await PauseAsync(delay, stopping)) return;
        }
    }

    private TimeSpan Next(TimeSpan delay) => delay * 2 < _options.ReconnectDelayMax ? delay * 2 : _options.ReconnectDelayMax;

    private static async Task<bool> PauseAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping);
            return true;
        }
        catch (OperationCanceledException) { return false; }
    }

    private async Task<Socket> ConnectAsync(CancellationToken stopping)
    {
        // An address literal picks its family; a host name goes to a dual-mode socket that takes either.
        var socket = IPAddress.TryParse(_peer.Host, out var address)
            ? new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(_peer.Host, _peer.QuorumPort, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes queued frames until the connection breaks or the network stops; returns why it ended.</summary>
    private async Task<string> PumpAsync(Socket socket, CancellationToken stopping)
    {
        using var link = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var watching = WatchAsync(socket, link.Token);
        var writing = WriteAsync(socket, link.Token);
        var first = await Task.WhenAny(watching, writing);
        link.Cancel();
        socket.Dispose();
        string watchReason = await watching;
        string writeReason = await writing;
        return first == watching ? watchReason : writeReason;
    }

    /// <summary>
    /// The peer never writes on this connection, so a read completes only when it closes or resets it. Without this
    /// watch a restarted peer would be noticed only by the frames lost writing into the dead connection.
    /// </summary>
    private static async Task<string> WatchAsync(Socket socket, CancellationToken ct)
    {
        var one = new byte[1];
        try
        {
            int read = await socket.ReceiveAsync(one, SocketFlags.None, ct);
            return read == 0 ? "the peer closed the connection" : "the peer wrote on a send-only connection";
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return Reason(e);
        }
    }

    private async Task<string> WriteAsync(Socket socket, CancellationToken ct)
    {
        var stream = new NetworkStream(socket, ownsSocket: false);
        // Not disposed: disposing a BufferedStream flushes, which would throw on the broken connection.
        var buffered = new BufferedStream(stream, WriteBufferBytes);
        var prefix = new byte[4];
        var reader = _queue.Reader;
        try
        {
            await buffered.WriteAsync(PeerHandshake.Encode(_selfId, _peer.Id), ct);
            await buffered.FlushAsync(ct);
            while (await reader.WaitToReadAsync(ct))
            {
                while (reader.TryRead(out var frame))
                {
                    Interlocked.Add(ref _queuedBytes, -frame.Length);
                    BinaryPrimitives.WriteInt32BigEndian(prefix, frame.Length);
                    await buffered.WriteAsync(prefix, ct);
                    await buffered.WriteAsync(frame, ct);
                }
                // The queue is empty: what was coalesced goes out now.
                await buffered.FlushAsync(ct);
            }
            return "the network is stopping";
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return Reason(e);
        }
    }

    private static string Reason(Exception e) => e switch
    {
        OperationCanceledException => "timed out or stopped",
        IOException { InnerException: SocketException s } => s.Message,
        _ => e.Message,
    };

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Connected to peer {PeerId} at {Host}:{Port}")]
    private partial void LogConnected(long peerId, string host, int port);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Lost peer {PeerId}: {Reason}")]
    private partial void LogLost(long peerId, string reason);

    [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "Cannot reach peer {PeerId} at {Host}:{Port} yet: {Reason}; retrying quietly")]
    private partial void LogUnreachable(long peerId, string host, int port, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "Dropping frames for peer {PeerId}: more than {QueueBytesMax} bytes are queued ({Dropped} dropped so far)")]
    private partial void LogDropping(long peerId, long queueBytesMax, long dropped);

    [LoggerMessage(EventId = 704, Level = LogLevel.Information, Message = "Queue for peer {PeerId} accepts frames again ({Dropped} dropped so far)")]
    private partial void LogQueueAccepting(long peerId, long dropped);

    [LoggerMessage(EventId = 705, Level = LogLevel.Error, Message = "Dropped a frame of {Length} bytes for peer {PeerId}: longer than {FrameBytesMax}, no peer would accept it")]
    private partial void LogFrameTooLarge(long peerId, int length, int frameBytesMax);
}

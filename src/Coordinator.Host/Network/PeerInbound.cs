// The receive side of one accepted link: checks the handshake, then cuts frames off the socket and hands them on.
// Its reads may complete on a socket event thread (inline completions): handing a frame on must not block for long.
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Network;

/// <summary>
/// One inbound connection. It is only ever read: the peer's frames arrive here, our frames to it leave over our own
/// outbound connection. Anything malformed closes this connection alone.
/// </summary>
internal sealed partial class PeerInbound
{
    private const int ReadBufferBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly PeerNetwork _network;
    private readonly PeerNetworkOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _closed = new();
    private int _closing;

    public PeerInbound(Socket socket, PeerNetwork network, PeerNetworkOptions options, ILogger log)
    {
        _socket = socket;
        _network = network;
        _options = options;
        _log = log;
        RemoteAddress = socket.RemoteEndPoint?.ToString() ?? "unknown";
    }

    public string RemoteAddress { get; }

    /// <summary>The sender's id once its handshake checked out; 0 before.</summary>
    public long PeerId { get; private set; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start(CancellationToken stopping) => Completion = Task.Run(() => RunAsync(stopping), CancellationToken.None);

    /// <summary>Ends the connection; what it had not yet delivered is lost, which ZAB tolerates.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
        _socket.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
        var ct = linked.Token;
        PipeReader? reader = null;
        try
        {
            // Inside the try: disposal may have closed the socket before this task first ran.
            reader = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false),
                new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, leaveOpen: true));
            var handshake = await ReadHandshakeAsync(reader, ct);
            if (handshake is null || !await _network.AdmitAsync(this, handshake.Value)) return;
            PeerId = handshake.Value.SenderId;
            await ReadFramesAsync(reader, ct);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            if (reader is not null) await reader.CompleteAsync();
            Close();
            _network.Release(this);
            _closed.Dispose();
        }
    }

    private async Task<PeerHandshake?> ReadHandshakeAsync(PipeReader reader, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.HandshakeTimeout);
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                LogBadHandshake(RemoteAddress, $"no handshake within {_options.HandshakeTimeout.TotalMilliseconds:0} ms");
                return null;
            }
            var buffer = read.Buffer;
            // A wrong magic is refused as soon as it shows, without waiting for the rest of a foreign greeting.
            if (buffer.Length >= 4 && ReadInt32(buffer) != PeerHandshake.ExpectedMagic)
            {
                LogBadHandshake(RemoteAddress, $"wrong magic 0x{ReadInt32(buffer):X8}");
                return null;
            }
            if (buffer.Length >= PeerHandshake.Bytes)
            {
                var handshake = Decode(buffer.Slice(0, PeerHandshake.Bytes));
                reader.AdvanceTo(buffer.GetPosition(PeerHandshake.Bytes));
                return handshake;
            }
            if (read.IsCompleted)
            {
                LogBadHandshake(RemoteAddress, $"closed after {buffer.Length} of {PeerHandshake.Bytes} handshake bytes");
                return null;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Reads [int32 big-endian length][bytes] frames. A frame's array is allocated once its length is known and filled
    /// as data arrives, so a large snapshot is never held twice, and nothing else is allocated per frame.
    /// </summary>
    private async Task ReadFramesAsync(PipeReader reader, CancellationToken ct)
    {
        byte[]? frame = null;
        int filled = 0;
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            var buffer = read.Buffer;
            while (true)
            {
                if (frame is null)
                {
                    if (buffer.Length < 4) break;
                    int length = ReadInt32(buffer);
                    if (length < 1 || length > _options.FrameBytesMax)
                    {
                        LogBadFrameLength(PeerId, RemoteAddress, length, _options.FrameBytesMax);
                        return;
                    }
                    frame = new byte[length];
                    filled = 0;
                    buffer = buffer.Slice(4);
                }
                int take = (int)Math.Min(buffer.Length, frame.Length - filled);
                buffer.Slice(0, take).CopyTo(frame.AsSpan(filled));
                filled += take;
                buffer = buffer.Slice(take);
                if (filled < frame.Length) break;
                if (!_network.Deliver(PeerId, frame)) return;
                frame = null;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                LogPeerClosed(PeerId, RemoteAddress);
                return;
            }
        }
    }

    private static int ReadInt32(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }

    private static PeerHandshake Decode(ReadOnlySequence<byte> bytes)
    {
        Span<byte> copy = stackalloc byte[PeerHandshake.Bytes];
        bytes.CopyTo(copy);
        return PeerHandshake.Decode(copy);
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Warning, Message = "Refused peer connection from {Address}: {Reason}")]
    internal partial void LogBadHandshake(string address, string reason);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "Closing connection from peer {PeerId} at {Address}: frame length {Length} is outside 1..{FrameBytesMax}")]
    private partial void LogBadFrameLength(long peerId, string address, int length, int frameBytesMax);

    [LoggerMessage(EventId = 712, Level = LogLevel.Information, Message = "Peer {PeerId} at {Address} closed its connection")]
    private partial void LogPeerClosed(long peerId, string address);
}

// One client TCP connection: frames packets off the socket and hands them to the server; writes queued replies back. No decisions here.
// The read loop may run on a socket event thread (Program.cs turns on inline completions): it frames, decodes and
// queues for the loop, and never blocks.
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Coordinator.Jute;
using Coordinator.Server;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Network;

internal sealed partial class ClientConnection : IClientConnection
{
    /// <summary>Replies and notifications waiting for a slow client before it is disconnected.</summary>
    public const int OutboundPacketsMax = 10_000;

    /// <summary>How long a closing connection may spend flushing its last replies before it is cut off.</summary>
    public static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A connection that has not sent its connect request (or a four-letter word) by then is closed, as ZooKeeper does.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private static long _nextId;

    private readonly Socket _socket;
    private readonly ServerNode _server;
    private readonly FourLetterWords _words;
    private readonly ILogger _log;
    private readonly int _packetBytesMax;
    private readonly Channel<ReadOnlyMemory<byte>> _outbound = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(OutboundPacketsMax) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _closed = new();
    private int _closing;

    public ClientConnection(Socket socket, ServerNode server, FourLetterWords words, ILogger log)
    {
        _socket = socket;
        _server = server;
        _words = words;
        _log = log;
        // ZooKeeper 3.8 closes a client whose frame length exceeds jute.maxbuffer itself (NIOServerCnxn.readLength);
        // the 1024-byte slack applies only inside jute records, not to client frames.
        _packetBytesMax = server.Settings.JuteMaxBufferBytes;
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        RemoteAddress = address.ToString();
        RemotePort = remote.Port;
        ConnectionId = Interlocked.Increment(ref _nextId);
    }

    public long ConnectionId { get; }
    public string RemoteAddress { get; }
    public int RemotePort { get; }
    public ConnectionStats Stats { get; } = new();
    public Task Completion { get; private set; } = Task.CompletedTask;

    public bool TrySend(ReadOnlyMemory<byte> framedPacket) => _outbound.Writer.TryWrite(framedPacket);

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        LogClosing(RemoteAddress, RemotePort, reason);
        _outbound.Writer.TryComplete();
        // A client that stopped reading would keep the write loop, and so the whole connection, waiting forever.
        _closed.CancelAfter(CloseFlushTimeout);
    }

    public void Start(CancellationToken stopping) => Completion = RunAsync(stopping);

    private async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
        await using var stream = new NetworkStream(_socket, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        var writing = WriteLoopAsync(stream, linked.Token);
        try
        {
            await ReadLoopAsync(reader, stream, linked.Token);
        }
        catch (JuteException e)
        {
            LogMalformed(RemoteAddress, RemotePort, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { }
        finally
        {
            _server.Disconnected(this);
            _outbound.Writer.TryComplete();
            try { await writing.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
            await reader.CompleteAsync();
            _closed.Cancel();
        }
    }

    /// <summary>Reads frames until the peer closes, a four-letter word is answered, or something invalid arrives.</summary>
    private async Task ReadLoopAsync(PipeReader reader, Stream stream, CancellationToken ct)
    {
        bool connected = false;
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct);
        handshake.CancelAfter(HandshakeTimeout);
        while (!ct.IsCancellationRequested && Volatile.Read(ref _closing) == 0)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(connected ? ct : handshake.Token);
            }
            catch (OperationCanceledException) when (!connected && !ct.IsCancellationRequested)
            {
                Close($"no connect request within {HandshakeTimeout.TotalSeconds:0} s");
                return;
            }
            var buffer = read.Buffer;
            while (TryFrame(ref buffer, connected, read.IsCompleted, out var frame, out var word))
            {
                if (word is not null)
                {
                    await AnswerFourLetterWordAsync(word, frame.ToArray(), stream, ct);
                    return;
                }
                var packet = frame.IsSingleSegment ? frame.FirstSpan : frame.ToArray();
                if (!connected)
                {
                    await _server.ConnectAsync(this, PacketDecoder.DecodeConnect(packet), ct);
                    connected = true;
                }
                else
                {
                    await _server.PacketAsync(this, packet, ct);
                }
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted) return;
        }
    }

    /// <summary>
    /// Cuts one length-prefixed frame from the buffer. Before the handshake, four ASCII letters are a four-letter
    /// word; the frame then holds the word's argument bytes (stmk's mask), or what arrived of them before EOF.
    /// </summary>
    private bool TryFrame(ref ReadOnlySequence<byte> buffer, bool connected, bool atEnd, out ReadOnlySequence<byte> frame, out string? word)
    {
        frame = default;
        word = null;
        if (buffer.Length < 4) return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        if (!connected && FourLetterWords.LooksLikeWord(prefix))
        {
            string w = System.Text.Encoding.ASCII.GetString(prefix);
            long argumentBytes = Math.Min(FourLetterWords.ArgumentBytes(w), buffer.Length - 4);
            if (argumentBytes < FourLetterWords.ArgumentBytes(w) && !atEnd) return false;
            word = w;
            frame = buffer.Slice(4, argumentBytes);
            buffer = buffer.Slice(4 + argumentBytes);
            return true;
        }
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length < 0 || length > _packetBytesMax)
            throw new JuteException($"frame length {length} is outside 0..{_packetBytesMax} (jute.maxbuffer)");
        if (buffer.Length < 4 + length) return false;
        frame = buffer.Slice(4, length);
        buffer = buffer.Slice(4 + length);
        return true;
    }

    private async Task AnswerFourLetterWordAsync(string word, byte[] argument, Stream stream, CancellationToken ct)
    {
        string text = await _words.RunAsync(word, argument, ct);
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), ct);
        await stream.FlushAsync(ct);
        _socket.Shutdown(SocketShutdown.Send);
        Close(_words.IsAllowed(word)
            ? $"four-letter word {word} answered"
            : $"four-letter word {word} refused: not in 4lw.commands.whitelist");
    }

    private async Task WriteLoopAsync(Stream stream, CancellationToken ct)
    {
        var reader = _outbound.Reader;
        var batch = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                batch.ResetWrittenCount();
                // Coalesce everything queued into one write: many replies, one syscall.
                while (batch.WrittenCount < 256 * 1024 && reader.TryRead(out var packet))
                {
                    batch.Write(packet.Span);
                    Packets.Return(packet);
                }
                await stream.WriteAsync(batch.WrittenMemory, ct);
            }
            await stream.FlushAsync(ct);
            if (Volatile.Read(ref _closing) != 0) _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            _closed.Cancel();
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Closing connection {Address}:{Port}: {Reason}")]
    private partial void LogClosing(string address, int port, string reason);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Closing connection {Address}:{Port}: malformed packet: {Reason}")]
    private partial void LogMalformed(string address, int port, string reason);
}

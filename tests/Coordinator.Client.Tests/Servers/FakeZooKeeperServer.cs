// A minimal ZooKeeper server for the client's read-only fallback: answers the handshake (read-only or not), pings
// and closeSession, and the "isro" four-letter word; can be switched off (closing every connection) and on again.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Client.Tests.Servers;

internal sealed class FakeZooKeeperServer : IAsyncDisposable
{
    private const int PingXid = -2;
    private const int CloseSessionOp = -11;
    private const int FrameBytesMax = 64 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _lastSessionId;
    private int _isroQueries;
    private int _connections;
    private volatile bool _up = true;

    public FakeZooKeeperServer(bool readOnly, long firstSessionId)
    {
        ReadOnly = readOnly;
        _lastSessionId = firstSessionId - 1;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public bool ReadOnly { get; }

    /// <summary>While false, every connection is closed at once, as by a server that is down.</summary>
    public bool Up { get => _up; set => _up = value; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string HostPort => "127.0.0.1:" + Port;

    /// <summary>Every ConnectRequest received, in order.</summary>
    public ConcurrentQueue<ConnectRequest> Handshakes { get; } = new();

    public int IsroQueries => Volatile.Read(ref _isroQueries);

    /// <summary>Connections accepted, including those refused while down.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (!Up) return;
            var first = new byte[4];
            await stream.ReadExactlyAsync(first, _stop.Token);
            if (first.AsSpan().SequenceEqual("isro"u8))
            {
                Interlocked.Increment(ref _isroQueries);
                await stream.WriteAsync(ReadOnly ? "ro"u8.ToArray() : "rw"u8.ToArray(), _stop.Token);
                return;
            }
            var connect = ParseConnect(await ReadBodyAsync(stream, first));
            Handshakes.Enqueue(connect);
            long sessionId = connect.SessionId != 0 ? connect.SessionId : Interlocked.Increment(ref _lastSessionId);
            await WriteFrameAsync(stream, w => new ConnectResponse(0, connect.TimeoutMs, sessionId, new byte[16], ReadOnly).Write(w));
            while (Up)
            {
                var length = new byte[4];
                await stream.ReadExactlyAsync(length, _stop.Token);
                var frame = await ReadBodyAsync(stream, length);
                int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
                int op = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
                // Pings and closeSession are answered OK; this fake serves no data, so anything else is Unimplemented (-6).
                int err = xid == PingXid || op == CloseSessionOp ? 0 : -6;
                await WriteFrameAsync(stream, w => { w.WriteInt(xid); w.WriteLong(0); w.WriteInt(err); });
                if (op == CloseSessionOp) return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException or ObjectDisposedException)
        {
            // the client went away, or the fake is stopping
        }
    }

    private static ConnectRequest ParseConnect(byte[] body)
    {
        var reader = new JuteReader(body);
        return ConnectRequest.Read(ref reader);
    }

    private async Task<byte[]> ReadBodyAsync(NetworkStream stream, byte[] lengthBytes)
    {
        int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
        if (length is <= 0 or > FrameBytesMax) throw new IOException($"bad frame length {length}");
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, _stop.Token);
        return body;
    }

    private async Task WriteFrameAsync(NetworkStream stream, Action<JuteWriter> write)
    {
        using var writer = new JuteWriter();
        int at = writer.ReserveLength();
        write(writer);
        writer.PatchLength(at);
        await stream.WriteAsync(writer.WrittenMemory, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

// Expires a client's session from outside, the classic way: attach to it with its id and password, then close it.
using System.Buffers.Binary;
using System.Net.Sockets;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Client.Tests.Servers;

public static class SessionKiller
{
    /// <summary>
    /// Raw socket rather than a second client: attaching moves the session to this connection, and the victim's
    /// immediate reconnect could move it back before a client's closeSession went out. Handshake and close go
    /// back to back, and the whole attempt repeats until the server confirms the close.
    /// </summary>
    public static async Task ExpireAsync(IServerFixture server, long sessionId, byte[] password)
    {
        var parts = server.HostPort.Split(':');
        using var cts = new CancellationTokenSource(ServerFixtures.WaitTimeout);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), cts.Token);
                using var w = new JuteWriter();
                int at = w.ReserveLength();
                new ConnectRequest(0, 0, 4000, sessionId, password, false).Write(w);
                w.PatchLength(at);
                at = w.ReserveLength();
                new RequestHeader(1, (int)OpCode.CloseSession).Write(w);
                w.PatchLength(at);
                await socket.SendAsync(w.WrittenMemory, SocketFlags.None, cts.Token);
                var connect = await ReadFrameAsync(socket, cts.Token);
                var r = new JuteReader(connect);
                if (ConnectResponse.Read(ref r).TimeoutMs <= 0) return; // already expired
                var reply = await ReadFrameAsync(socket, cts.Token);
                r = new JuteReader(reply);
                if (ReplyHeader.Read(ref r).Err == 0) return;
            }
            catch (Exception e) when (e is SocketException or IOException && attempt < 20)
            {
                await Task.Delay(50, cts.Token);
            }
        }
    }

    private static async Task<byte[]> ReadFrameAsync(Socket socket, CancellationToken cancellation)
    {
        byte[] length = new byte[4];
        await ReadExactlyAsync(socket, length, cancellation);
        byte[] frame = new byte[BinaryPrimitives.ReadInt32BigEndian(length)];
        await ReadExactlyAsync(socket, frame, cancellation);
        return frame;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellation)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation);
            if (n == 0) throw new IOException("server closed the connection");
            buffer = buffer[n..];
        }
    }
}

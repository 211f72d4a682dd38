// While the session sits on a read-only server: asks the other servers "isro" until one answers "rw", as
// ZooKeeper's client does (pingRwServer), so the session can move back to a server that accepts writes.
using System.Net.Sockets;
using System.Text;

namespace Coordinator.Client.Connection;

internal static class ReadWriteServerProbe
{
    /// <summary>The first round waits this long; each round after doubles it, up to <see cref="DelayMax"/> (ZooKeeper's bounds).</summary>
    public static readonly TimeSpan DelayFirst = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan DelayMax = TimeSpan.FromSeconds(60);

    /// <summary>One probe (connect, ask, read the answer) gives up after this long.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>"rw" or "ro" and nothing more; a longer answer is not a ZooKeeper server's.</summary>
    private const int AnswerBytesMax = 16;

    /// <summary>
    /// Probes every server but <paramref name="current"/>, round after round with back-off, and returns the index
    /// of the first that answers "rw". Returns null when cancelled (the read-only connection ended first).
    /// </summary>
    public static async Task<int?> FindAsync(IReadOnlyList<ServerAddress> servers, int current, TimeProvider time, CancellationToken cancellation)
    {
        var delay = DelayFirst;
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, time, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            for (int i = 0; i < servers.Count; i++)
            {
                if (i == current) continue;
                if (await IsReadWriteAsync(servers[i], cancellation).ConfigureAwait(false)) return i;
            }
            delay = delay * 2 > DelayMax ? DelayMax : delay * 2;
        }
        return null;
    }

    /// <summary>Whether the server answers the "isro" four-letter word with "rw". Any failure counts as no.</summary>
    public static async Task<bool> IsReadWriteAsync(ServerAddress server, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(ProbeTimeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync("isro"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var answer = new byte[AnswerBytesMax];
            int length = 0;
            while (length < answer.Length)
            {
                int read = await socket.ReceiveAsync(answer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0) break;
                length += read;
            }
            return Encoding.ASCII.GetString(answer, 0, length).Trim() == "rw";
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }
}

// Loopback helpers shared by the test projects (linked into each): OS-chosen free ports, and four-letter words (srvr says whether and how a node serves).
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coordinator.Compat.Tests;

internal static class Loopback
{
    /// <summary>Binds port 0 on 127.0.0.1, reads the port the OS chose and releases it again.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary><paramref name="count"/> distinct free ports (one release can hand the same port out again).</summary>
    public static int[] FreePorts(int count)
    {
        var ports = new HashSet<int>();
        while (ports.Count < count) ports.Add(FreePort());
        return [.. ports];
    }

    /// <summary>
    /// Sends a four letter word and returns the whole reply, or null if nothing answered in time. A ZooKeeper
    /// that is still loading accepts the connection but never answers, hence the timeout.
    /// </summary>
    public static async Task<string?> FourLetterWordAsync(int port, string word, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
            using var reply = new MemoryStream();
            var buffer = new byte[4096];
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0) reply.Write(buffer, 0, n);
            return Encoding.UTF8.GetString(reply.ToArray());
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The value of srvr's "Mode:" line (leader, follower, observer, standalone), or null when there is none.</summary>
    public static string? ModeOf(string? srvr)
    {
        if (srvr is null) return null;
        foreach (string line in srvr.Split('\n'))
        {
            if (line.StartsWith("Mode:", StringComparison.Ordinal)) return line["Mode:".Length..].Trim();
        }
        return null;
    }
}

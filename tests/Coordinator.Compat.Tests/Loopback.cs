// Loopback helpers: an OS-chosen free port, and the four-letter-word probe used to see whether a server is up.
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

    /// <summary>Sends a four letter word and returns the whole reply, or null if nothing answered in time.</summary>
    public static async Task<string?> FourLetterWordAsync(int port, string word, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
            var reply = new MemoryStream();
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
}

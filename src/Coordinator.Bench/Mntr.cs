// Reads a server's mntr four-letter word (ZooKeeper and Coordinator print the same keys) for counters such as fsyncs.
using System.Globalization;
using System.Net.Sockets;

namespace Coordinator.Bench;

internal static class Mntr
{
    /// <summary>Every "key TAB value" line of mntr; empty when the word cannot be run.</summary>
    public static async Task<Dictionary<string, string>> ReadAsync(string host, int port)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(host, port).WaitAsync(TimeSpan.FromSeconds(5));
            await c.GetStream().WriteAsync("mntr"u8.ToArray());
            string text = await new StreamReader(c.GetStream()).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            foreach (var line in text.Split('\n'))
            {
                int tab = line.IndexOf('\t');
                if (tab > 0) values[line[..tab]] = line[(tab + 1)..];
            }
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException) { }
        return values;
    }

    public static long Long(Dictionary<string, string> mntr, string key) =>
        mntr.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? (long)d : 0;

    /// <summary>Fsyncs of the txn log so far: the count of ZooKeeper's fsynctime summary.</summary>
    public static async Task<long> FsyncsAsync(string host, int port) => Long(await ReadAsync(host, port), "zk_cnt_fsynctime");

    /// <summary>Fsyncs summed over several servers (an ensemble's nodes each fsync their own log).</summary>
    public static async Task<long> FsyncsAsync(IReadOnlyList<(string Host, int Port)> servers) =>
        (await Task.WhenAll(servers.Select(s => FsyncsAsync(s.Host, s.Port)))).Sum();
}

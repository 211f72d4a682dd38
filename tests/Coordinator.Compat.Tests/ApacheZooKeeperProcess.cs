// Class fixture: Debian's Apache ZooKeeper 3.8 (the oracle) standalone on a free loopback port, with a temp dataDir.
using System.Diagnostics;

namespace Coordinator.Compat.Tests;

public sealed class ApacheZooKeeperProcess : ServerProcessFixture
{
    public const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public ApacheZooKeeperProcess() : base("Apache ZooKeeper")
    {
    }

    protected override async Task StartAsync()
    {
        if (!File.Exists(ZooKeeperJar))
        {
            throw new InvalidOperationException($"{ZooKeeperJar} is missing (install the Debian zookeeper package)");
        }
        string? lastFailure = null;
        // The free port can be taken between probing and binding; try a few times.
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            Port = Loopback.FreePort();
            string conf = Path.Combine(TempDir, $"conf{attempt}");
            string data = Path.Combine(TempDir, $"data{attempt}");
            Directory.CreateDirectory(conf);
            Directory.CreateDirectory(data);
            string cfg = Path.Combine(conf, "zoo.cfg");
            await File.WriteAllTextAsync(cfg, string.Join('\n',
                "tickTime=2000",
                $"dataDir={data}",
                $"clientPort={Port}",
                "clientPortAddress=127.0.0.1",
                "4lw.commands.whitelist=*",
                "extendedTypesEnabled=true",
                "admin.enableServer=false",
                "") );

            var psi = new ProcessStartInfo("java") { WorkingDirectory = TempDir };
            foreach (string a in new[]
                     {
                         "-Xmx256m", "-XX:+UseSerialGC",
                         // reap containers and TTL nodes every second instead of every minute
                         "-Dznode.container.checkIntervalMs=1000",
                         "-Dzookeeper.admin.enableServer=false",
                         // hard quota limits refused with QuotaExceeded, as Coordinator does by default
                         "-Dzookeeper.enforceQuota=true",
                         "-cp", $"{conf}:{ZooKeeperJar}",
                         "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg,
                     })
            {
                psi.ArgumentList.Add(a);
            }
            var process = Launch(psi);

            var deadline = DateTime.UtcNow + StartTimeout;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                string? reply = await Loopback.FourLetterWordAsync(Port, "ruok", TimeSpan.FromSeconds(2));
                // imok can come a moment before sessions are accepted; srvr reports a Mode only once serving
                string? srvr = reply == "imok" ? await Loopback.FourLetterWordAsync(Port, "srvr", TimeSpan.FromSeconds(2)) : null;
                if (srvr is not null && srvr.Contains("Mode: ", StringComparison.Ordinal))
                {
                    Note($"ZooKeeper pid {process.Id} answers imok and serves on 127.0.0.1:{Port}");
                    return;
                }
                await Task.Delay(150);
            }
            lastFailure = process.HasExited
                ? $"exited with code {process.ExitCode} (attempt {attempt}, port {Port})"
                : $"no imok within {StartTimeout.TotalSeconds:F0} s (attempt {attempt}, port {Port})";
            Note(lastFailure);
            await StopProcessAsync();
        }
        throw new InvalidOperationException(lastFailure);
    }
}

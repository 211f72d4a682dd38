// Class fixture: our server, Coordinator.Host.dll, as a child process on an OS-chosen loopback port (read from its stdout).
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Coordinator.Compat.Tests;

public sealed partial class CoordinatorProcess : ServerProcessFixture
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public CoordinatorProcess() : base("Coordinator")
    {
    }

    [GeneratedRegex(@"serving clients on (\S+):(\d+)")]
    private static partial Regex ServingLine();

    protected override async Task StartAsync()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Coordinator.Host.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing (the test project references src/Coordinator.Host to put it there)");
        }
        string data = Path.Combine(TempDir, "data");
        Directory.CreateDirectory(data);
        string cfg = Path.Combine(TempDir, "zoo.cfg");
        await File.WriteAllTextAsync(cfg, string.Join('\n',
            "tickTime=2000",
            $"dataDir={data}",
            "clientPort=0",
            "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*",
            // same switches the Apache ZooKeeper oracle runs with
            "extendedTypesEnabled=true",
            "admin.enableServer=false",
            "admin.serverAddress=127.0.0.1",
            "admin.serverPort=0",
            "metricsProvider.httpHost=127.0.0.1",
            "metricsProvider.httpPort=0",
            ""));

        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)
            ? hostPath
            : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { WorkingDirectory = TempDir };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(cfg);

        var serving = new TaskCompletionSource<(string Host, int Port)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Launch(psi, line =>
        {
            var m = ServingLine().Match(line);
            if (m.Success) serving.TrySetResult((m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));
        });

        var exited = process.WaitForExitAsync();
        var timeout = Task.Delay(StartTimeout);
        var first = await Task.WhenAny(serving.Task, exited, timeout);
        if (first == serving.Task)
        {
            var (host, port) = await serving.Task;
            Host = host is "0.0.0.0" or "::" or "[::]" ? "127.0.0.1" : host.Trim('[', ']');
            Port = port;
            Note($"Coordinator pid {process.Id} serving on {Host}:{Port}");
            return;
        }
        string why = first == exited
            ? $"exited with code {process.ExitCode} before printing 'serving clients on HOST:PORT'"
            : $"printed no 'serving clients on HOST:PORT' line within {StartTimeout.TotalSeconds:F0} s";
        await StopProcessAsync();
        throw new InvalidOperationException(why);
    }
}

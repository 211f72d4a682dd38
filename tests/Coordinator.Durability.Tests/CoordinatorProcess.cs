// Test helper: our server (Coordinator.Host.dll) as a child process on a zoo.cfg this test wrote; start, SIGKILL, SIGTERM, output.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Coordinator.Durability.Tests;

/// <summary>
/// One run of the server. <see cref="LaunchAsync"/> returns once the server prints its "serving clients on
/// HOST:PORT" line, exits, or the start timeout passes, whichever is first; only the process started here is
/// ever signalled, by its own pid.
/// </summary>
internal sealed partial class CoordinatorProcess : IAsyncDisposable
{
    /// <summary>Generous: the machine runs other builds, and a cold dotnet start there can take several seconds.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    private const int OutputCharsMax = 2_000_000;
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private bool _disposed;
    private readonly TaskCompletionSource<IPEndPoint> _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CoordinatorProcess(Process process)
    {
        _process = process;
    }

    [GeneratedRegex(@"serving clients on (\S+):(\d+)")]
    private static partial Regex ServingLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public int Pid => _process.Id;

    /// <summary>Where the server listens; null if it never printed its serving line.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public string Output => $"--- stdout (pid {Pid}) ---\n{Stdout}--- stderr ---\n{Stderr}";

    /// <summary>Starts the server on <paramref name="configPath"/> and waits until it serves, exits, or the start timeout passes.</summary>
    public static async Task<CoordinatorProcess> LaunchAsync(string configPath)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Coordinator.Host.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing (the test project references src/Coordinator.Host to put it there)");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var psi = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(configPath);
        var server = new CoordinatorProcess(new Process { StartInfo = psi });
        server.Start();
        await server.WaitForServingOrExitAsync();
        return server;
    }

    private void Start()
    {
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Append(_stdout, e.Data);
            var m = ServingLine().Match(e.Data);
            if (m.Success)
            {
                string address = m.Groups[1].Value.Trim('[', ']');
                var ip = address is "0.0.0.0" or "::" ? IPAddress.Loopback : IPAddress.Parse(address);
                _serving.TrySetResult(new IPEndPoint(ip, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Append(_stderr, e.Data);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
    }

    private static void Append(StringBuilder sink, string line)
    {
        lock (sink)
        {
            if (sink.Length < OutputCharsMax) sink.Append(line).Append('\n');
        }
    }

    private async Task WaitForServingOrExitAsync()
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_serving.Task, exited, Task.Delay(StartTimeout));
        if (first == _serving.Task)
        {
            EndPoint = await _serving.Task;
            return;
        }
        if (first == exited)
        {
            // Let the output readers drain, so the caller sees the last line the server wrote.
            await DrainAsync();
        }
    }

    private async Task DrainAsync()
    {
        using var cts = new CancellationTokenSource(ExitTimeout);
        try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
    }

    /// <summary>SIGKILL, as a crash: nothing the server has not yet written survives. Waits (bounded) for the exit.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        await DrainAsync();
        if (!_process.HasExited) throw new InvalidOperationException($"pid {Pid} did not exit within {ExitTimeout.TotalSeconds} s of SIGKILL");
    }

    /// <summary>SIGTERM: the server stops cleanly (closes its log). Falls back to SIGKILL if it does not exit in time.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited && SendSignal(_process.Id, SigTerm) != 0)
            throw new InvalidOperationException($"kill(pid {Pid}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        await DrainAsync();
        if (!_process.HasExited)
        {
            await KillAsync();
            throw new InvalidOperationException($"pid {Pid} did not stop within {ExitTimeout.TotalSeconds} s of SIGTERM; killed it\n{Output}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        await KillAsync();
        _disposed = true;
        _process.Dispose();
    }
}

/// <summary>The zoo.cfg every test starts from: loopback, an OS-chosen client port, no HTTP listeners.</summary>
internal static class ZooCfg
{
    public static string Write(string folder, string dataDir, params string[] extra)
    {
        string path = Path.Combine(folder, "zoo.cfg");
        var lines = new List<string>
        {
            "tickTime=2000",
            $"dataDir={dataDir}",
            "clientPort=0",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "metricsProvider.httpHost=127.0.0.1",
            "metricsProvider.httpPort=0",
            "4lw.commands.whitelist=*",
        };
        foreach (string line in extra)
        {
            // A later key replaces the default one, as the brief's configs are written as overrides.
            string key = line[..line.IndexOf('=', StringComparison.Ordinal)];
            lines.RemoveAll(l => l.StartsWith(key + "=", StringComparison.Ordinal));
            lines.Add(line);
        }
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }
}

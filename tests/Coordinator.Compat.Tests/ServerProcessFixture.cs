// Base for the class fixtures that run a ZooKeeper-compatible server as a child process: temp dir, output capture, kill by pid.
using System.Diagnostics;
using System.Text;

namespace Coordinator.Compat.Tests;

/// <summary>
/// A server child process shared by the tests of one class. Start-up failures do not throw from the fixture
/// (xunit would report them without context); they are kept and raised by <see cref="EnsureStarted"/> from each
/// test, together with everything the process printed.
/// </summary>
public abstract class ServerProcessFixture : IAsyncLifetime
{
    private readonly StringBuilder _output = new();
    private readonly object _gate = new();
    private Process? _process;
    private string? _startupError;

    protected ServerProcessFixture(string name)
    {
        Name = name;
        TempDir = Path.Combine(Path.GetTempPath(), $"coordinator-compat-{name.ToLowerInvariant().Replace(' ', '-')}-{Guid.NewGuid():N}");
    }

    public string Name { get; }

    /// <summary>Owned by this fixture; deleted on dispose.</summary>
    protected string TempDir { get; }

    public string Host { get; protected set; } = "127.0.0.1";

    public int Port { get; protected set; }

    public string HostPort => $"{Host}:{Port}";

    public int? ProcessId => _process?.Id;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(TempDir);
        try
        {
            await StartAsync();
        }
        catch (Exception e)
        {
            _startupError = $"{Name} did not start: {e.Message}";
        }
    }

    /// <summary>Starts the server, sets <see cref="Port"/>; throws with a reason when it cannot.</summary>
    protected abstract Task StartAsync();

    public void EnsureStarted()
    {
        if (_startupError is not null)
        {
            Assert.Fail($"{_startupError}\n--- {Name} output ---\n{RecentOutput()}");
        }
        if (_process is { HasExited: true })
        {
            Assert.Fail($"{Name} (pid {_process.Id}) exited early with code {_process.ExitCode}\n--- {Name} output ---\n{RecentOutput()}");
        }
    }

    public string RecentOutput(int maxChars = 20000)
    {
        lock (_gate)
        {
            if (_output.Length <= maxChars) return _output.ToString();
            return "[... earlier output cut ...]\n" + _output.ToString(_output.Length - maxChars, maxChars);
        }
    }

    /// <summary>Starts the child with stdout/stderr captured; <paramref name="onLine"/> sees every line.</summary>
    protected Process Launch(ProcessStartInfo psi, Action<string>? onLine = null)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        void Handle(string? line)
        {
            if (line is null) return;
            lock (_gate) _output.Append(line).Append('\n');
            onLine?.Invoke(line);
        }
        process.OutputDataReceived += (_, e) => Handle(e.Data);
        process.ErrorDataReceived += (_, e) => Handle(e.Data);
        Note($"starting: {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        return process;
    }

    protected void Note(string line)
    {
        lock (_gate) _output.Append("[fixture] ").Append(line).Append('\n');
    }

    /// <summary>Stops the current child (only the process this fixture started, by its pid).</summary>
    protected async Task StopProcessAsync()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        ProcessRunner.KillTree(process);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Note($"pid {process.Id} did not exit within 15 s of being killed");
        }
        process.Dispose();
    }

    public async Task DisposeAsync()
    {
        await StopProcessAsync();
        for (int attempt = 0; attempt < 5 && Directory.Exists(TempDir); attempt++)
        {
            try
            {
                Directory.Delete(TempDir, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
            catch (UnauthorizedAccessException)
            {
                await Task.Delay(200);
            }
        }
    }
}

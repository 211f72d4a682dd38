// One run of one ensemble member as a child process: output into the member's log, SIGKILL by its own pid.
using System.Diagnostics;
using System.Text;

namespace Coordinator.Ensemble.Tests;

internal sealed class NodeProcess : IDisposable
{
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;

    private NodeProcess(Process process)
    {
        _process = process;
    }

    public int Pid { get; private set; }

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public string ExitDescription => HasExited ? $"exited with code {_process.ExitCode}" : "running";

    /// <summary>Starts <paramref name="fileName"/>; every line it writes (stdout and stderr) goes to <paramref name="log"/>.</summary>
    public static NodeProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, NodeLog log)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => log.Append(e.Data);
        process.ErrorDataReceived += (_, e) => log.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return new NodeProcess(process) { Pid = process.Id };
    }

    /// <summary>SIGKILL to this process only (by its pid), then a bounded wait for the exit.</summary>
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
        catch (System.ComponentModel.Win32Exception)
        {
            // raced with its exit
        }
        using var cts = new CancellationTokenSource(ExitTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"pid {Pid} did not exit within {ExitTimeout.TotalSeconds} s of SIGKILL");
        }
    }

    public void Dispose() => _process.Dispose();
}

/// <summary>A member's output across all its runs, capped; the tail is what a failure report shows.</summary>
internal sealed class NodeLog
{
    private const int CharsMax = 4_000_000;
    private readonly StringBuilder _text = new();

    public void Append(string? line)
    {
        if (line is null) return;
        lock (_text)
        {
            if (_text.Length < CharsMax) _text.Append(line).Append('\n');
        }
    }

    public string Tail(int lines)
    {
        string text;
        lock (_text) text = _text.ToString();
        string[] all = text.Split('\n');
        int skip = Math.Max(0, all.Length - lines);
        return (skip > 0 ? $"[... {skip} earlier lines]\n" : "") + string.Join('\n', all[skip..]);
    }
}

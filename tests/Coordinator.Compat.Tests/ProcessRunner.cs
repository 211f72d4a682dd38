// Runs one external program to completion with a hard timeout, capturing stdout+stderr in arrival order.
using System.Diagnostics;
using System.Text;

namespace Coordinator.Compat.Tests;

internal sealed record ProcessResult(int ExitCode, string Output, bool TimedOut, TimeSpan Elapsed)
{
    public string Describe(string what) =>
        TimedOut
            ? $"{what} was killed after {Elapsed.TotalSeconds:F0} s (timeout)"
            : $"{what} exited with code {ExitCode} after {Elapsed.TotalSeconds:F1} s";
}

internal static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }

        var output = new StringBuilder();
        var gate = new object();
        void Append(string? line)
        {
            if (line is null) return;
            lock (gate) output.Append(line).Append('\n');
        }

        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();

        bool timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                KillTree(process);
            }
        }

        if (timedOut)
        {
            // Give the stream readers a moment to drain what the killed process wrote.
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(drain.Token); } catch (OperationCanceledException) { }
        }

        watch.Stop();
        string text;
        lock (gate) text = output.ToString();
        return new ProcessResult(timedOut ? -1 : process.ExitCode, text, timedOut, watch.Elapsed);
    }

    /// <summary>Kills a process this test run started, together with its own children.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // raced with its exit
        }
    }
}

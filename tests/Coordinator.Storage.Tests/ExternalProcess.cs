// Test helper: runs a program this test started (java, python) with a hard timeout, capturing its output; kills only that process.
using System.Diagnostics;
using System.Text;

namespace Coordinator.Storage.Tests;

internal sealed record ProcessOutcome(int ExitCode, string Output, bool TimedOut)
{
    public string Describe(string what) =>
        (TimedOut ? $"{what} was killed at its timeout" : $"{what} exited with code {ExitCode}") + "\n--- output ---\n" + Output;
}

internal static class ExternalProcess
{
    public static async Task<ProcessOutcome> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        using var process = Start(fileName, arguments, workingDirectory, out var output);
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
                Kill(process);
            }
        }
        // Let the output readers drain (bounded).
        using (var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try { await process.WaitForExitAsync(drain.Token); } catch (OperationCanceledException) { }
        }
        lock (output) return new ProcessOutcome(timedOut ? -1 : process.ExitCode, output.ToString(), timedOut);
    }

    /// <summary>Starts a process with stdout and stderr appended (under a lock on the builder) to <paramref name="output"/>.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments, string? workingDirectory, out StringBuilder output)
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
        var sink = new StringBuilder();
        var process = new Process { StartInfo = psi };
        void Append(string? line)
        {
            if (line is null) return;
            lock (sink)
            {
                if (sink.Length < 4_000_000) sink.Append(line).Append('\n');
            }
        }
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        output = sink;
        return process;
    }

    /// <summary>Kills this one process (and its children), by the Process object this test run created.</summary>
    public static void Kill(Process process)
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

// Every server process and temp directory the benchmark creates, so they go when the benchmark exits, also on Ctrl-C.
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Coordinator.Bench;

/// <summary>
/// `await using` cleans up on the normal path, but Ctrl-C, SIGTERM or SIGHUP end the process without running it: a
/// three-node ensemble would stay behind on its ports. So each child and temp directory is also listed here, and the
/// list is killed and deleted when the process exits for any of those reasons.
/// </summary>
internal static class ChildProcesses
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<Process> Running = [];
    private static readonly HashSet<string> Dirs = [];
    private static readonly List<PosixSignalRegistration> Signals = [];

    static ChildProcesses()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
            Signals.Add(PosixSignalRegistration.Create(signal, _ => KillAll()));
    }

    /// <summary>The runtime setting that runs socket completions on the event threads (set for the load generator only).</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Starts a process with its output drained (a chatty server never blocks on a full pipe) and lists it.</summary>
    public static Process Start(ProcessStartInfo psi)
    {
        psi.Environment.Remove(InlineCompletionsVariable);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        lock (Gate)
        {
            var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
            Running.Add(p);
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return p;
        }
    }

    /// <summary>SIGKILLs a listed process, waits (10 s at most) for it to be gone, and takes it off the list.</summary>
    public static async Task KillAsync(Process p)
    {
        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        try { await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        lock (Gate) Running.Remove(p);
        p.Dispose();
    }

    public static string CreateTempDir(string prefix)
    {
        string dir = Directory.CreateTempSubdirectory(prefix).FullName;
        lock (Gate) Dirs.Add(dir);
        return dir;
    }

    public static void DeleteDir(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        lock (Gate) Dirs.Remove(dir);
    }

    private static void KillAll()
    {
        lock (Gate)
        {
            foreach (var p in Running)
            {
                try { p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            }
            Running.Clear();
            foreach (var dir in Dirs)
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            Dirs.Clear();
        }
    }
}

// A pseudo-terminal for interactive tests: a private tmux server (own socket) running one program in a detached session.
using System.Diagnostics;

namespace Coordinator.Shell.Tests;

internal sealed class TmuxTerminal : IAsyncDisposable
{
    public const string Tmux = "/usr/bin/tmux";
    private readonly string _socket = "coordinator-shell-" + Guid.NewGuid().ToString("N")[..12];

    private TmuxTerminal()
    {
    }

    /// <summary>Starts <paramref name="command"/> (a shell command line) in a 200x50 terminal.</summary>
    public static async Task<TmuxTerminal> StartAsync(string command)
    {
        Assert.True(File.Exists(Tmux), $"{Tmux} is missing (install the Debian tmux package)");
        var terminal = new TmuxTerminal();
        await terminal.TmuxAsync("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", command);
        await terminal.TmuxAsync("set-option", "-t", "t", "remain-on-exit", "on");
        await terminal.TmuxAsync("set-option", "-t", "t", "history-limit", "5000");
        return terminal;
    }

    /// <summary>Types text (literally) without pressing Enter.</summary>
    public Task TypeAsync(string text) => TmuxAsync("send-keys", "-t", "t", "-l", text);

    /// <summary>Presses named keys: Enter, Tab, Up, BSpace, C-a ...</summary>
    public Task KeysAsync(params string[] keys) => TmuxAsync(["send-keys", "-t", "t", .. keys]);

    public async Task<string> ScreenAsync() => await TmuxAsync("capture-pane", "-p", "-J", "-t", "t", "-S", "-5000");

    /// <summary>Waits (bounded) until the screen satisfies <paramref name="done"/>; fails with the screen otherwise.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        string screen = "";
        while (DateTime.UtcNow < deadline)
        {
            screen = await ScreenAsync();
            if (done(screen)) return screen;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting for {what}\n--- screen ---\n{screen}");
        return screen;
    }

    public Task<string> WaitForTextAsync(string text, TimeSpan? timeout = null) =>
        WaitForAsync(s => s.Contains(text, StringComparison.Ordinal), $"'{text}'", timeout);

    private async Task<string> TmuxAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(Tmux) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-L");
        psi.ArgumentList.Add(_socket);
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("/dev/null");
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"tmux {string.Join(' ', args)} failed: {await error}");
        return (await output).Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>Stops this test's own tmux server (and with it the program it ran).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await TmuxAsync("kill-server");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // already gone
        }
    }
}

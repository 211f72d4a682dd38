// The shell running interactively in a tmux pseudo-terminal, with helpers to run a command and read its output.
using System.Text.RegularExpressions;

namespace Coordinator.Shell.Tests;

internal sealed partial class InteractiveSession : IAsyncDisposable
{
    private InteractiveSession(TmuxTerminal terminal) => Terminal = terminal;

    public TmuxTerminal Terminal { get; }

    /// <summary>The number of the next prompt.</summary>
    public int Next { get; private set; }

    [GeneratedRegex(@"^\[zk: \S+\((?<state>[A-Z_]+)\) (?<n>\d+)\] ?(?<line>.*)$")]
    private static partial Regex PromptLine();

    public static async Task<InteractiveSession> StartAsync(string server)
    {
        string command = $"{ShellRunner.Dotnet} {ShellRunner.ShellDll} -server {server} -timeout 10000";
        var session = new InteractiveSession(await TmuxTerminal.StartAsync(command));
        await session.WaitForPromptAsync(0);
        return session;
    }

    public Task<string> WaitForPromptAsync(int n) =>
        Terminal.WaitForAsync(s => s.Contains($"(CONNECTED) {n}]", StringComparison.Ordinal), $"prompt {n}");

    /// <summary>Types a command, presses Enter, waits for the next prompt and returns what the command printed.</summary>
    public async Task<List<string>> RunAsync(string command)
    {
        await Terminal.TypeAsync(command);
        return await SubmitAsync();
    }

    /// <summary>Presses Enter on whatever the line holds (typed, recalled or completed) and returns the output.</summary>
    public async Task<List<string>> SubmitAsync()
    {
        int n = Next;
        await Terminal.KeysAsync("Enter");
        Next = n + 1;
        string screen = await WaitForPromptAsync(n + 1);
        return Block(screen, n);
    }

    /// <summary>The lines between prompt <paramref name="n"/> and the next prompt.</summary>
    public static List<string> Block(string screen, int n)
    {
        var lines = screen.Split('\n');
        var block = new List<string>();
        bool inside = false;
        foreach (string line in lines)
        {
            var m = PromptLine().Match(line);
            if (m.Success)
            {
                int at = int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (inside) break;
                inside = at == n;
                continue;
            }
            if (inside) block.Add(line);
        }
        return block;
    }

    public ValueTask DisposeAsync() => Terminal.DisposeAsync();
}

// The shell's own command line: zkCli's -server, -timeout and -r, plus --json; anything after them is one command to run.
using System.Globalization;

namespace Coordinator.Shell;

internal sealed record ShellOptions
{
    public const string DefaultServer = "localhost:2181";

    public string Server { get; init; } = DefaultServer;

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a command waits for a server before failing with ConnectionLoss.</summary>
    public TimeSpan ConnectWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>-r: accept a read-only server.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>--json: one JSON object per command result (and per watch event) instead of zkCli's text.</summary>
    public bool Json { get; init; }

    /// <summary>The command to run once, or empty for an interactive session.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    public bool Interactive => Command.Count == 0;

    public const string Usage =
        "Usage: cli [-server host:port[,host:port...][/chroot]] [-timeout ms] [-r] [--json] [command args...]";

    /// <summary>Parses the program's arguments; a malformed one is a <see cref="ShellException"/> naming it.</summary>
    public static ShellOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ShellOptions();
        int i = 0;
        for (; i < args.Count; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "-server" or "--server":
                    options = options with { Server = Next(args, ref i, a) };
                    break;
                case "-timeout" or "--timeout":
                    string text = Next(args, ref i, a);
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) || ms <= 0)
                        throw new ShellException($"{a} {text} is not valid: expected a positive number of milliseconds", "Usage");
                    options = options with { SessionTimeout = TimeSpan.FromMilliseconds(ms), ConnectWait = TimeSpan.FromMilliseconds(ms) };
                    break;
                case "-r" or "--readonly":
                    options = options with { ReadOnly = true };
                    break;
                case "--json" or "-json":
                    options = options with { Json = true };
                    break;
                case "-waitforconnection":
                    break; // the shell always waits for the connection
                case "-h" or "--help":
                    throw new ShellException(Usage, "Usage");
                default:
                    if (a.StartsWith('-') && a.Length > 1) throw new ShellException($"Unknown option {a}\n{Usage}", "Usage");
                    return options with { Command = [.. args.Skip(i)] };
            }
        }
        return options;
    }

    private static string Next(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i + 1 >= args.Count) throw new ShellException($"{option} needs a value\n{Usage}", "Usage");
        return args[++i];
    }
}

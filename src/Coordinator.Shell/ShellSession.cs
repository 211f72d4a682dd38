// The shell's state between commands: the connection, the history, the printwatches switch, and where output goes.
using System.Text.Json;
using System.Text.Json.Nodes;
using Coordinator.Client;
using Coordinator.Core;
using Coordinator.Shell.Output;

namespace Coordinator.Shell;

internal sealed class ShellSession : IAsyncDisposable
{
    /// <summary>How many earlier commands `history` lists (zkCli shows the last ten and itself).</summary>
    public const int HistoryShownMax = 10;

    /// <summary>Commands kept for history and redo; the oldest are dropped beyond this.</summary>
    public const int HistoryKeptMax = 1000;

    private readonly object _printGate = new();
    private readonly SortedDictionary<int, string> _history = [];
    private readonly TextWriter _out;
    private readonly TextWriter _err;

    public ShellSession(ShellOptions options, TextWriter output, TextWriter error)
    {
        Options = options;
        _out = output;
        _err = error;
        Server = options.Server;
        Watcher = PrintWatchedEvent;
    }

    public ShellOptions Options { get; }

    /// <summary>The connection string of the current (or last) connection, as shown in the prompt.</summary>
    public string Server { get; private set; }

    /// <summary>Null after `close` (commands then answer "Not connected") until `connect`.</summary>
    public CoordinatorClient? Client { get; private set; }

    public bool PrintWatches { get; set; } = true;

    /// <summary>The number of the next command (the N in the prompt).</summary>
    public int CommandCount { get; private set; }

    public bool QuitRequested { get; set; }

    /// <summary>The watcher every -w flag and addWatch registers: prints the event (when printwatches is on).</summary>
    public Action<WatchedEvent> Watcher { get; }

    public IReadOnlyDictionary<int, string> History => _history;

    /// <summary>zkCli's state names, as its prompt shows them.</summary>
    public string StateName => Client?.State switch
    {
        null or ConnectionState.Closed => "CLOSED",
        ConnectionState.Connected => "CONNECTED",
        ConnectionState.ConnectedReadOnly => "CONNECTEDREADONLY",
        ConnectionState.Disconnected => "CONNECTING",
        ConnectionState.Expired => "CLOSED",
        ConnectionState.AuthFailed => "AUTH_FAILED",
        _ => "NOT_CONNECTED",
    };

    public string Prompt => $"[zk: {Server}({StateName}) {CommandCount}] ";

    public CoordinatorClient RequireClient() => Client ?? throw new ShellException("Not connected", "ConnectionLoss");

    /// <summary>Opens a new session (closing any current one); does not wait for it to connect.</summary>
    public async Task ConnectAsync(string server)
    {
        await CloseAsync().ConfigureAwait(false);
        Server = server;
        var options = new CoordinatorClientOptions
        {
            ConnectionString = server,
            SessionTimeout = Options.SessionTimeout,
            CanBeReadOnly = Options.ReadOnly,
            RenewSessionOnExpiry = false,
            // A one-shot command should fail (ConnectionLoss) rather than wait a whole session for a dead server.
            DisconnectedRequestTimeout = Options.ConnectWait,
        };
        var client = new CoordinatorClient(options);
        client.StateChanged += OnStateChanged;
        Client = client;
    }

    /// <summary>Waits (bounded by the connect wait) for the session to connect; a slow server is not an error here.</summary>
    public async Task WaitConnectedAsync(CancellationToken cancellation)
    {
        if (Client is not { } client) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(Options.ConnectWait);
        try
        {
            await client.WaitForConnectedAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
        }
        catch (KeeperException)
        {
        }
    }

    public async Task CloseAsync()
    {
        if (Client is not { } client) return;
        Client = null;
        await client.DisposeAsync().ConfigureAwait(false);
        client.StateChanged -= OnStateChanged;
        PrintEvent(EventType.None, KeeperState.Closed, null);
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        KeeperState? state = e.State switch
        {
            ConnectionState.Connected => KeeperState.SyncConnected,
            ConnectionState.ConnectedReadOnly => KeeperState.ConnectedReadOnly,
            ConnectionState.Disconnected => KeeperState.Disconnected,
            ConnectionState.Expired => KeeperState.Expired,
            ConnectionState.AuthFailed => KeeperState.AuthFailed,
            _ => null, // Closed is printed by CloseAsync, once the session is really gone
        };
        if (state is { } s) PrintEvent(EventType.None, s, null);
    }

    private void PrintWatchedEvent(WatchedEvent e) => PrintEvent(e.Type, e.State, e.Path);

    /// <summary>zkCli's watcher output. Only interactive sessions print events; a one-shot command's output stays clean.</summary>
    private void PrintEvent(EventType type, KeeperState state, string? path)
    {
        if (!PrintWatches || !Options.Interactive) return;
        if (Options.Json)
        {
            var json = new JsonObject { ["event"] = new JsonObject { ["state"] = state.ToString(), ["type"] = type.ToString(), ["path"] = path } };
            WriteOut(json.ToJsonString());
            return;
        }
        WriteOut($"\nWATCHER::\n\nWatchedEvent state:{state} type:{type} path:{path ?? "null"}");
    }

    public void WriteOut(string text)
    {
        lock (_printGate)
        {
            _out.WriteLine(text);
            _out.Flush();
        }
    }

    public void WriteError(string text)
    {
        lock (_printGate)
        {
            _err.WriteLine(text);
            _err.Flush();
        }
    }

    /// <summary>Runs one typed line; returns false when the command failed (for the one-shot exit status).</summary>
    public async Task<bool> RunLineAsync(string line, CancellationToken cancellation)
    {
        var words = CommandArgs.Tokenize(line);
        if (words.Count == 0) return true;
        Remember(line);
        return await RunWordsAsync(line, words, cancellation).ConfigureAwait(false);
    }

    /// <summary>Runs a command given as words (the program's own arguments), recording it in history.</summary>
    public Task<bool> RunArgsAsync(IReadOnlyList<string> words, CancellationToken cancellation)
    {
        string line = string.Join(' ', words.Select(w => w.Contains(' ', StringComparison.Ordinal) ? "\"" + w + "\"" : w));
        Remember(line);
        return RunWordsAsync(line, [.. words], cancellation);
    }

    /// <summary>Runs a line without adding it to history (redo has already recorded it).</summary>
    public async Task<bool> RunWordsAsync(string line, List<string> words, CancellationToken cancellation)
    {
        if (!CommandRegistry.TryGet(words[0], out var command))
        {
            if (!Options.Json) WriteError(CommandRegistry.UsageText());
            Report(new ShellException("Command not found: Command not found " + words[0], "Usage"));
            return false;
        }
        var output = new CommandOutput();
        try
        {
            var args = CommandArgs.Parse(line, words, command.Flags, command.ValuedOptions, command.RawArguments);
            if (args.Positional.Count < command.ArgsMin || args.Positional.Count > command.ArgsMax)
                throw new ShellUsageException("");
            await command.ExecuteAsync(this, args, output, cancellation).ConfigureAwait(false);
        }
        catch (ShellUsageException e)
        {
            Print(output);
            if (e.Message.Length > 0 && !Options.Json) WriteError(e.Message);
            Report(new ShellException(Options.Json ? (e.Message.Length > 0 ? e.Message + "; " : "") + "usage: " + command.Usage : command.Usage, "Usage"));
            return false;
        }
        catch (ShellException e)
        {
            Print(output);
            Report(e);
            return false;
        }
        catch (KeeperException e)
        {
            Print(output);
            Report(new ShellException(ErrorText.For(e), ErrorText.CodeName(e.Code)));
            return false;
        }
        catch (ObjectDisposedException)
        {
            Report(new ShellException("Not connected", "ConnectionLoss"));
            return false;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Report(new ShellException("Interrupted", "Interrupted"));
            return false;
        }
        Print(output);
        return true;
    }

    private void Print(CommandOutput output)
    {
        if (Options.Json)
        {
            if (output.Json.Count > 0) WriteOut(output.Json.ToJsonString(JsonOptions));
            return;
        }
        foreach (string line in output.Lines) WriteOut(line);
    }

    private void Report(ShellException e)
    {
        if (Options.Json)
        {
            WriteOut(new JsonObject { ["error"] = e.Message, ["code"] = e.Code }.ToJsonString(JsonOptions));
            return;
        }
        WriteError(e.Message);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    private void Remember(string line)
    {
        _history[CommandCount] = line;
        if (_history.Count > HistoryKeptMax) _history.Remove(_history.Keys.First());
        CommandCount++;
    }

    /// <summary>redo replaces its own history entry with the command it repeats, as zkCli does.</summary>
    public void ReplaceLast(string line) => _history[CommandCount - 1] = line;

    public ValueTask DisposeAsync() => new(CloseQuietlyAsync());

    private async Task CloseQuietlyAsync()
    {
        if (Client is not { } client) return;
        Client = null;
        await client.DisposeAsync().ConfigureAwait(false);
    }
}

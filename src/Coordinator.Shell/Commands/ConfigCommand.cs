// config [-c] [-w] [-s]: the ensemble configuration from /zookeeper/config; -c only the client addresses.
using System.Text;
using Coordinator.Client;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class ConfigCommand : ShellCommand
{
    public override string Name => "config";
    public override string Usage => "config [-c] [-w] [-s]";
    public override string Flags => "cws";
    public override int ArgsMin => 0;
    public override int ArgsMax => 0;
    public override bool TakesPath => false;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        var client = session.RequireClient();
        var result = args.Has('w')
            ? await client.GetDataAsync(CoordinatorClient.ConfigPath, session.Watcher, cancellation).ConfigureAwait(false)
            : await client.GetConfigAsync(cancellation).ConfigureAwait(false);
        string config = Encoding.UTF8.GetString(result.Data);
        string shown = args.Has('c') ? ClientAddresses(config) : config;
        output.Line(shown);
        output.Set("config", shown);
        if (args.Has('s')) Formats.Stat(output, result.Stat);
    }

    /// <summary>
    /// "version clientHost:port,..." from the server lines ("server.1=host:2888:3888:participant;0.0.0.0:2181"), the
    /// way zkCli's config -c condenses them for a connection string.
    /// </summary>
    internal static string ClientAddresses(string config)
    {
        string version = "";
        var clients = new List<string>();
        foreach (string raw in config.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0) continue;
            string key = raw[..eq], value = raw[(eq + 1)..];
            if (key == "version") version = value;
            else if (key.StartsWith("server.", StringComparison.Ordinal) && value.IndexOf(';', StringComparison.Ordinal) is var semi and >= 0)
            {
                string client = value[(semi + 1)..];
                if (!client.Contains(':', StringComparison.Ordinal)) client = value[..value.IndexOf(':', StringComparison.Ordinal)] + ":" + client;
                clients.Add(client);
            }
        }
        return version + " " + string.Join(',', clients);
    }
}

// Every command the shell knows, by name, and the command list zkCli prints for an unknown command.
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Coordinator.Shell.Commands;

namespace Coordinator.Shell;

internal static class CommandRegistry
{
    private static readonly SortedDictionary<string, ShellCommand> Commands = Build(
        new AddAuthCommand(), new AddWatchCommand(), new CloseCommand(), new ConfigCommand(), new ConnectCommand(),
        new CreateCommand(), new DeleteCommand(), new DeleteAllCommand(), new DelQuotaCommand(), new GetCommand(),
        new GetAclCommand(), new GetAllChildrenNumberCommand(), new GetEphemeralsCommand(), new HistoryCommand(),
        new ListQuotaCommand(), new LsCommand(), new PrintWatchesCommand(), new QuitCommand(), new ReconfigCommand(),
        new RedoCommand(), new RemoveWatchesCommand(), new SetCommand(), new SetAclCommand(), new SetQuotaCommand(),
        new StatCommand(), new SyncCommand(), new VersionCommand(), new WhoAmICommand());

    private static SortedDictionary<string, ShellCommand> Build(params ShellCommand[] commands)
    {
        // zkCli lists its commands in ordinal order (addWatch before addauth).
        var map = new SortedDictionary<string, ShellCommand>(StringComparer.Ordinal);
        foreach (var c in commands) map.Add(c.Name, c);
        return map;
    }

    public static IEnumerable<string> Names => Commands.Keys;

    /// <summary>Commands are matched exactly (zkCli's names are case-sensitive: getAcl, not getacl).</summary>
    public static bool TryGet(string name, [NotNullWhen(true)] out ShellCommand? command) =>
        Commands.TryGetValue(name, out command);

    public static string UsageText()
    {
        var text = new StringBuilder("ZooKeeper -server host:port -client-configuration properties-file cmd args");
        foreach (var c in Commands.Values) text.Append("\n\t").Append(c.Usage);
        return text.ToString();
    }
}

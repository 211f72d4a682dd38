// The shell's own failures: a command typed wrongly (usage is shown) or one that cannot run (a one-line message).
namespace Coordinator.Shell;

/// <summary>A failure to report in one line, as zkCli words it (never a stack trace).</summary>
internal class ShellException(string message, string code = "Error") : Exception(message)
{
    /// <summary>A stable name for --json output: a ZooKeeper error code name, or Usage/Error.</summary>
    public string Code { get; } = code;
}

/// <summary>The command's arguments are wrong; the shell prints the message (if any) and the command's usage.</summary>
internal sealed class ShellUsageException(string message) : ShellException(message, "Usage");

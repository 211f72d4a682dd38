// version: the shell's version (zkCli prints its ZooKeeper build here).
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class VersionCommand : ShellCommand
{
    public override string Name => "version";
    public override string Usage => "version";
    public override int ArgsMin => 0;
    public override int ArgsMax => 0;
    public override bool TakesPath => false;

    public override Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string version = typeof(VersionCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        output.Line($"ZooKeeper CLI version: Coordinator shell {version} (ZooKeeper 3.9 protocol)");
        output.Set("version", version);
        return Task.CompletedTask;
    }
}

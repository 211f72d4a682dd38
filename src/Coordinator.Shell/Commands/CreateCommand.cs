// create [-s] [-e] [-c] [-t ttl] path [data] [acl]: every create mode zkCli offers, with its checks on combining them.
using System.Text;
using Coordinator.Core;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class CreateCommand : ShellCommand
{
    public override string Name => "create";
    public override string Usage => "create [-s] [-e] [-c] [-t ttl] path [data] [acl]";
    public override string Flags => "sec";
    public override string ValuedOptions => "t";
    public override int ArgsMax => 3;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        bool sequential = args.Has('s'), ephemeral = args.Has('e'), container = args.Has('c');
        long ttl = LongOption(args, 't', -1);
        if (container && (sequential || ephemeral))
            throw new ShellException("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.", "BadArguments");
        if (args.Has('t') && ephemeral) throw new ShellException("TTLs cannot be used with Ephemeral znodes", "BadArguments");
        if (args.Has('t') && container) throw new ShellException("TTLs cannot be used with Container znodes", "BadArguments");
        if (args.Has('t') && ttl <= 0) throw new ShellException($"ttl must be positive: {ttl}", "BadArguments");
        var mode = (args.Has('t'), sequential, ephemeral, container) switch
        {
            (true, true, _, _) => CreateMode.PersistentSequentialWithTtl,
            (true, false, _, _) => CreateMode.PersistentWithTtl,
            (_, _, _, true) => CreateMode.Container,
            (_, true, true, _) => CreateMode.EphemeralSequential,
            (_, true, false, _) => CreateMode.PersistentSequential,
            (_, false, true, _) => CreateMode.Ephemeral,
            _ => CreateMode.Persistent,
        };
        string path = PathArg(args, 0, sequential);
        byte[]? data = args.Arg(1) is { } text ? Encoding.UTF8.GetBytes(text) : null;
        var acl = args.Arg(2) is { } aclText ? Formats.ParseAcl(aclText) : null;
        var client = session.RequireClient();
        var result = await client.CreateAsync(path, data, mode, acl, ttl, cancellation).ConfigureAwait(false);
        output.Line("Created " + result.Path);
        output.Set("path", result.Path);
        output.Set("stat", Formats.StatJson(result.Stat));
    }
}

// redo cmdno: runs an earlier command again (by its history number).
using System.Globalization;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class RedoCommand : ShellCommand
{
    public override string Name => "redo";
    public override string Usage => "redo cmdno";
    public override bool TakesPath => false;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        if (!int.TryParse(args.Arg(0), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || index >= session.CommandCount - 1 || !session.History.TryGetValue(index, out string? line))
            throw new ShellException("Command index out of range", "BadArguments");
        var words = CommandArgs.Tokenize(line);
        if (words[0] == Name) throw new ShellException("No redoing redos", "BadArguments");
        session.ReplaceLast(line);
        if (!await session.RunWordsAsync(line, words, cancellation).ConfigureAwait(false))
            throw new ShellException("redo of command " + index + " failed", "Error");
    }
}

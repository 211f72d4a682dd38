// What every shell command declares (name, zkCli usage line, options, argument count) and how it runs.
using Coordinator.Shell.Output;

namespace Coordinator.Shell;

internal abstract class ShellCommand
{
    public abstract string Name { get; }

    /// <summary>zkCli's usage line, printed for a malformed command and in the command list.</summary>
    public abstract string Usage { get; }

    /// <summary>Single-letter options without a value ("swR" for ls).</summary>
    public virtual string Flags => "";

    /// <summary>Single-letter options that take a value ("v" for delete).</summary>
    public virtual string ValuedOptions => "";

    /// <summary>True when the command reads its own option words (reconfig's -members, -add): all words are positional.</summary>
    public virtual bool RawArguments => false;

    public virtual int ArgsMin => 1;

    public virtual int ArgsMax => 1;

    /// <summary>Whether the command's first positional argument is a znode path (for tab completion).</summary>
    public virtual bool TakesPath => true;

    public abstract Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation);

    /// <summary>Parses a numeric option as zkCli does, with a clear message instead of a stack trace.</summary>
    protected static int IntOption(CommandArgs args, char option, int fallback)
    {
        string? text = args.Value(option);
        if (text is null) return fallback;
        return int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ShellException($"-{option} {text} is not a number", "BadArguments");
    }

    protected static long LongOption(CommandArgs args, char option, long fallback)
    {
        string? text = args.Value(option);
        if (text is null) return fallback;
        return long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new ShellException($"-{option} {text} is not a number", "BadArguments");
    }

    protected static string PathArg(CommandArgs args, int index = 0, bool sequential = false)
    {
        string path = args.Arg(index) ?? throw new ShellUsageException("");
        if (Core.PathValidation.Validate(path, sequential) is { } why) throw new ShellException(why, "BadArguments");
        return path;
    }
}

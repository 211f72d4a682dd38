// Entry point of scripts/cli: one command and exit (status 1 on error), or an interactive zkCli-style session.
using Coordinator.Shell;
using Coordinator.Shell.Console;

ShellOptions options;
try
{
    options = ShellOptions.Parse(args);
}
catch (ShellException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C cancels the running command; the shell then exits as zkCli does.
    e.Cancel = true;
    interrupt.Cancel();
};

await using var session = new ShellSession(options, Console.Out, Console.Error);
if (options.Interactive) return await InteractiveLoop.RunAsync(session, interrupt.Token);

await session.ConnectAsync(options.Server);
bool ok = await session.RunArgsAsync(options.Command, interrupt.Token);
return ok ? 0 : 1;

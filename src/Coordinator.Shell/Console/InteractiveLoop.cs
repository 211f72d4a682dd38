// The interactive shell: reads lines with editing, history and completion on a terminal, or plainly from a pipe.
using RadLine;
using Spectre.Console;

namespace Coordinator.Shell.Console;

internal static class InteractiveLoop
{
    public static async Task<int> RunAsync(ShellSession session, CancellationToken cancellation)
    {
        session.WriteOut("Connecting to " + session.Server);
        await session.ConnectAsync(session.Server).ConfigureAwait(false);
        await session.WaitConnectedAsync(cancellation).ConfigureAwait(false);

        var terminal = AnsiConsole.Console;
        bool editing = !System.Console.IsInputRedirected && LineEditor.IsSupported(terminal);
        var editor = editing
            ? new LineEditor(terminal) { Prompt = new ShellPrompt(session), Completion = new PathCompletion(session) }
            : null;
        if (editor is not null)
        {
            // Lines are single-line here, so Up/Down walk the history as in a shell (RadLine binds that to Ctrl+Up/Down).
            editor.KeyBindings.Add<PreviousHistoryCommand>(ConsoleKey.UpArrow, () => new PreviousHistoryCommand());
            editor.KeyBindings.Add<NextHistoryCommand>(ConsoleKey.DownArrow, () => new NextHistoryCommand());
        }
        while (!session.QuitRequested && !cancellation.IsCancellationRequested)
        {
            string? line;
            if (editor is not null)
            {
                line = await editor.ReadLine(cancellation).ConfigureAwait(false); // RadLine keeps it in its history
            }
            else
            {
                line = await System.Console.In.ReadLineAsync(cancellation).ConfigureAwait(false);
            }
            if (line is null) break; // end of input (Ctrl-D, or the end of a piped script)
            await session.RunLineAsync(line, cancellation).ConfigureAwait(false);
        }
        await session.CloseAsync().ConfigureAwait(false);
        return 0;
    }
}

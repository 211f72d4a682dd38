// zkCli's prompt, "[zk: host:port(CONNECTED) N] ", recomputed for every line so the state and counter stay current.
using RadLine;
using Spectre.Console;

namespace Coordinator.Shell.Console;

internal sealed class ShellPrompt(ShellSession session) : ILineEditorPrompt
{
    public (Markup Markup, int Margin) GetPrompt(ILineEditorState state, int line) =>
        (new Markup(Markup.Escape(session.Prompt.TrimEnd())), 1);
}

// Interactive features through a pseudo-terminal: prompt, tab completion, history recall, redo and watch events.
using Coordinator.Compat.Tests;

namespace Coordinator.Shell.Tests;

public sealed class InteractiveTests(CoordinatorProcess server) : IClassFixture<CoordinatorProcess>
{
    [Fact]
    public async Task Tab_completes_command_names_and_znode_paths_from_the_server()
    {
        server.EnsureStarted();
        string root = "/complete" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(0, (await ShellRunner.RunAsync(server.HostPort, "create", root)).ExitCode);
        Assert.Equal(0, (await ShellRunner.RunAsync(server.HostPort, "create", root + "/alpha", "A")).ExitCode);

        await using var shell = await InteractiveSession.StartAsync(server.HostPort);
        // "getAl" + Tab completes to the only command starting so; then the path: "/complete..." + Tab, "/al" + Tab.
        await shell.Terminal.TypeAsync("getAl");
        await shell.Terminal.KeysAsync("Tab");
        await shell.Terminal.WaitForTextAsync("getAllChildrenNumber");
        await shell.Terminal.KeysAsync("BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace",
            "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace");
        await shell.Terminal.TypeAsync("get " + root + "/al");
        await shell.Terminal.KeysAsync("Tab");
        await shell.Terminal.WaitForTextAsync("get " + root + "/alpha");
        Assert.Equal(["A"], (await shell.SubmitAsync()).Select(l => l.TrimEnd()).Where(l => l.Length > 0));
    }

    [Fact]
    public async Task Up_arrow_recalls_the_previous_command_and_history_and_redo_work()
    {
        server.EnsureStarted();
        string path = "/hist" + Guid.NewGuid().ToString("N")[..6];
        await using var shell = await InteractiveSession.StartAsync(server.HostPort);
        Assert.Equal(["Created " + path], (await shell.RunAsync($"create {path} one")).Where(l => l.Length > 0));
        Assert.Equal(["one"], (await shell.RunAsync($"get {path}")).Select(l => l.TrimEnd()).Where(l => l.Length > 0));
        Assert.DoesNotContain(await shell.RunAsync($"set {path} two"), l => l.Trim().Length > 0);

        // Up twice goes back to "get", Enter runs it again.
        await shell.Terminal.KeysAsync("Up");
        await shell.Terminal.KeysAsync("Up");
        await shell.Terminal.WaitForAsync(s => s.TrimEnd().EndsWith($"get {path}", StringComparison.Ordinal), "recalled line");
        Assert.Equal(["two"], (await shell.SubmitAsync()).Select(l => l.TrimEnd()).Where(l => l.Length > 0));

        var history = (await shell.RunAsync("history")).Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.Equal([$"0 - create {path} one", $"1 - get {path}", $"2 - set {path} two", $"3 - get {path}", "4 - history"], history);

        Assert.Equal(["two"], (await shell.RunAsync("redo 1")).Select(l => l.TrimEnd()).Where(l => l.Length > 0));
        Assert.Equal(["Command index out of range"], (await shell.RunAsync("redo 99")).Select(l => l.TrimEnd()).Where(l => l.Length > 0));
    }

    [Fact]
    public async Task Watch_events_print_as_they_arrive_in_zkCli_format()
    {
        server.EnsureStarted();
        string path = "/watched" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(0, (await ShellRunner.RunAsync(server.HostPort, "create", path, "v1")).ExitCode);
        await using var shell = await InteractiveSession.StartAsync(server.HostPort);
        await shell.RunAsync($"get -w {path}");
        // Another client changes the node while the shell sits at its prompt.
        Assert.Equal(0, (await ShellRunner.RunAsync(server.HostPort, "set", path, "v2")).ExitCode);
        await shell.Terminal.WaitForTextAsync($"WatchedEvent state:SyncConnected type:NodeDataChanged path:{path}");
        string screen = await shell.Terminal.ScreenAsync();
        Assert.Contains("WATCHER::", screen, StringComparison.Ordinal);
    }
}

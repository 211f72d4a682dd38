// Every command run once from the command line (what scripts/cli does): its exit status, its text and its --json.
using System.Text.Json;
using Coordinator.Compat.Tests;

namespace Coordinator.Shell.Tests;

public sealed class OneShotCommandTests(CoordinatorProcess server) : IClassFixture<CoordinatorProcess>
{
    private string Root { get; } = "/oneshot" + Guid.NewGuid().ToString("N")[..8];

    private Task<ShellResult> Run(params string[] args) => ShellRunner.RunAsync(server.HostPort, args);

    private async Task<string> Ok(params string[] args)
    {
        var r = await Run(args);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)}: {r}");
        Assert.Equal("", r.Stderr);
        return r.Stdout;
    }

    private async Task<JsonElement> Json(params string[] args)
    {
        var r = await Run(["--json", .. args]);
        Assert.True(r.ExitCode == 0, $"--json {string.Join(' ', args)}: {r}");
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    private async Task Fails(string expectedStderr, params string[] args)
    {
        var r = await Run(args);
        Assert.True(r.ExitCode == 1, $"{string.Join(' ', args)} should fail: {r}");
        Assert.Equal(expectedStderr + "\n", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stdout + r.Stderr, StringComparison.Ordinal); // never a stack trace
    }

    [Fact]
    public async Task Create_get_set_stat_ls_delete()
    {
        server.EnsureStarted();
        Assert.Equal($"Created {Root}\n", await Ok("create", Root, "hello"));
        Assert.Equal("hello\n", await Ok("get", Root));
        Assert.Equal("", await Ok("set", Root, "world"));
        string stat = await Ok("stat", Root);
        Assert.Contains("dataVersion = 1\n", stat, StringComparison.Ordinal);
        Assert.Contains("dataLength = 5\n", stat, StringComparison.Ordinal);
        Assert.Matches(@"^world\ncZxid = 0x[0-9a-f]+\nctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}\n", await Ok("get", "-s", Root));
        Assert.Contains("dataVersion = 2\n", await Ok("set", "-s", Root, "again"), StringComparison.Ordinal);
        await Fails($"version No is not valid : {Root}", "set", "-v", "0", Root, "stale");
        Assert.Equal($"Created {Root}/b\n", await Ok("create", Root + "/b"));
        Assert.Equal($"Created {Root}/a\n", await Ok("create", Root + "/a"));
        Assert.Equal("[a, b]\n", await Ok("ls", Root));
        Assert.StartsWith("[a, b]\ncZxid = ", await Ok("ls", "-s", Root), StringComparison.Ordinal);
        Assert.Equal($"{Root}\n{Root}/a\n{Root}/b\n", await Ok("ls", "-R", Root));
        Assert.Equal("2\n", await Ok("getAllChildrenNumber", Root));
        await Fails($"Node not empty: {Root}", "delete", Root);
        await Fails($"version No is not valid : {Root}/a", "delete", "-v", "7", Root + "/a");
        Assert.Equal("", await Ok("delete", Root + "/a"));
        Assert.Equal("", await Ok("deleteall", Root));
        await Fails($"Node does not exist: {Root}", "get", Root);
        await Fails($"Node does not exist: {Root}", "ls", Root);
        await Fails($"Node does not exist: {Root}", "stat", Root);
        await Fails($"Node does not exist: {Root}", "delete", Root);
        await Fails($"Node does not exist: {Root}", "deleteall", Root);
    }

    [Fact]
    public async Task Create_modes_and_their_checks()
    {
        server.EnsureStarted();
        await Ok("create", Root);
        Assert.Matches($"^Created {Root}/s0000000000\n$", await Ok("create", "-s", Root + "/s"));
        Assert.Equal($"Created {Root}/c\n", await Ok("create", "-c", Root + "/c"));
        Assert.Equal($"Created {Root}/t\n", await Ok("create", "-t", "60000", Root + "/t"));
        // An ephemeral node lives only as long as the one-shot session, so it is gone afterwards.
        Assert.Equal($"Created {Root}/e\n", await Ok("create", "-e", Root + "/e"));
        await Fails($"Node does not exist: {Root}/e", "get", Root + "/e");
        await Fails($"Node already exists: {Root}", "create", Root);
        await Fails("TTLs cannot be used with Ephemeral znodes", "create", "-t", "10", "-e", Root + "/x");
        await Fails("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.", "create", "-c", "-e", Root + "/x");
        await Fails($"Node does not exist: {Root}/no/such", "create", Root + "/no/such");
        await Fails("Path must start with / character", "create", "relative");
        var created = await Json("create", Root + "/j", "data");
        Assert.Equal(Root + "/j", created.GetProperty("path").GetString());
        Assert.Equal(4, created.GetProperty("stat").GetProperty("dataLength").GetInt32());
        await Ok("deleteall", Root);
    }

    [Fact]
    public async Task Acl_auth_and_whoami()
    {
        server.EnsureStarted();
        await Ok("create", Root);
        Assert.Equal("'world,'anyone\n: cdrwa\n", await Ok("getAcl", Root));
        Assert.StartsWith("'world,'anyone\n: cdrwa\ncZxid = ", await Ok("getAcl", "-s", Root), StringComparison.Ordinal);
        Assert.Equal("", await Ok("setAcl", Root, "world:anyone:cdra"));
        Assert.Equal("'world,'anyone\n: cdra\n", await Ok("getAcl", Root));
        await Fails($"Insufficient permission : {Root}", "set", Root, "x");
        await Fails("Unknown perm type: z", "setAcl", Root, "world:anyone:z");
        Assert.Equal("", await Ok("setAcl", "-R", Root, "world:anyone:cdrwa"));
        Assert.Equal("Auth scheme: User\nip: 127.0.0.1\n", await Ok("whoami"));
        var acl = await Json("getAcl", Root);
        Assert.Equal("cdrwa", acl.GetProperty("acl")[0].GetProperty("perms").GetString());
        await Ok("delete", Root);
    }

    [Fact]
    public async Task Session_level_commands()
    {
        server.EnsureStarted();
        Assert.Equal("[]\n", await Ok("getEphemerals"));
        Assert.Equal("Sync is OK\n", await Ok("sync", "/"));
        Assert.StartsWith("ZooKeeper CLI version: ", await Ok("version"), StringComparison.Ordinal);
        Assert.Equal("printwatches is on\n", await Ok("printwatches"));
        Assert.Equal("0 - history\n", await Ok("history"));
        Assert.Equal("", await Ok("addauth", "digest", "user:secret"));
        Assert.Equal("", await Ok("addWatch", "/"));
        Assert.Equal("", await Ok("close"));
        Assert.Equal("", await Ok("quit"));
        Assert.Equal("", await Ok("connect", server.HostPort));
        await Fails("Command index out of range", "redo", "0");
        var json = await Json("getEphemerals");
        Assert.Equal(0, json.GetProperty("ephemerals").GetArrayLength());
    }

    [Fact]
    public async Task Quota_commands_write_ZooKeepers_quota_nodes()
    {
        server.EnsureStarted();
        await Ok("create", Root);
        await Ok("create", Root + "/child", "abc");
        Assert.Equal("", await Ok("setquota", "-n", "10", Root));
        Assert.Equal("", await Ok("setquota", "-B", "100", Root));
        string list = await Ok("listquota", Root);
        Assert.StartsWith($"absolute path is /zookeeper/quota{Root}/zookeeper_limits\nOutput quota for {Root} count=10,bytes=-1=;byteHardLimit=100;countHardLimit=-1\n", list, StringComparison.Ordinal);
        Assert.Equal("count=10,bytes=-1=;byteHardLimit=100;countHardLimit=-1\n", await Ok("get", $"/zookeeper/quota{Root}/zookeeper_limits"));
        await Fails($"{Root}/child has a parent {Root} which has a quota", "setquota", "-n", "1", Root + "/child");
        await Fails("/no/such/node does not exist.", "setquota", "-n", "1", "/no/such/node");
        Assert.Equal("", await Ok("delquota", "-n", Root));
        Assert.Contains("count=-1,bytes=-1=;byteHardLimit=100", await Ok("listquota", Root), StringComparison.Ordinal);
        Assert.Equal("", await Ok("delquota", Root));
        Assert.Equal($"absolute path is /zookeeper/quota{Root}/zookeeper_limits\nquota for {Root} does not exist.\n", await Ok("listquota", Root));
        await Fails($"Quota does not exist for {Root}", "delquota", Root);
        await Fails($"Node does not exist: /zookeeper/quota{Root}", "ls", $"/zookeeper/quota{Root}");
        await Ok("deleteall", Root);
    }

    [Fact]
    public async Task Config_reconfig_and_removewatches_report_errors_in_zkCli_words()
    {
        server.EnsureStarted();
        var r = await Run("config");
        Assert.Equal(0, r.ExitCode);
        await Fails("No such watcher: /", "removewatches", "/");
        var reconfig = await Run("reconfig", "-add", "server.5=127.0.0.1:2888:3888;2181");
        Assert.Equal(1, reconfig.ExitCode);
        Assert.Contains("Reconfig is disabled", reconfig.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Usage_errors_and_unknown_commands_exit_non_zero_with_usage()
    {
        server.EnsureStarted();
        await Fails("ls [-s] [-w] [-R] path", "ls");
        await Fails("Unrecognized option: -x\nget [-s] [-w] path", "get", "-x", "/");
        var unknown = await Run("bogus");
        Assert.Equal(1, unknown.ExitCode);
        Assert.EndsWith("Command not found: Command not found bogus\n", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("\tls [-s] [-w] [-R] path\n", unknown.Stderr, StringComparison.Ordinal);
        var json = await Run("--json", "get", "/no-such-node");
        Assert.Equal(1, json.ExitCode);
        var error = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("NoNode", error.GetProperty("code").GetString());
        Assert.Equal("Node does not exist: /no-such-node", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Unreachable_server_is_a_connection_loss_not_a_hang()
    {
        int port = Loopback.FreePort();
        var r = await ShellRunner.RunAsync($"127.0.0.1:{port}", "ls", "/");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ConnectionLoss", r.Stderr, StringComparison.Ordinal);
    }
}

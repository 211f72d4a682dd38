// Runs the client-driven suites in tests/compat (copied next to the test dll) against a fixture server and asserts on them.
using System.Text;
using Xunit.Abstractions;

namespace Coordinator.Compat.Tests;

internal static class CompatSuites
{
    /// <summary>Debian's interpreter: the only one that can import python3-kazoo.</summary>
    public const string Python = "/usr/bin/python3";

    public const string Kazoo = "kazoo_suite.py";
    public const string ZkCli = "zkcli_suite.py";
    public const string CliMt = "cli_mt_suite.py";
    public const string DiffOps = "diff_ops.py";

    public static readonly TimeSpan SuiteTimeout = TimeSpan.FromSeconds(120);

    public static string ScriptDir => Path.Combine(AppContext.BaseDirectory, "compat");

    public static Task<ProcessResult> RunAsync(string script, string hostPort) =>
        ProcessRunner.RunAsync(
            Python,
            ["-B", "-u", Path.Combine(ScriptDir, script), hostPort],
            SuiteTimeout,
            new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONIOENCODING"] = "utf-8" });

    /// <summary>Runs one suite and fails with its full output (and the server's) unless it exits 0 with a SUMMARY line.</summary>
    public static async Task AssertPassesAsync(ServerProcessFixture server, string script, ITestOutputHelper output)
    {
        server.EnsureStarted();
        var result = await RunAsync(script, server.HostPort);
        output.WriteLine($"{result.Describe(script)} against {server.Name} at {server.HostPort}");
        output.WriteLine(result.Output);
        bool summarised = result.Output.Contains("SUMMARY ", StringComparison.Ordinal);
        if (result.ExitCode == 0 && !result.TimedOut && summarised) return;
        Assert.Fail(new StringBuilder()
            .Append($"{script} against {server.Name} at {server.HostPort}: {result.Describe(script)}")
            .Append(summarised ? "" : " without a SUMMARY line").Append('\n')
            .Append("--- suite output ---\n").Append(result.Output)
            .Append($"--- {server.Name} output (pid {server.ProcessId}) ---\n").Append(server.RecentOutput())
            .ToString());
    }

    /// <summary>Runs diff_ops.py and returns its JSON transcript, failing if the script itself broke.</summary>
    public static async Task<string> DiffOpsAsync(ServerProcessFixture server, ITestOutputHelper output)
    {
        server.EnsureStarted();
        var result = await RunAsync(DiffOps, server.HostPort);
        output.WriteLine($"{result.Describe(DiffOps)} against {server.Name} at {server.HostPort}");
        if (result.ExitCode != 0 || result.TimedOut)
        {
            Assert.Fail($"{DiffOps} against {server.Name} at {server.HostPort}: {result.Describe(DiffOps)}\n"
                        + $"--- script output ---\n{result.Output}--- {server.Name} output ---\n{server.RecentOutput()}");
        }
        return result.Output;
    }
}

// Runs tests/grpc/grpc_suite.py (Debian python3-grpcio with stubs generated from protos/, plus kazoo) against an in-process server.
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Coordinator.Grpc.Tests;

public sealed partial class PythonGrpcSuiteTests(GrpcServer server) : IClassFixture<GrpcServer>
{
    private static readonly string SuiteDir = Path.Combine(AppContext.BaseDirectory, "grpc");
    private static readonly string Suite = Path.Combine(SuiteDir, "grpc_suite.py");
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Every test_* function of the suite, one xunit case each, so a failure names the scenario.</summary>
    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (string name in ScenarioNames()) data.Add(name);
        return data;
    }

    private static List<string> ScenarioNames() =>
        TestFunction().Matches(File.ReadAllText(Suite)).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void The_suite_has_scenarios_for_every_part_of_the_issue()
    {
        var names = ScenarioNames();
        Assert.True(names.Count >= 15, string.Join(", ", names));
        foreach (string needed in new[] { "resumes", "out_of_range", "resource_exhausted", "deadlines", "cancellation", "kazoo", "multi" })
            Assert.Contains(names, n => n.Contains(needed, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario(string name)
    {
        var (exit, output) = await RunAsync(name);
        Assert.True(exit == 0, $"grpc_suite.py --only {name} exited {exit}:\n{output}");
        Assert.Contains($"PASS {name}", output, StringComparison.Ordinal);
        Assert.Contains("1 passed, 0 failed", output, StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Output)> RunAsync(string name)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = SuiteDir,
        };
        foreach (string a in new[] { Suite, "--grpc", Address(server.GrpcEndPoint), "--zk", Address(server.ClientEndPoint),
                     "--protos", Path.Combine(AppContext.BaseDirectory, "protos"), "--only", name })
            psi.ArgumentList.Add(a);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TestTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"killed after {TestTimeout.TotalSeconds} s\n{output}");
        }
        await process.WaitForExitAsync();
        lock (output) return (process.ExitCode, output.ToString());
    }

    private static string Address(System.Net.IPEndPoint e) => $"{e.Address}:{e.Port}";

    [GeneratedRegex(@"^def (test_\w+)\(\):", RegexOptions.Multiline)]
    private static partial Regex TestFunction();
}

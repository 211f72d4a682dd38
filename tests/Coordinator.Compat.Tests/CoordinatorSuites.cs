// The same suites against our server (Coordinator.Host as a child process); failures carry the suite and server output.
using Xunit.Abstractions;

namespace Coordinator.Compat.Tests;

public sealed class CoordinatorSuites(CoordinatorProcess coordinator, ITestOutputHelper output) : IClassFixture<CoordinatorProcess>
{
    [Fact]
    public Task KazooSuite() => CompatSuites.AssertPassesAsync(coordinator, CompatSuites.Kazoo, output);

    [Fact]
    public Task ZkCliSuite() => CompatSuites.AssertPassesAsync(coordinator, CompatSuites.ZkCli, output);

    [Fact]
    public Task CliMtSuite() => CompatSuites.AssertPassesAsync(coordinator, CompatSuites.CliMt, output);
}

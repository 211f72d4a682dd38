// What a suite needs from the server under test: where it listens, and fresh clients rooted in a private chroot.
using Coordinator.Core;

namespace Coordinator.Client.Tests.Servers;

public interface IServerFixture
{
    /// <summary>"Coordinator" or "ZooKeeper", for messages.</summary>
    string Name { get; }

    /// <summary>host:port, without chroot.</summary>
    string HostPort { get; }
}

public static class ServerFixtures
{
    /// <summary>Every wait in the suites is bounded by this; a healthy run never comes near it.</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(15);

    public static CoordinatorClientOptions Options(this IServerFixture server, string? chroot = null) => new()
    {
        ConnectionString = server.HostPort + chroot,
        SessionTimeout = TimeSpan.FromSeconds(4),
    };

    public static async Task<CoordinatorClient> ConnectAsync(this IServerFixture server, string? chroot = null, Action<CoordinatorClientOptions>? configure = null)
    {
        var options = server.Options(chroot);
        configure?.Invoke(options);
        using var cts = new CancellationTokenSource(WaitTimeout);
        return await CoordinatorClient.ConnectAsync(options, cts.Token);
    }

    /// <summary>A fresh, empty chroot for one test, so tests sharing a server never see each other's nodes.</summary>
    public static async Task<string> NewChrootAsync(this IServerFixture server, string name)
    {
        string chroot = "/" + name + "-" + Guid.NewGuid().ToString("N")[..8];
        await using var root = await server.ConnectAsync();
        await root.CreateAsync(chroot, null, CreateMode.Persistent);
        return chroot;
    }

    public static Task<T> Within<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? WaitTimeout);

    public static Task Within(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? WaitTimeout);
}

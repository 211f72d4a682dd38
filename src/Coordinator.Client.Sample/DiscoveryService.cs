// A consumer that follows the live instance list of a service and picks instances round-robin.
using Coordinator.Client.Recipes;
using Microsoft.Extensions.Hosting;

namespace Coordinator.Client.Sample;

public sealed class DiscoveryService(ServiceRegistry registry, SampleOptions options) : BackgroundService
{
    private readonly RoundRobinPicker _picker = new();
    private volatile IReadOnlyList<ServiceInstance> _instances = [];

    /// <summary>True once the list has exactly <paramref name="count"/> instances; false after the timeout.</summary>
    public async Task<bool> WaitForCountAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_instances.Count != count)
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var discovery = registry.Discover(options.Name);
        await discovery.StartAsync(stoppingToken);
        try
        {
            // The change stream: the current list first, then a new list whenever an instance comes or goes.
            await foreach (var instances in discovery.WatchAsync(stoppingToken))
            {
                Console.WriteLine($"[discovery] {options.Name}: {instances.Count} instance(s): {string.Join(", ", instances.Select(i => $"{i.Address}:{i.Port}"))}");
                for (int call = 0; call < Math.Min(2, instances.Count) * 2; call++)
                    Console.WriteLine($"[discovery]   request {call + 1} -> {discovery.Pick(_picker)?.ToUri()}");
                _instances = instances;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

// Service registration (an ephemeral node per instance, restored after session renewal) and discovery (a live list).
using System.Collections.Immutable;
using Coordinator.Client.Connection;
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

/// <summary>Entry point: register instances under <see cref="BasePath"/> and discover them by service name.</summary>
public sealed class ServiceRegistry(CoordinatorClient client, string basePath = "/services")
{
    public string BasePath { get; } = basePath;

    /// <summary>Registers the instance; it stays registered while this client's session lives (and is re-registered on a new one).</summary>
    public async Task<ServiceRegistration> RegisterAsync(ServiceInstance instance, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var registration = new ServiceRegistration(client, ServicePath(instance.Name), instance);
        await registration.StartAsync(cancellation).ConfigureAwait(false);
        return registration;
    }

    /// <summary>A live view of one service's instances; call <see cref="ServiceDiscovery.StartAsync"/> before reading it.</summary>
    public ServiceDiscovery Discover(string serviceName) => new(client, ServicePath(serviceName));

    public async Task<IReadOnlyList<string>> GetServiceNamesAsync(CancellationToken cancellation = default)
    {
        try
        {
            return (await client.GetChildrenAsync(BasePath, cancellation).ConfigureAwait(false)).Children.Order(StringComparer.Ordinal).ToList();
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private string ServicePath(string serviceName)
    {
        string path = PathValidation.Join(BasePath, serviceName);
        Requests.Validate(path);
        return path;
    }
}

/// <summary>A registered instance. Dispose to unregister.</summary>
public sealed class ServiceRegistration : IAsyncDisposable
{
    private readonly CoordinatorClient _client;
    private int _disposed;

    internal ServiceRegistration(CoordinatorClient client, string servicePath, ServiceInstance instance)
    {
        _client = client;
        Instance = instance;
        NodePath = PathValidation.Join(servicePath, instance.Id);
        Requests.Validate(NodePath);
    }

    public ServiceInstance Instance { get; private set; }

    public string NodePath { get; }

    internal async Task StartAsync(CancellationToken cancellation)
    {
        await WriteNodeAsync(cancellation).ConfigureAwait(false);
        _client.StateChanged += OnStateChanged;
    }

    /// <summary>Replaces the instance's data (e.g. new metadata); Name and Id must stay the same.</summary>
    public async Task UpdateAsync(ServiceInstance instance, CancellationToken cancellation = default)
    {
        if (instance.Name != Instance.Name || instance.Id != Instance.Id) throw new ArgumentException("an update keeps the instance's Name and Id", nameof(instance));
        Instance = instance;
        await WriteNodeAsync(cancellation).ConfigureAwait(false);
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        // An expired session took our ephemeral node with it: put it back on the new session.
        if (!e.IsNewSession || Volatile.Read(ref _disposed) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await WriteNodeAsync(CancellationToken.None).ConfigureAwait(false);
                ClientLog.RecipeInfo(_client.Logger, nameof(ServiceRegistration), NodePath, "re-registered on a new session");
            }
            catch (Exception ex) when (ex is KeeperException or ObjectDisposedException)
            {
                ClientLog.RecipeProblem(_client.Logger, nameof(ServiceRegistration), NodePath, "re-registration failed: " + ex.Message);
            }
        });
    }

    /// <summary>Creates our ephemeral node, taking over one left by an earlier session of ours (same Id) if present.</summary>
    private async Task WriteNodeAsync(CancellationToken cancellation)
    {
        byte[] data = Instance.ToJson();
        while (true)
        {
            try
            {
                await RecipeSupport.RetryAsync(_client, ct => _client.CreateRecursiveAsync(NodePath, data, CreateMode.Ephemeral, ct), cancellation).ConfigureAwait(false);
                return;
            }
            catch (NodeExistsException)
            {
                var stat = await _client.ExistsAsync(NodePath, cancellation).ConfigureAwait(false);
                if (stat is null) continue;
                if (stat.Value.EphemeralOwner == _client.SessionId)
                {
                    await _client.SetDataAsync(NodePath, data, -1, cancellation).ConfigureAwait(false);
                    return;
                }
                // A node from a dead session of ours that the server has not expired yet.
                try { await _client.DeleteAsync(NodePath, stat.Value.Version, cancellation).ConfigureAwait(false); }
                catch (Exception e) when (e is NoNodeException or BadVersionException) { }
            }
        }
    }

    /// <summary>Unregisters: deletes the node now rather than when the session ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _client.StateChanged -= OnStateChanged;
        await RecipeSupport.DeleteQuietlyAsync(_client, NodePath).ConfigureAwait(false);
    }
}

/// <summary>
/// The live instances of one service, kept by a <see cref="TreeCache"/> one level deep. Read <see cref="Instances"/>,
/// subscribe to <see cref="InstancesChanged"/>, or iterate <see cref="WatchAsync"/>; pick with an <see cref="IInstancePicker"/>.
/// </summary>
public sealed class ServiceDiscovery : IAsyncDisposable
{
    private readonly TreeCache _cache;
    private readonly Subscribers<IReadOnlyList<ServiceInstance>> _subscribers = new();
    private ImmutableSortedDictionary<string, ServiceInstance> _byPath = ImmutableSortedDictionary.Create<string, ServiceInstance>(StringComparer.Ordinal);
    private IReadOnlyList<ServiceInstance> _instances = [];

    internal ServiceDiscovery(CoordinatorClient client, string servicePath)
    {
        ServicePath = servicePath;
        _cache = new TreeCache(client, servicePath, maxDepth: 1);
        _cache.Changed += OnChanged;
    }

    public string ServicePath { get; }

    /// <summary>The live instances, ordered by Id.</summary>
    public IReadOnlyList<ServiceInstance> Instances => Volatile.Read(ref _instances);

    /// <summary>Raised (on the cache's task) with the new list each time an instance comes, goes or changes.</summary>
    public event EventHandler<IReadOnlyList<ServiceInstance>>? InstancesChanged;

    public Task StartAsync(CancellationToken cancellation = default) => _cache.StartAsync(cancellation);

    public ServiceInstance? Pick(IInstancePicker picker) => picker.Pick(Instances);

    /// <summary>The current list, then every new list. Subscribes when called; a slow reader skips to the latest list.</summary>
    public IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(CancellationToken cancellation = default) =>
        _subscribers.Subscribe(1, () => Instances, cancellation);

    private void OnChanged(object? sender, TreeCacheEvent e)
    {
        if (e.Path == ServicePath) return;
        var byPath = e.Type == TreeCacheEventType.NodeRemoved || ServiceInstance.FromJson(e.Data.Data) is not { } instance
            ? _byPath.Remove(e.Path)
            : _byPath.SetItem(e.Path, instance);
        if (byPath == _byPath) return;
        _byPath = byPath;
        IReadOnlyList<ServiceInstance> list = [.. byPath.Values.OrderBy(i => i.Id, StringComparer.Ordinal)];
        Volatile.Write(ref _instances, list);
        _subscribers.Publish(list);
        InstancesChanged?.Invoke(this, list);
    }

    public async ValueTask DisposeAsync()
    {
        await _cache.DisposeAsync().ConfigureAwait(false);
        _subscribers.Complete();
    }
}

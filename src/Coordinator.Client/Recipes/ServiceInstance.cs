// A registered service instance (address plus metadata) and its JSON form as stored in the instance's node.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coordinator.Client.Recipes;

/// <summary>One instance of a service, stored as JSON in an ephemeral node at {basePath}/{Name}/{Id}.</summary>
public sealed record ServiceInstance
{
    /// <summary>The service's name: every instance of "orders" registers under {basePath}/orders.</summary>
    public required string Name { get; init; }

    /// <summary>Unique among the service's instances; the node's name. Defaults to a new GUID.</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>Host name or IP other services use to reach this instance.</summary>
    public required string Address { get; init; }

    public int Port { get; init; }

    /// <summary>Free-form facts consumers may filter on (version, zone, protocol, weight...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public DateTimeOffset RegisteredAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>"http://address:port", or with another scheme.</summary>
    public Uri ToUri(string scheme = "http") => new UriBuilder(scheme, Address, Port).Uri;

    public override string ToString() => $"{Name}/{Id} at {Address}:{Port}";

    internal byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ServiceInstanceJson.Default.ServiceInstance);

    /// <summary>Null for a node whose data is not an instance (written by something else): consumers skip it.</summary>
    internal static ServiceInstance? FromJson(byte[] data)
    {
        try
        {
            return data.Length == 0 ? null : JsonSerializer.Deserialize(data, ServiceInstanceJson.Default.ServiceInstance);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Source-generated, so reading instances needs no reflection and survives trimming.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ServiceInstance))]
internal sealed partial class ServiceInstanceJson : JsonSerializerContext;

/// <summary>Chooses one instance from the live list.</summary>
public interface IInstancePicker
{
    ServiceInstance? Pick(IReadOnlyList<ServiceInstance> instances);
}

/// <summary>Each call takes the next instance in Id order; thread-safe.</summary>
public sealed class RoundRobinPicker : IInstancePicker
{
    private int _next = -1;

    public ServiceInstance? Pick(IReadOnlyList<ServiceInstance> instances)
    {
        if (instances.Count == 0) return null;
        int n = Interlocked.Increment(ref _next);
        return instances[(int)((uint)n % (uint)instances.Count)];
    }
}

public sealed class RandomPicker : IInstancePicker
{
    public ServiceInstance? Pick(IReadOnlyList<ServiceInstance> instances) =>
        instances.Count == 0 ? null : instances[Random.Shared.Next(instances.Count)];
}

// Generic-host wiring: services.AddCoordinatorClient(options => ...) registers one shared client and its recipes' entry points.
using Coordinator.Client;
using Coordinator.Client.Recipes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class CoordinatorServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="CoordinatorClient"/> configured through the options system (so it can also be
    /// bound from configuration with <c>services.Configure&lt;CoordinatorClientOptions&gt;(section)</c>), logging through
    /// the host's <see cref="ILoggerFactory"/>, plus a <see cref="ServiceRegistry"/> at <c>/services</c>. The client
    /// starts connecting when first resolved; the container closes its session when the host stops.
    /// </summary>
    public static IServiceCollection AddCoordinatorClient(this IServiceCollection services, Action<CoordinatorClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CoordinatorClientOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton(sp => new CoordinatorClient(
            sp.GetRequiredService<IOptions<CoordinatorClientOptions>>(), sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton(sp => new ServiceRegistry(sp.GetRequiredService<CoordinatorClient>()));
        return services;
    }
}

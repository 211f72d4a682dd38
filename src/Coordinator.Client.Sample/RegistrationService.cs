// A service instance that registers itself while it runs and unregisters when the host stops.
using Coordinator.Client.Recipes;
using Microsoft.Extensions.Hosting;

namespace Coordinator.Client.Sample;

public sealed class RegistrationService(ServiceRegistry registry, SampleOptions options, int port) : IHostedService
{
    private ServiceRegistration? _registration;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = await registry.RegisterAsync(new ServiceInstance
        {
            Name = options.Name,
            Id = $"{Environment.MachineName}-{port}",
            Address = "127.0.0.1",
            Port = port,
            Metadata = new Dictionary<string, string> { ["version"] = "1.0", ["pid"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        }, cancellationToken);
        Console.WriteLine($"[{options.Name}:{port}] registered at {_registration.NodePath}");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_registration is not null) await _registration.DisposeAsync();
        Console.WriteLine($"[{options.Name}:{port}] unregistered");
    }
}

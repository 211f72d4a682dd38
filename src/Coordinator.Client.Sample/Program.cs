// The sample's entry point: runs two registering services and one discovering service, each a generic host with its own session.
//
//   dotnet run --project src/Coordinator.Client.Sample -- --server 127.0.0.1:2181
//   dotnet run --project src/Coordinator.Client.Sample -- --server 127.0.0.1:2181 --role register --name orders --port 8081
//   dotnet run --project src/Coordinator.Client.Sample -- --server 127.0.0.1:2181 --role discover --name orders
using Coordinator.Client.Sample;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var options = SampleOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: sample [--server host:port[,host:port][/chroot]] [--role all|register|discover] [--name service] [--port n]");
    return 2;
}

IHost BuildHost(string role, Action<IServiceCollection> addServices)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
    builder.Services.AddCoordinatorClient(o => o.ConnectionString = options.Server);
    builder.Services.AddSingleton(options);
    addServices(builder.Services);
    Console.WriteLine($"[{role}] starting");
    return builder.Build();
}

IHost Registrar(int port) => BuildHost($"{options.Name}:{port}", s => s.AddSingleton<IHostedService>(sp =>
    ActivatorUtilities.CreateInstance<RegistrationService>(sp, port)));

IHost Discoverer() => BuildHost("discovery", s =>
{
    s.AddSingleton<DiscoveryService>();
    s.AddHostedService(sp => sp.GetRequiredService<DiscoveryService>());
});

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

switch (options.Role)
{
    case "register":
        await Registrar(options.Port).RunAsync(stop.Token);
        return 0;
    case "discover":
        await Discoverer().RunAsync(stop.Token);
        return 0;
}

// "all": the whole story in one process, ending on its own.
using var first = Registrar(8081);
using var second = Registrar(8082);
using var discovery = Discoverer();
await first.StartAsync(stop.Token);
await second.StartAsync(stop.Token);
await discovery.StartAsync(stop.Token);
var seen = discovery.Services.GetRequiredService<DiscoveryService>();
if (!await seen.WaitForCountAsync(2, TimeSpan.FromSeconds(15)))
{
    Console.Error.WriteLine("discovery did not see both instances within 15 s; is a server running at " + options.Server + "?");
    return 1;
}
Console.WriteLine("[main] stopping the instance on port 8081");
await first.StopAsync();
await seen.WaitForCountAsync(1, TimeSpan.FromSeconds(15));
await discovery.StopAsync();
await second.StopAsync();
Console.WriteLine("[main] done");
return 0;

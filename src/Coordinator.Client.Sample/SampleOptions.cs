// The sample's command line: which server, which role, which service name and port.
namespace Coordinator.Client.Sample;

public sealed record SampleOptions(string Server, string Role, string Name, int Port)
{
    public static SampleOptions? Parse(string[] args)
    {
        var o = new SampleOptions("127.0.0.1:2181", "all", "orders", 8081);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            o = args[i] switch
            {
                "--server" => o with { Server = args[i + 1] },
                "--role" when args[i + 1] is "all" or "register" or "discover" => o with { Role = args[i + 1] },
                "--name" => o with { Name = args[i + 1] },
                "--port" when int.TryParse(args[i + 1], out int port) => o with { Port = port },
                _ => null,
            };
            if (o is null) return null;
        }
        return args.Length % 2 == 0 ? o : null;
    }
}

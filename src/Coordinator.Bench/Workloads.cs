// The benchmark's workloads: each turns (client, sequence number) into the next request a client sends.
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Bench;

internal sealed record Workload(string Name, string Description, bool Writes, Func<BenchOptions, int, long, Request> Next)
{
    public const string Root = "/bench";

    private static readonly List<Acl> Open = [.. Acl.OpenAclUnsafe];

    private static CreateRequest Create(string path, byte[] value) => new(OpCode.Create, path, value, Open, 0);

    public static readonly IReadOnlyList<Workload> All =
    [
        new("create", "create a new znode per op", true,
            (o, c, i) => Create($"{Root}/c/{o.RunId}-{c}-{i}", o.Value)),
        new("set", "setData on the client's own znode", true,
            (o, c, i) => new SetDataRequest($"{Root}/s/{c}", o.Value, -1)),
        new("get", "getData of one shared znode", false,
            (o, c, i) => new PathWatchRequest(OpCode.GetData, $"{Root}/g", false)),
        new("exists", "exists on one shared znode", false,
            (o, c, i) => new PathWatchRequest(OpCode.Exists, $"{Root}/g", false)),
        new("mixed", "reads and writes at --read-percent reads", true,
            (o, c, i) => (int)((i * 2654435761L) % 100) < o.ReadPercent
                ? new PathWatchRequest(OpCode.GetData, $"{Root}/s/{c}", false)
                : new SetDataRequest($"{Root}/s/{c}", o.Value, -1)),
        new("createdelete", "create then delete the same znode, alternately", true,
            (o, c, i) => i % 2 == 0
                ? Create($"{Root}/d/{o.RunId}-{c}-{i / 2}", o.Value)
                : new DeleteRequest(OpCode.Delete, $"{Root}/d/{o.RunId}-{c}-{i / 2}", -1)),
        new("multi", "multi of a create and a setData", true,
            (o, c, i) => new MultiRequest(OpCode.Multi,
                [Create($"{Root}/m/{o.RunId}-{c}-{i}", o.Value), new SetDataRequest($"{Root}/s/{c}", o.Value, -1)])),
    ];

    /// <summary>Znodes every workload expects to exist before it starts.</summary>
    public static IEnumerable<Request> Setup(BenchOptions o)
    {
        foreach (var p in new[] { Root, $"{Root}/c", $"{Root}/d", $"{Root}/m", $"{Root}/s" }) yield return Create(p, []);
        yield return Create($"{Root}/g", o.Value);
        for (int c = 0; c < o.Clients; c++) yield return Create($"{Root}/s/{c}", o.Value);
    }
}

// Writes generated scenarios, each op with the model's outcome, events and whole tree, as JSON lines for Replay.java to check on ZooKeeper.
using System.Globalization;
using System.Text.Json;
using Coordinator.Core;
using Coordinator.StateMachine.Tests.Harness;
using Coordinator.StateMachine.Tests.Model;
using FsCheck;
using FsCheck.Fluent;
using Outcome = Coordinator.StateMachine.Tests.Model.Outcome;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: ZkDiff <scenarios> <tree|watch> <first seed> <out.jsonl> [skip-mixed]");
    return 2;
}
int scenarios = int.Parse(args[0], CultureInfo.InvariantCulture);
var mix = args[1] == "watch" ? OpMix.Watches : OpMix.Tree;
ulong firstSeed = ulong.Parse(args[2], CultureInfo.InvariantCulture);
bool skipMixed = args.Length > 4 && args[4] == "skip-mixed";
using var output = new StreamWriter(args[3]);
var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

for (int i = 0; i < scenarios; i++)
{
    var scenario = Gen.Sample(Generators.Scenarios(mix), 1, new Rnd(firstSeed + (ulong)i), 50)[0];
    var runner = new ScenarioRunner();
    bool eventsComparable = true;
    output.WriteLine(JsonSerializer.Serialize(new { Begin = i }, json));
    foreach (var op in scenario.Ops)
    {
        var resolved = op.MapPaths(p => ScenarioPaths.Resolve(p, runner.Model.ChildrenOf));
        long session = runner.SessionOf(op.Session);
        if (Export.MixesWatchModes(runner, session, resolved))
        {
            if (skipMixed) continue;
            eventsComparable = false;
        }
        var outcome = runner.Step(op);
        output.WriteLine(JsonSerializer.Serialize(new
        {
            op.Session,
            Op = Export.Op(resolved),
            Show = resolved.ToString(),
            Outcome = Export.Outcome(outcome),
            EventsComparable = eventsComparable,
            Events = Export.DeliveredEvents(runner.LastEvents, resolved, session),
            Tree = runner.Model.Nodes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new
            {
                Path = kv.Key,
                Data = OpData.Show(kv.Value.Data),
                Stat = Export.Stat(kv.Value.Stat),
                Children = kv.Value.Children.ToList(),
                Acl = kv.Value.Acl.Select(a => $"{a.Perms}:{a.Id.Scheme}:{a.Id.Ident}").ToList(),
            }).ToList(),
        }, json));
    }
}
return 0;

internal static class Export
{
    private static int SlotOf(long session) => (int)((session >> 16) & 0xff);

    /// <summary>Owners as "s{slot}g{generation}", since ZooKeeper's session ids differ from the model's.</summary>
    private static string Owner(long session) => string.Create(CultureInfo.InvariantCulture, $"s{SlotOf(session)}g{session & 0xffff}");

    /// <summary>Stat without zxids and times: ZooKeeper also spends zxids on failed writes, so those differ by design.</summary>
    public static object? Stat(Coordinator.Jute.Records.Stat? s) => s is { } t
        ? new { t.Version, t.Cversion, t.Aversion, t.DataLength, t.NumChildren, Owner = t.EphemeralOwner == 0 ? "0" : Owner(t.EphemeralOwner) }
        : null;

    public static object Outcome(Outcome o) => new
    {
        Err = (int)o.Err, o.Path, Stat = Stat(o.Stat), Multi = o.Multi?.Select(Outcome).ToList(), o.Data,
        Children = o.Children?.Order(StringComparer.Ordinal).ToList(),
    };

    private static object Acl(AclChoice c) => Identities.AclList(c).Select(a => new { a.Perms, a.Id.Scheme, a.Id.Ident }).ToList();

    public static object Op(Op op) => op switch
    {
        CreateOp c => new { Kind = "create", c.Path, c.Data, c.Flags, Acl = Acl(c.Acl), Ttl = c.EffectiveTtl, Code = (int)c.Code },
        DeleteOp d => new { Kind = "delete", d.Path, d.Version },
        SetDataOp s => new { Kind = "setData", s.Path, s.Data, s.Version },
        SetAclOp s => new { Kind = "setAcl", s.Path, Acl = Acl(s.Acl), s.Version },
        CheckOp c => new { Kind = "check", c.Path, c.Version },
        MultiOp m => new { Kind = "multi", Ops = m.Ops.Select(Op).ToList() },
        CloseSessionOp => new { Kind = "close" },
        ReadOp r => new { Kind = r.Kind.ToString(), r.Path, r.Watch },
        AddWatchOp w => (object)new { Kind = "addWatch", w.Path, w.Recursive },
        _ => throw new InvalidOperationException($"unknown op {op}"),
    };

    /// <summary>
    /// The events a ZooKeeper client receives: none for a session without READ on the node (CVE-2024-23944 fix), none
    /// for the session being closed; closeSession's deletes in no particular order.
    /// </summary>
    public static Dictionary<string, List<string>> DeliveredEvents(IReadOnlyList<ModelEvent> events, Op op, long session) => events
        .Where(e => op is not CloseSessionOp || e.Session != session)
        .Where(e => e.Acl is null || ModelRules.Allows(e.Acl, Perms.Read, Identities.AuthOf(SlotOf(e.Session))))
        .GroupBy(e => SlotOf(e.Session))
        .ToDictionary(g => g.Key.ToString(CultureInfo.InvariantCulture), g =>
        {
            var list = g.Select(e => $"{e.Type} {e.Path}").ToList();
            if (op is CloseSessionOp) list.Sort(StringComparer.Ordinal);
            return list;
        });

    /// <summary>
    /// ZooKeeper 3.8 keeps one watch mode per session, path and table (ZOOKEEPER-4466), and addWatch puts even a recursive
    /// watch in both tables; a second, different registration replaces the first there, so its events differ by design.
    /// </summary>
    public static bool MixesWatchModes(ScenarioRunner runner, long session, Op op)
    {
        (string Path, WatchKind Kind)? adding = op switch
        {
            ReadOp { Watch: true } r => (r.Path, r.Kind == ReadKind.GetChildren ? WatchKind.Child : WatchKind.Data),
            AddWatchOp w => (w.Path, w.Recursive ? WatchKind.Recursive : WatchKind.Persistent),
            _ => null,
        };
        if (adding is not { } add) return false;
        static bool InDataTable(WatchKind k) => k is not WatchKind.Child;
        static bool InChildTable(WatchKind k) => k is not WatchKind.Data;
        return runner.Watches.All.Any(w => w.Session == session && w.Path == add.Path && w.Kind != add.Kind
            && ((InDataTable(w.Kind) && InDataTable(add.Kind)) || (InChildTable(w.Kind) && InChildTable(add.Kind))));
    }
}

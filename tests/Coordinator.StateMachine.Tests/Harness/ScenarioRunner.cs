// Runs one scenario against the reference model and the real state machine, comparing everything a client could see after every op.
using Coordinator.Core;
using System.Text;
using Coordinator.StateMachine.Tests.Model;
using Coordinator.StateMachine.Watches;

namespace Coordinator.StateMachine.Tests.Harness;

/// <summary>A disagreement between the model and the state machine, with the steps that led to it.</summary>
public sealed class ScenarioMismatchException(string message) : Exception(message);

public sealed class ScenarioRunner
{
    private const long TimeStepMs = 10;

    private readonly ModelTree _model = new();
    private readonly ModelWatches _watches = new();
    private readonly SutDriver _sut = new();
    private readonly int[] _generation = new int[Identities.Slots];
    private readonly HashSet<long> _closed = [];
    private readonly List<string> _trace = [];
    private readonly long _initialDataSize;
    private long _time = 1_000_000;

    public ScenarioRunner()
    {
        _initialDataSize = _sut.Tree.ApproximateDataSize;
        for (int slot = 0; slot < Identities.Slots; slot++) OpenSession(slot);
        CompareState();
    }

    public ModelTree Model => _model;

    /// <summary>How often each kind of outcome happened, so a test can show the generators reach the interesting cases.</summary>
    public Dictionary<string, int> Coverage { get; } = [];

    /// <summary>The registrations that caused events: one-shot Data/Child, Persistent, Recursive (on the path or an ancestor).</summary>
    public IReadOnlyDictionary<string, int> WatchHits => _watches.Hits;

    public DataTree Tree => _sut.Tree;

    public ModelWatches Watches => _watches;

    /// <summary>The watch events the last step fired (the model's, which the state machine's matched).</summary>
    public IReadOnlyList<ModelEvent> LastEvents { get; private set; } = [];

    public long SessionOf(int slot) => Identities.SessionId(slot, _generation[slot]);

    private void OpenSession(int slot)
    {
        _model.CreateSession();
        _sut.CreateSession(SessionOf(slot), _time);
    }

    /// <summary>Runs every op, comparing after each; throws <see cref="ScenarioMismatchException"/> at the first difference.</summary>
    public void Run(IEnumerable<Op> ops)
    {
        foreach (var op in ops) Step(op);
    }

    /// <summary>Runs one op on both sides, compares, and returns the outcome they agreed on.</summary>
    public Outcome Step(Op op)
    {
        var resolved = op.MapPaths(p => ScenarioPaths.Resolve(p, _model.ChildrenOf));
        _time += TimeStepMs;
        int slot = resolved.Session;
        long session = SessionOf(slot);
        var auth = Identities.AuthOf(slot);
        var modelEvents = new List<ModelEvent>();
        Outcome expected, actual;
        switch (resolved)
        {
            case CloseSessionOp:
                var closed = new List<Change>();
                expected = _model.CloseSession(session, closed);
                foreach (var change in closed) _watches.Fire(change, modelEvents);
                _watches.RemoveSession(session);
                actual = _sut.CloseSession(session, _time);
                break;
            case ReadOp r:
                expected = _model.Read(auth, r);
                if (r.Watch && WatchRegistered(r, expected)) _watches.Add(session, r.Path, r.Kind == ReadKind.GetChildren ? WatchKind.Child : WatchKind.Data);
                actual = _sut.Read(session, slot, r);
                break;
            case AddWatchOp w:
                expected = new Outcome(Core.ErrorCode.Ok);
                _watches.Add(session, w.Path, w.Recursive ? WatchKind.Recursive : WatchKind.Persistent);
                actual = _sut.AddWatch(session, slot, w);
                break;
            default:
                var changes = new List<Change>();
                expected = _model.Write(session, auth, resolved, _time, changes);
                foreach (var change in changes) _watches.Fire(change, modelEvents);
                actual = _sut.Write(session, slot, resolved, _time);
                break;
        }
        var sutEvents = _sut.Tree.Watches.DrainEvents().Select(e => new ModelEvent(e.Watcher, e.Type, e.Path)).ToList();
        string stepText = $"#{_trace.Count} {resolved}";
        _trace.Add($"{stepText}  =>  {Brief(expected)}{EventsText(modelEvents)}");

        Count(resolved, expected, modelEvents);
        if (expected.ToString() != actual.ToString()) Mismatch("result", expected, actual);
        CompareEvents(modelEvents, sutEvents, ordered: resolved is not CloseSessionOp);
        LastEvents = modelEvents;
        if (resolved is CloseSessionOp)
        {
            _closed.Add(session);
            _generation[slot]++;
            OpenSession(slot);
        }
        CompareState();
        return expected;
    }

    private void Count(Op op, Outcome outcome, List<ModelEvent> events)
    {
        void Add(string key) => Coverage[key] = Coverage.GetValueOrDefault(key) + 1;
        string name = op switch
        {
            CreateOp c => c.Flags is >= 0 and <= 6 ? ((Core.CreateMode)c.Flags).ToString() : "BadMode",
            ReadOp r => r.Kind + (r.Watch ? "+watch" : ""),
            _ => op.GetType().Name.Replace("Op", "", StringComparison.Ordinal),
        };
        if (outcome.Multi is { } results)
            Add(results.Count == 0 ? "Multi empty" : results.All(r => r.Err == Core.ErrorCode.Ok) ? "Multi Ok" : "Multi failed at " + results.First(r => r.Err != Core.ErrorCode.Ok).Err);
        else
            Add($"{name} {outcome.Err}");
        foreach (var e in events) Add("event " + e.Type);
    }

    /// <summary>ZooKeeper leaves an exists watch whether or not the node is there; getData/getChildren only on success.</summary>
    private static bool WatchRegistered(ReadOp r, Outcome outcome) =>
        outcome.Err == Core.ErrorCode.Ok || (r.Kind == ReadKind.Exists && outcome.Err == Core.ErrorCode.NoNode);

    private static string Brief(Outcome o) => o.Multi is { } m
        ? $"[{string.Join(", ", m.Select(r => r.Path is null ? r.Err.ToString() : $"{r.Err} {ScenarioPaths.Show(r.Path)}"))}]"
        : o.Path is null ? o.Err.ToString() : $"{o.Err} {ScenarioPaths.Show(o.Path)}";

    private static string EventsText(List<ModelEvent> events) =>
        events.Count == 0 ? "" : "  events: " + string.Join(", ", events);

    /// <summary>Each session must get the same events; in the same order too, except for closeSession's unordered deletes.</summary>
    private void CompareEvents(List<ModelEvent> expected, List<ModelEvent> actual, bool ordered)
    {
        static string PerSession(IEnumerable<ModelEvent> events, bool ordered) => string.Join(" | ", events
            .GroupBy(e => e.Session)
            .OrderBy(g => g.Key)
            .Select(g => $"0x{g.Key:x}: " + string.Join(", ", (ordered ? g.AsEnumerable() : g.OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => e.Type))
                .Select(e => $"{e.Type} {ScenarioPaths.Show(e.Path)}"))));
        string want = PerSession(expected, ordered), got = PerSession(actual, ordered);
        if (want != got) Mismatch("watch events", want, got);
    }

    private void CompareState()
    {
        var tree = _sut.Tree;
        if (tree.LastProcessedZxid != _model.LastZxid) Mismatch("last zxid", _model.LastZxid, tree.LastProcessedZxid);
        if (tree.NodeCount != _model.Nodes.Count)
        {
            var extra = string.Join(", ", AllSutPaths(tree).Except(_model.Nodes.Keys));
            Mismatch("node count", $"{_model.Nodes.Count}", $"{tree.NodeCount} (extra: {extra})");
        }
        long dataSize = _initialDataSize;
        foreach (var (path, want) in _model.Nodes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var got = tree.GetNode(path);
            if (got is null) { Mismatch($"node {path}", "present", "missing"); return; }
            // The state machine's approximate size counts path and data lengths; the system nodes' paths are not in it.
            dataSize += (ModelRules.IsSystemPath(path) ? 0 : path.Length) + (want.Data?.Length ?? 0);
            Check($"data of {path}", OpData.Show(want.Data), OpData.Show(got.Data));
            Check($"stat of {path}", Outcome.StatText(want.Stat), Outcome.StatText(got.ToStat()));
            Check($"raw ephemeralOwner of {path}", $"0x{want.Owner:x}", $"0x{got.EphemeralOwner:x}");
            Check($"children of {path}", string.Join(",", want.Children), string.Join(",", got.Children.Order(StringComparer.Ordinal)));
            Check($"acl of {path}", string.Join(",", want.Acl), string.Join(",", got.Acl));
        }
        foreach (long session in _closed.Concat(Enumerable.Range(0, Identities.Slots).Select(SessionOf)))
            Check($"ephemerals of 0x{session:x}", string.Join(",", _model.EphemeralsOf(session)), string.Join(",", tree.EphemeralsOf(session).Order(StringComparer.Ordinal)));
        Check("containers", KindPaths(OwnerKind.Container), string.Join(",", tree.Containers.Order(StringComparer.Ordinal)));
        Check("ttl nodes", KindPaths(OwnerKind.Ttl), string.Join(",", tree.Ttls.Order(StringComparer.Ordinal)));
        Check("sessions", string.Join(",", Enumerable.Range(0, Identities.Slots).Select(SessionOf).Order()), string.Join(",", tree.Sessions.Keys.Order()));
        Check("approximate data size", dataSize.ToString(System.Globalization.CultureInfo.InvariantCulture), tree.ApproximateDataSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (session, path, kind) in _watches.All)
        {
            var type = kind switch
            {
                WatchKind.Data => WatcherType.Data,
                WatchKind.Child => WatcherType.Children,
                WatchKind.Persistent => WatcherType.Persistent,
                _ => WatcherType.PersistentRecursive,
            };
            if (!tree.Watches.Contains(path, type, session)) Mismatch($"watch {kind} on {path} for 0x{session:x}", "registered", "absent");
        }
    }

    private string KindPaths(OwnerKind kind) => string.Join(",", _model.Nodes
        .Where(kv => ModelRules.KindOf(kv.Value.Owner) == kind).Select(kv => kv.Key).Order(StringComparer.Ordinal));

    private static IEnumerable<string> AllSutPaths(DataTree tree)
    {
        var pending = new Stack<string>(["/"]);
        while (pending.TryPop(out var path))
        {
            yield return path;
            foreach (var child in tree.GetNode(path)?.Children ?? []) pending.Push(path == "/" ? "/" + child : path + "/" + child);
        }
    }

    private void Check(string what, string expected, string actual)
    {
        if (expected != actual) Mismatch(what, expected, actual);
    }

    private void Mismatch(string what, object expected, object actual)
    {
        var b = new StringBuilder();
        b.AppendLine().AppendLine($"Model and state machine disagree on {what} after the last step:");
        b.AppendLine($"  model:         {expected}");
        b.AppendLine($"  state machine: {actual}");
        b.AppendLine("Steps (each with the model's outcome and events):");
        foreach (var line in _trace) b.AppendLine("  " + line);
        throw new ScenarioMismatchException(b.ToString());
    }
}

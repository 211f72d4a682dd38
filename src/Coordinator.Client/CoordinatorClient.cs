// The client API: one async method per operation of ZooKeeper's 3.9 protocol, over a session that reconnects by itself.
using Coordinator.Client.Connection;
using Coordinator.Client.Operations;
using Coordinator.Client.Watches;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Coordinator.Client;

/// <summary>
/// A ZooKeeper session. Construction starts connecting in the background; operations issued before the first
/// connection (or during a reconnect) wait in a queue and go out, in order, once a server accepts the session.
/// Failures are typed <see cref="KeeperException"/>s naming the path. Thread-safe; share one per application.
/// </summary>
public sealed class CoordinatorClient : IAsyncDisposable
{
    /// <summary>Where ZooKeeper keeps the ensemble's dynamic configuration (outside any chroot).</summary>
    public const string ConfigPath = "/zookeeper/config";

    private readonly ClientSession _session;

    public CoordinatorClient(CoordinatorClientOptions options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>For dependency injection: options from the options system, logging from the host.</summary>
    public CoordinatorClient(IOptions<CoordinatorClientOptions> options, ILoggerFactory? loggers = null)
        : this(WithLoggers(options.Value, loggers), TimeProvider.System)
    {
    }

    internal CoordinatorClient(CoordinatorClientOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Clone();
        var log = (Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CoordinatorClient>();
        Logger = log;
        _session = new ClientSession(Options, log, time, RaiseStateChanged);
        _session.Start();
    }

    /// <summary>Each handler on its own, so one that throws cannot keep a recipe's handler from hearing of expiry.</summary>
    private void RaiseStateChanged(ConnectionStateChangedEventArgs args)
    {
        if (StateChanged is not { } handlers) return;
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<ConnectionStateChangedEventArgs>)handler)(this, args);
            }
            catch (Exception e)
            {
                ClientLog.CallbackFailed(Logger, e);
            }
        }
    }

    private static CoordinatorClientOptions WithLoggers(CoordinatorClientOptions options, ILoggerFactory? loggers)
    {
        var copy = options.Clone();
        copy.LoggerFactory ??= loggers;
        return copy;
    }

    /// <summary>Creates a client and waits until its session is established.</summary>
    public static Task<CoordinatorClient> ConnectAsync(string connectionString, CancellationToken cancellation = default) =>
        ConnectAsync(new CoordinatorClientOptions { ConnectionString = connectionString }, cancellation);

    public static async Task<CoordinatorClient> ConnectAsync(CoordinatorClientOptions options, CancellationToken cancellation = default)
    {
        var client = new CoordinatorClient(options);
        try
        {
            await client.WaitForConnectedAsync(cancellation).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Raised (on the client's event thread, in order with watch events) when the connection state changes.</summary>
    public event EventHandler<ConnectionStateChangedEventArgs>? StateChanged;

    public CoordinatorClientOptions Options { get; }

    internal ILogger Logger { get; }

    public ConnectionState State => _session.State;

    public long SessionId => _session.SessionId;

    /// <summary>With <see cref="SessionId"/>, what another client needs to resume this session.</summary>
    public byte[] SessionPassword => _session.SessionPassword;

    /// <summary>The timeout the server granted (the requested one until connected).</summary>
    public TimeSpan SessionTimeout => _session.NegotiatedTimeout;

    /// <summary>The server currently connected to, or null.</summary>
    public ServerAddress? CurrentServer => _session.CurrentServer;

    public string? Chroot => _session.Chroot.Root;

    /// <summary>The highest zxid this client has seen in a reply.</summary>
    public long LastZxid => _session.LastZxid;

    /// <summary>Completes when connected; throws if the client is closed or its session expired for good.</summary>
    public Task WaitForConnectedAsync(CancellationToken cancellation = default) => _session.WaitForConnectedAsync(cancellation);

    /// <summary>Test hook: drop the TCP connection as a network failure would, staying away for <paramref name="holdOff"/>.</summary>
    internal void DropConnection(TimeSpan holdOff = default) => _session.DropConnection(holdOff);

    internal int WatchCount => _session.Watches.Count;

    /// <summary>
    /// Creates a node in any mode, always answering its Stat: create2 for the persistent and ephemeral modes,
    /// createContainer for containers, createTTL (with <paramref name="ttlMs"/>) for TTL nodes.
    /// </summary>
    public Task<CreateResult> CreateAsync(string path, byte[]? data, CreateMode mode = CreateMode.Persistent,
        IReadOnlyList<Acl>? acl = null, long ttlMs = -1, CancellationToken cancellation = default)
    {
        var (op, flags) = Requests.CreateOp(path, mode, ttlMs);
        var request = new CreateRequest(op, ToServer(path), data ?? [], Requests.AclList(acl), flags, ttlMs);
        return _session.SubmitAsync(op, request, path, Decoders.Create, null, cancellation);
    }

    public Task<CreateResult> CreateAsync(string path, byte[]? data, CreateMode mode, CancellationToken cancellation) =>
        CreateAsync(path, data, mode, null, -1, cancellation);

    /// <summary>Deletes a node; <paramref name="version"/> -1 matches any version.</summary>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        return _session.SubmitAsync(OpCode.Delete, new DeleteRequest(OpCode.Delete, ToServer(path), version), path, Decoders.Empty, null, cancellation);
    }

    /// <summary>The node's Stat, or null when it does not exist.</summary>
    public Task<Stat?> ExistsAsync(string path, CancellationToken cancellation = default) => ExistsCore(path, null, cancellation);

    /// <summary>As <see cref="ExistsAsync(string, CancellationToken)"/>, leaving a one-shot watch that fires on create, delete or data change.</summary>
    public Task<Stat?> ExistsAsync(string path, Action<WatchedEvent> watcher, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return ExistsCore(path, watcher, cancellation);
    }

    private Task<Stat?> ExistsCore(string path, Action<WatchedEvent>? watcher, CancellationToken cancellation)
    {
        Requests.Validate(path);
        var watch = watcher is null ? null : new WatchRegistration(WatchKind.Data, path, watcher, FromExists: true);
        return _session.SubmitAsync(OpCode.Exists, new PathWatchRequest(OpCode.Exists, ToServer(path), watch is not null), path, Decoders.Exists, watch, cancellation);
    }

    public Task<NodeData> GetDataAsync(string path, CancellationToken cancellation = default) => GetDataCore(path, null, cancellation);

    /// <summary>As <see cref="GetDataAsync(string, CancellationToken)"/>, leaving a one-shot watch for data change or delete.</summary>
    public Task<NodeData> GetDataAsync(string path, Action<WatchedEvent> watcher, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return GetDataCore(path, watcher, cancellation);
    }

    private Task<NodeData> GetDataCore(string path, Action<WatchedEvent>? watcher, CancellationToken cancellation)
    {
        Requests.Validate(path);
        var watch = watcher is null ? null : new WatchRegistration(WatchKind.Data, path, watcher);
        return _session.SubmitAsync(OpCode.GetData, new PathWatchRequest(OpCode.GetData, ToServer(path), watch is not null), path, Decoders.GetData, watch, cancellation);
    }

    /// <summary>Replaces the node's data; <paramref name="version"/> -1 matches any version (else BadVersion).</summary>
    public Task<Stat> SetDataAsync(string path, byte[]? data, int version = -1, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        return _session.SubmitAsync(OpCode.SetData, new SetDataRequest(ToServer(path), data ?? [], version), path, Decoders.Stat, null, cancellation);
    }

    /// <summary>The child names (not paths) and the parent's Stat (getChildren2).</summary>
    public Task<NodeChildren> GetChildrenAsync(string path, CancellationToken cancellation = default) => GetChildrenCore(path, null, cancellation);

    /// <summary>As <see cref="GetChildrenAsync(string, CancellationToken)"/>, leaving a one-shot watch for child changes or delete.</summary>
    public Task<NodeChildren> GetChildrenAsync(string path, Action<WatchedEvent> watcher, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return GetChildrenCore(path, watcher, cancellation);
    }

    private Task<NodeChildren> GetChildrenCore(string path, Action<WatchedEvent>? watcher, CancellationToken cancellation)
    {
        Requests.Validate(path);
        var watch = watcher is null ? null : new WatchRegistration(WatchKind.Child, path, watcher);
        return _session.SubmitAsync(OpCode.GetChildren2, new PathWatchRequest(OpCode.GetChildren2, ToServer(path), watch is not null), path, Decoders.GetChildren, watch, cancellation);
    }

    public Task<NodeAcl> GetAclAsync(string path, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        return _session.SubmitAsync(OpCode.GetAcl, new PathRequest(OpCode.GetAcl, ToServer(path)), path, Decoders.GetAcl, null, cancellation);
    }

    /// <summary>Replaces the node's ACL; <paramref name="aclVersion"/> is checked against Stat.Aversion (-1 matches any).</summary>
    public Task<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int aclVersion = -1, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        return _session.SubmitAsync(OpCode.SetAcl, new SetAclRequest(ToServer(path), Requests.AclList(acl), aclVersion), path, Decoders.Stat, null, cancellation);
    }

    /// <summary>Waits until the server this client talks to has caught up with the leader (for reads after another client's write).</summary>
    public Task<string> SyncAsync(string path, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        return _session.SubmitAsync(OpCode.Sync, new PathRequest(OpCode.Sync, ToServer(path)), path, Decoders.Path, null, cancellation);
    }

    /// <summary>The paths of this session's ephemeral nodes under <paramref name="prefixPath"/> (chroot removed).</summary>
    public Task<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = "/", CancellationToken cancellation = default)
    {
        Requests.Validate(prefixPath);
        return _session.SubmitAsync(OpCode.GetEphemerals, new PathRequest(OpCode.GetEphemerals, ToServer(prefixPath)), prefixPath, Decoders.Ephemerals, null, cancellation);
    }

    /// <summary>How many nodes lie below <paramref name="path"/>, at any depth.</summary>
    public Task<int> GetAllChildrenNumberAsync(string path, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        return _session.SubmitAsync(OpCode.GetAllChildrenNumber, new PathRequest(OpCode.GetAllChildrenNumber, ToServer(path)), path, Decoders.AllChildrenNumber, null, cancellation);
    }

    /// <summary>The identities the server has for this session (ip, digest, ...).</summary>
    public Task<IReadOnlyList<ClientInfo>> WhoAmIAsync(CancellationToken cancellation = default) =>
        _session.SubmitAsync(OpCode.WhoAmI, null, null, Decoders.WhoAmI, null, cancellation);

    /// <summary>
    /// Adds credentials to the session; they are sent again after every reconnect. A rejection throws
    /// <see cref="AuthFailedException"/>, raises <see cref="ConnectionState.AuthFailed"/>, and the credentials are dropped
    /// (the server closes the connection; the client reconnects with the same session).
    /// </summary>
    public Task AddAuthAsync(string scheme, byte[] auth, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(auth);
        var entry = new AuthEntry(scheme, auth);
        _session.AddAuth(entry);
        return _session.SubmitAsync(OpCode.Auth, new AuthPacket(0, scheme, auth), null, Decoders.Empty, null, cancellation, PacketKind.Auth, entry);
    }

    /// <summary>digest auth as "user:password" (what zkCli's addauth digest sends).</summary>
    public Task AddDigestAuthAsync(string user, string password, CancellationToken cancellation = default) =>
        AddAuthAsync("digest", System.Text.Encoding.UTF8.GetBytes(user + ":" + password), cancellation);

    /// <summary>
    /// A watch that stays after firing (addWatch). <see cref="AddWatchMode.Persistent"/> reports the node's data, child
    /// and existence changes; <see cref="AddWatchMode.PersistentRecursive"/> reports created, deleted and data-changed
    /// events for the node and everything below it. It survives reconnects and session renewal until removed.
    /// </summary>
    public Task AddWatchAsync(string path, AddWatchMode mode, Action<WatchedEvent> watcher, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        ArgumentNullException.ThrowIfNull(watcher);
        var kind = mode == AddWatchMode.Persistent ? WatchKind.Persistent : WatchKind.PersistentRecursive;
        var watch = new WatchRegistration(kind, path, watcher);
        return _session.SubmitAsync(OpCode.AddWatch, new AddWatchRequest(ToServer(path), (int)mode), path, Decoders.Empty, watch, cancellation);
    }

    /// <summary>
    /// Removes <paramref name="watcher"/> (or every watcher, when null) of <paramref name="type"/> from the path. The
    /// server's watch is removed when no other local watcher needs it, else only checked. <paramref name="local"/>
    /// removes client-side only (works while disconnected). Removed watchers get a *WatchRemoved event.
    /// Throws <see cref="NoWatcherException"/> when there is nothing to remove.
    /// </summary>
    public async Task RemoveWatchesAsync(string path, WatcherType type, Action<WatchedEvent>? watcher = null, bool local = false,
        CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        var watches = _session.Watches;
        if (!watches.Contains(path, type, watcher)) throw new NoWatcherException(path);
        if (!local)
        {
            var op = watches.HasOthers(path, type, watcher) ? OpCode.CheckWatches : OpCode.RemoveWatches;
            try
            {
                await SubmitWatches(op, path, type, cancellation).ConfigureAwait(false);
            }
            catch (KeeperException e) when (e.Code == ErrorCode.MarshallingError && type is WatcherType.Persistent or WatcherType.PersistentRecursive)
            {
                // ZooKeeper before 3.9 cannot name persistent watches in removeWatches (ZOOKEEPER-4472) but removes
                // them with Any; that is only safe when nothing else of this session watches the path. Otherwise the
                // server keeps its watch and the client drops the events no watcher wants.
                if (op == OpCode.RemoveWatches && !watches.HasWatchesBesides(path, type, watcher))
                    await SubmitWatches(OpCode.RemoveWatches, path, WatcherType.Any, cancellation).ConfigureAwait(false);
            }
        }
        foreach (var (w, removed) in watches.Remove(path, type, watcher))
            _session.Dispatcher.Post(new WatchedEvent(removed, KeeperState.SyncConnected, path), [w]);
    }

    private Task<bool> SubmitWatches(OpCode op, string path, WatcherType type, CancellationToken cancellation) =>
        _session.SubmitAsync(op, new WatchesRequest(op, ToServer(path), (int)type), path, Decoders.Empty, null, cancellation);

    /// <summary>Applies every op or none. Throws the first failing op's exception (with <see cref="KeeperException.OpResults"/>).</summary>
    public Task<IReadOnlyList<OpResult>> MultiAsync(Transaction transaction, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Count == 0) return Task.FromResult<IReadOnlyList<OpResult>>([]);
        return SubmitMulti(OpCode.Multi, transaction.ToRequest(_session.Chroot), transaction.Paths, Decoders.Multi, cancellation);
    }

    /// <summary>Runs the reads in one round trip; each result is a <see cref="NodeData"/>, <see cref="ChildrenResult"/> or <see cref="ErrorResult"/>.</summary>
    public Task<IReadOnlyList<OpResult>> MultiReadAsync(ReadTransaction transaction, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Count == 0) return Task.FromResult<IReadOnlyList<OpResult>>([]);
        return SubmitMulti(OpCode.MultiRead, transaction.ToRequest(_session.Chroot), transaction.Paths, Decoders.MultiRead, cancellation);
    }

    private Task<IReadOnlyList<OpResult>> SubmitMulti(OpCode op, MultiRequest request, IReadOnlyList<string> paths,
        ResponseDecoder<IReadOnlyList<OpResult>> decoder, CancellationToken cancellation) =>
        _session.SubmitAsync(op, request, null, decoder, null, cancellation, opPaths: paths);

    /// <summary>The ensemble configuration (the data of /zookeeper/config, read outside the chroot).</summary>
    public Task<NodeData> GetConfigAsync(CancellationToken cancellation = default) =>
        _session.SubmitAsync(OpCode.GetData, new PathWatchRequest(OpCode.GetData, ConfigPath, false), ConfigPath, Decoders.GetData, null, cancellation);

    /// <summary>Asks for an ensemble membership change (incremental with joining/leaving, or a new member list).</summary>
    public Task<NodeData> ReconfigAsync(string? joiningServers, string? leavingServers, string? newMembers, long fromConfig = -1,
        CancellationToken cancellation = default) =>
        _session.SubmitAsync(OpCode.Reconfig, new ReconfigRequest(joiningServers, leavingServers, newMembers, fromConfig), ConfigPath, Decoders.GetData, null, cancellation);

    private string ToServer(string path) => _session.Chroot.ToServer(path);

    /// <summary>Closes the session (its ephemeral nodes go at once) and stops; pending operations fail with ObjectDisposedException.</summary>
    public ValueTask DisposeAsync() => _session.DisposeAsync();
}

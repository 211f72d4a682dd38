// The TCP mesh between ensemble members: one listener for inbound links, one outbound link per peer, frames in and out.
using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Coordinator.Server.Configuration;
using Coordinator.Server.Replication;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Network;

/// <summary>
/// Every member listens on its own entry's host:quorumPort and keeps one outbound connection to every other member.
/// It writes only on outbound connections and reads only from inbound ones, so each pair of members shares two
/// one-way TCP connections and neither side has to break a tie over who connects. Frames are opaque.
/// </summary>
public sealed partial class PeerNetwork : IPeerNetwork
{
    /// <summary>Accepted connections still owing a handshake, beyond one per peer, before further ones are refused.</summary>
    public const int PendingConnectionsMax = 64;

    private readonly long _selfId;
    private readonly PeerNetworkOptions _options;
    private readonly ILogger<PeerNetwork> _log;
    private readonly FrozenSet<long> _peerIds;
    private readonly FrozenDictionary<long, PeerOutbound> _outbound;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<PeerInbound> _open = [];
    private readonly Dictionary<long, PeerInbound> _admitted = [];
    private readonly HashSet<long> _warnedUnknown = [];
    private Action<long, byte[]>? _receive;
    private Action<long>? _lost;
    private Task _accepting = Task.CompletedTask;
    private long _unknownDropped;
    private int _started;
    private int _disposed;

    /// <param name="selfId">This member's id; <paramref name="peers"/> must hold its entry (the address to listen on).</param>
    /// <param name="peers">Every member of the ensemble, this one included, as zoo.cfg's `server.N=` lines list them.</param>
    public PeerNetwork(long selfId, IReadOnlyList<PeerSpec> peers, ILogger<PeerNetwork> log, PeerNetworkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(peers);
        _selfId = selfId;
        _log = log;
        _options = options ?? new PeerNetworkOptions();
        var self = peers.SingleOrDefault(p => p.Id == selfId)
            ?? throw new ArgumentException($"server id {selfId} is not among the peers", nameof(peers));
        if (peers.Select(p => p.Id).Distinct().Count() != peers.Count)
            throw new ArgumentException("peer ids must be unique", nameof(peers));
        _peerIds = peers.Select(p => p.Id).ToFrozenSet();
        _outbound = peers.Where(p => p.Id != selfId)
            .ToFrozenDictionary(p => p.Id, p => new PeerOutbound(selfId, p, _options, log));
        _listener = Listen(self);
        ListenEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The address and port inbound links are accepted on (the real port when the entry said 0).</summary>
    public IPEndPoint ListenEndPoint { get; }

    /// <summary>Frames dropped on the send side: queue over its limit, too long, unknown peer, or sent after disposal.</summary>
    public long DroppedFrames => Interlocked.Read(ref _unknownDropped) + _outbound.Values.Sum(o => o.DroppedFrames);

    /// <summary>Whether the outbound link to a peer is up (it has connected and not yet noticed a break).</summary>
    public bool IsConnectedTo(long peerId) => _outbound.TryGetValue(peerId, out var o) && o.IsConnected;

    /// <summary>Peers with an inbound link that passed its handshake.</summary>
    public IReadOnlyCollection<long> InboundPeers
    {
        get { lock (_open) return [.. _admitted.Keys]; }
    }

    public void Start(Action<long, byte[]> receive, Action<long> lost)
    {
        ArgumentNullException.ThrowIfNull(receive);
        ArgumentNullException.ThrowIfNull(lost);
        _lost = lost;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("the peer network is already started");
        _receive = receive;
        LogListening(_selfId, ListenEndPoint.ToString());
        _accepting = Task.Run(() => AcceptLoopAsync(_stop.Token), CancellationToken.None);
        foreach (var o in _outbound.Values) o.Start(_stop.Token);
    }

    public void Send(long to, byte[] frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        // An empty frame would read as a broken stream at the peer; the codec never makes one.
        if (frame.Length == 0) throw new ArgumentException("a peer frame holds at least one byte", nameof(frame));
        if (_outbound.TryGetValue(to, out var link))
        {
            link.Enqueue(frame);
            return;
        }
        Interlocked.Increment(ref _unknownDropped);
        bool first;
        lock (_warnedUnknown) first = _warnedUnknown.Add(to);
        if (first) LogUnknownPeer(to);
    }

    private static Socket Listen(PeerSpec self)
    {
        var address = self.Host == "0.0.0.0" ? IPAddress.Any
            : IPAddress.TryParse(self.Host, out var literal) ? literal
            : Dns.GetHostAddresses(self.Host).First();
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, self.QuorumPort));
            socket.Listen(PendingConnectionsMax);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                LogAcceptFailed(e.Message);
                continue;
            }
            var inbound = new PeerInbound(socket, this, _options, _log);
            bool admitted;
            lock (_open)
            {
                admitted = _open.Count < _peerIds.Count + PendingConnectionsMax && !ct.IsCancellationRequested;
                // Started under the lock, so disposal sees either no connection or one whose task it can await.
                if (admitted)
                {
                    _open.Add(inbound);
                    inbound.Start(ct);
                }
            }
            if (!admitted)
            {
                socket.Dispose();
                if (ct.IsCancellationRequested) return;
                inbound.LogBadHandshake(inbound.RemoteAddress, "too many connections without a handshake");
            }
        }
    }

    /// <summary>
    /// Checks a handshake and makes the connection its sender's current one. An older connection from the same peer
    /// is closed, and its reading has finished before the newer one delivers, so frames never overtake each other.
    /// </summary>
    internal async Task<bool> AdmitAsync(PeerInbound inbound, PeerHandshake handshake)
    {
        string? refusal =
            handshake.Version != PeerHandshake.CurrentVersion ? $"protocol version {handshake.Version}, expected {PeerHandshake.CurrentVersion}"
            : handshake.SenderId == _selfId || !_peerIds.Contains(handshake.SenderId) ? $"sender id {handshake.SenderId} is not a peer"
            : handshake.ReceiverId != _selfId ? $"the connection is meant for server {handshake.ReceiverId}, this is server {_selfId}"
            : null;
        if (refusal is not null)
        {
            inbound.LogBadHandshake(inbound.RemoteAddress, refusal);
            return false;
        }
        PeerInbound? older;
        lock (_open)
        {
            if (!_open.Contains(inbound)) return false; // closed by disposal meanwhile
            _admitted.TryGetValue(handshake.SenderId, out older);
            _admitted[handshake.SenderId] = inbound;
        }
        if (older is not null)
        {
            LogReplaced(handshake.SenderId, older.RemoteAddress, inbound.RemoteAddress);
            older.Close();
            await older.Completion.WaitAsync(_options.DisposeTimeout).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        LogInbound(handshake.SenderId, inbound.RemoteAddress);
        return true;
    }

    /// <remarks>
    /// The peer's current link ending (not one a newer connection replaced) is reported to the server: its
    /// process most likely died or stopped, and a follower of it should not wait syncLimit ticks to notice.
    /// </remarks>
    internal void Release(PeerInbound inbound)
    {
        bool wasCurrent = false;
        lock (_open)
        {
            _open.Remove(inbound);
            if (_admitted.TryGetValue(inbound.PeerId, out var current) && current == inbound)
            {
                _admitted.Remove(inbound.PeerId);
                wasCurrent = true;
            }
        }
        if (wasCurrent && Volatile.Read(ref _disposed) == 0) _lost?.Invoke(inbound.PeerId);
    }

    /// <summary>Hands one frame to the receiver; false (and the connection closes) if the receiver threw.</summary>
    internal bool Deliver(long senderId, byte[] frame)
    {
        try
        {
            _receive!(senderId, frame);
            return true;
        }
#pragma warning disable CA1031 // A receiver's bug must not take the network thread down silently: it is logged and the link reset.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogReceiverFailed(senderId, e);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _listener.Dispose();
        foreach (var o in _outbound.Values) o.Stop();
        PeerInbound[] open;
        lock (_open) open = [.. _open];
        foreach (var i in open) i.Close();
        var all = _outbound.Values.Select(o => o.Completion).Concat(open.Select(i => i.Completion)).Append(_accepting);
        var finished = Task.WhenAll(all);
        try
        {
            await finished.WaitAsync(_options.DisposeTimeout);
        }
        catch (TimeoutException)
        {
            LogDisposeTimedOut(_options.DisposeTimeout.TotalMilliseconds);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException) { }
        // Tasks that outlived the timeout may still touch the token; the source is left to the collector then.
        if (finished.IsCompleted) _stop.Dispose();
    }

    [LoggerMessage(EventId = 713, Level = LogLevel.Information, Message = "Server {ServerId} listening for peers on {EndPoint}")]
    private partial void LogListening(long serverId, string endPoint);

    [LoggerMessage(EventId = 714, Level = LogLevel.Warning, Message = "Peer accept failed: {Reason}")]
    private partial void LogAcceptFailed(string reason);

    [LoggerMessage(EventId = 715, Level = LogLevel.Warning, Message = "Dropping frames for server {PeerId}: it is not another member of this ensemble")]
    private partial void LogUnknownPeer(long peerId);

    [LoggerMessage(EventId = 716, Level = LogLevel.Information, Message = "Peer {PeerId} connected from {Address}")]
    private partial void LogInbound(long peerId, string address);

    [LoggerMessage(EventId = 717, Level = LogLevel.Information, Message = "Peer {PeerId} reconnected from {Address}; closing its older connection from {OlderAddress}")]
    private partial void LogReplaced(long peerId, string olderAddress, string address);

    [LoggerMessage(EventId = 718, Level = LogLevel.Error, Message = "The receiver failed on a frame from peer {PeerId}; resetting that link")]
    private partial void LogReceiverFailed(long peerId, Exception exception);

    [LoggerMessage(EventId = 719, Level = LogLevel.Warning, Message = "Peer network tasks still running {TimeoutMs:0} ms after disposal began; abandoning them")]
    private partial void LogDisposeTimedOut(double timeoutMs);
}

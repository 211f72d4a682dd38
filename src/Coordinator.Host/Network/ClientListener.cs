// Accepts client TCP connections on clientPort, enforcing maxClientCnxns per client IP.
using System.Net;
using System.Net.Sockets;
using Coordinator.Server;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Network;

internal sealed partial class ClientListener : IAsyncDisposable
{
    private readonly ServerNode _server;
    private readonly FourLetterWords _words;
    private readonly ILogger<ClientListener> _log;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, int> _perAddress = new();
    private readonly HashSet<ClientConnection> _open = [];
    private Task _accepting = Task.CompletedTask;

    public ClientListener(ServerNode server, FourLetterWords words, ILogger<ClientListener> log)
    {
        _server = server;
        _words = words;
        _log = log;
        var settings = server.Settings;
        var address = IPAddress.Parse(settings.ClientPortAddress);
        _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.Equals(IPAddress.IPv6Any)) _socket.DualMode = true;
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(new IPEndPoint(address, settings.ClientPort));
        _socket.Listen(settings.ClientPortListenBacklog > 0 ? settings.ClientPortListenBacklog : 512);
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public int OpenConnections { get { lock (_open) return _open.Count; } }

    public void Start() => _accepting = AcceptLoopAsync(_stop.Token);

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                LogAcceptFailed(e.Message);
                continue;
            }
            socket.NoDelay = true;
            var connection = new ClientConnection(socket, _server, _words, _log);
            if (!Admit(connection))
            {
                LogTooManyConnections(connection.RemoteAddress, _server.Settings.MaxClientCnxns);
                socket.Dispose();
                continue;
            }
            connection.Start(ct);
            _ = connection.Completion.ContinueWith(_ => Release(connection), TaskScheduler.Default);
        }
    }

    private bool Admit(ClientConnection c)
    {
        lock (_open)
        {
            int max = _server.Settings.MaxClientCnxns;
            _perAddress.TryGetValue(c.RemoteAddress, out int count);
            if (max > 0 && count >= max) return false;
            _perAddress[c.RemoteAddress] = count + 1;
            _open.Add(c);
            return true;
        }
    }

    private void Release(ClientConnection c)
    {
        lock (_open)
        {
            _open.Remove(c);
            if (--_perAddress[c.RemoteAddress] == 0) _perAddress.Remove(c.RemoteAddress);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        await _accepting;
        ClientConnection[] open;
        lock (_open) open = [.. _open];
        foreach (var c in open) c.Close("server shutting down");
        await Task.WhenAll(open.Select(c => c.Completion)).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Refused connection from {Address}: it already has {Max} connections (maxClientCnxns)")]
    private partial void LogTooManyConnections(string address, int max);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    private partial void LogAcceptFailed(string reason);
}

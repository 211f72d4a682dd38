// The client's connection states and the event raised when the state changes.
namespace Coordinator.Client;

public enum ConnectionState
{
    /// <summary>Not yet connected, or between connections; the session may still be alive on the server.</summary>
    Disconnected,

    /// <summary>Connected to a read-write server.</summary>
    Connected,

    /// <summary>Connected to a server that has lost its quorum: reads work, writes fail with NotReadOnly.</summary>
    ConnectedReadOnly,

    /// <summary>The server reported the session expired; its ephemeral nodes and watches are gone.</summary>
    Expired,

    /// <summary>The server rejected credentials given to <see cref="CoordinatorClient.AddAuthAsync"/>.</summary>
    AuthFailed,

    /// <summary>The client was disposed (or the session expired and renewal is off).</summary>
    Closed,
}

public sealed class ConnectionStateChangedEventArgs(ConnectionState state, ConnectionState previous, long sessionId, bool isNewSession)
    : EventArgs
{
    public ConnectionState State { get; } = state;

    public ConnectionState Previous { get; } = previous;

    /// <summary>The session this state belongs to (0 while none is established).</summary>
    public long SessionId { get; } = sessionId;

    /// <summary>True on the first Connected of a session: after start-up, or after an expired session was renewed.</summary>
    public bool IsNewSession { get; } = isNewSession;

    public override string ToString() => $"{Previous} -> {State} (session 0x{SessionId:x}{(IsNewSession ? ", new" : "")})";
}

public static class ConnectionStates
{
    public static bool IsConnected(this ConnectionState state) => state is ConnectionState.Connected or ConnectionState.ConnectedReadOnly;
}

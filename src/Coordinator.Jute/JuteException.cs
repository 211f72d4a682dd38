// Raised when bytes do not decode as the expected jute record; the network layer closes the offending connection.
namespace Coordinator.Jute;

public sealed class JuteException(string message) : Exception(message);

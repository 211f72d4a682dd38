// The one error type for bad configuration: a single line naming the key, the value and what is allowed.
namespace Coordinator.Host.Configuration;

/// <summary>
/// Thrown at start when zoo.cfg or an override is unusable. The message is one line meant for the operator,
/// e.g. "zoo.cfg: tickTime=abc is not valid: expected a positive integer (milliseconds)", so the host
/// prints it and exits without a stack trace.
/// </summary>
public sealed class ConfigException(string message) : Exception(message);

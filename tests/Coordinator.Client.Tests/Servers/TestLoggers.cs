// Routes the client's log lines to the test's output, so a failing test shows what the connection did.
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Coordinator.Client.Tests.Servers;

public sealed class TestOutputLoggerFactory(ITestOutputHelper output, LogLevel level = LogLevel.Debug) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(output, level, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Logger(ITestOutputHelper output, LogLevel level, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= level;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{logLevel} {category} {eventId.Id}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test that owned this output has finished.
            }
        }
    }
}

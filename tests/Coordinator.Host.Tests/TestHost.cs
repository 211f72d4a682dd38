// An in-process Coordinator for wire tests: OS-chosen port on 127.0.0.1, a temp dataDir deleted on dispose, logs to xunit.
using System.Collections.Concurrent;
using System.Net;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Coordinator.Host.Tests;

internal sealed class TestHost : IAsyncDisposable
{
    private readonly CoordinatorHost _host;
    private readonly string _dataDir;
    private readonly TestLoggerFactory _loggers;

    private TestHost(CoordinatorHost host, string dataDir, TestLoggerFactory loggers)
    {
        _host = host;
        _dataDir = dataDir;
        _loggers = loggers;
    }

    public IPEndPoint EndPoint => _host.ClientEndPoint;

    public CoordinatorHost Host => _host;

    /// <summary>The temp dataDir (also the dataLogDir unless a test configures one).</summary>
    public string DataDir => _dataDir;

    /// <summary>Settings every wire test starts from: nothing bound to a fixed port, nothing written outside the temp dir.</summary>
    public static ServerSettings Settings(string dataDir) => ServerSettings.Default with
    {
        ClientPort = 0,
        ClientPortAddress = "127.0.0.1",
        DataDir = dataDir,
        AdminEnableServer = false,
        AdminServerPort = 0,
        MetricsHttpPort = 0,
        MetricsHttpHost = "127.0.0.1",
        AdminServerAddress = "127.0.0.1",
    };

    /// <summary>Error-level log lines the server wrote (an internal failure, never expected from bad client input).</summary>
    public IReadOnlyCollection<string> LoggedErrors => _loggers.Errors;

    public static async Task<TestHost> StartAsync(
        ITestOutputHelper? output = null, Func<ServerSettings, ServerSettings>? configure = null, LogLevel outputLevel = LogLevel.Warning)
    {
        string dir = Path.Combine(Path.GetTempPath(), "coordinator-wire-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var settings = Settings(dir);
            if (configure is not null) settings = configure(settings);
            var loggers = new TestLoggerFactory(output, outputLevel);
            var host = await CoordinatorHost.StartAsync(settings, loggers);
            return new TestHost(host, dir, loggers);
        }
        catch
        {
            TryDelete(dir);
            throw;
        }
    }

    /// <summary>The well-behaved client every bad-input test ends with: a fresh session creates a node and reads it back.</summary>
    public async Task AssertStillServesAsync(string why)
    {
        await using var client = await TestClient.ConnectAsync(EndPoint);
        string path = "/alive-" + Guid.NewGuid().ToString("N");
        byte[] data = System.Text.Encoding.UTF8.GetBytes(why);
        var created = await client.CreateAsync(path, data);
        Assert.True(created.Err == 0, $"after {why}: create answered {created.Err}");
        Assert.Equal(path, created.ReadPath());
        var read = await client.GetDataAsync(path);
        Assert.True(read.Err == 0, $"after {why}: getData answered {read.Err}");
        Assert.Equal(data, read.ReadGetData().Data);
        await client.CloseSessionAsync();
    }

    /// <summary>One gauge from the mntr four-letter word (which must be whitelisted), e.g. zk_num_alive_connections.</summary>
    public async Task<long> GaugeAsync(string key)
    {
        string mntr = await TestClient.FourLetterWordAsync(EndPoint, "mntr");
        string? line = mntr.Split('\n').FirstOrDefault(l => l.StartsWith(key + "\t", StringComparison.Ordinal));
        Assert.True(line is not null, $"mntr has no {key}: {mntr}");
        return long.Parse(line[(key.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Polls a gauge until it has <paramref name="expected"/>; returns the last value seen (bounded by <paramref name="within"/>).</summary>
    public async Task<long> WaitForGaugeAsync(string key, long expected, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        long value = await GaugeAsync(key);
        while (value != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            value = await GaugeAsync(key);
        }
        return value;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            TryDelete(_dataDir);
        }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Keeps every error-level line and writes lines at or above a level to the test's output, if there is one.</summary>
internal sealed class TestLoggerFactory(ITestOutputHelper? output, LogLevel outputLevel) : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyCollection<string> Errors => _errors;

    public ILogger CreateLogger(string categoryName) => new TestLogger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private void Write(LogLevel level, string line)
    {
        if (level >= LogLevel.Error) _errors.Enqueue(line);
        if (output is null || level < outputLevel) return;
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test that owned this output has finished; the line has nowhere to go.
        }
    }

    private sealed class TestLogger(TestLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            factory.Write(logLevel, $"[{logLevel} {category} {eventId.Id}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}

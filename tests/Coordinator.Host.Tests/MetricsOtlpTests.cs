// OTLP export: the zoo.cfg keys, their validation, and a node that pushes metrics and request spans to an OTLP/HTTP receiver.
using System.Collections.Concurrent;
using Coordinator.Host.Http;
using Coordinator.Server.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Coordinator.Host.Tests;

public sealed class MetricsOtlpTests(ITestOutputHelper output) : ZooCfgTestBase
{
    [Fact]
    public void OtlpIsOffByDefault()
    {
        var s = Parse("");
        Assert.Null(s.OtlpEndpoint);
        Assert.Equal(ServerSettings.OtlpProtocolGrpc, s.OtlpProtocol);
    }

    [Fact]
    public void OtlpKeysAreRead()
    {
        var s = Parse("otel.exporter.otlp.endpoint=http://collector:4318\notel.exporter.otlp.protocol=http/protobuf\n", out var warnings);
        Assert.Empty(warnings);
        Assert.Equal("http://collector:4318", s.OtlpEndpoint);
        Assert.Equal(ServerSettings.OtlpProtocolHttpProtobuf, s.OtlpProtocol);
        Assert.Null(Parse("otel.exporter.otlp.endpoint=\n").OtlpEndpoint);
    }

    [Theory]
    [InlineData("otel.exporter.otlp.endpoint=collector:4317", "otel.exporter.otlp.endpoint=collector:4317 is not valid: expected an http:// or https:// URL")]
    [InlineData("otel.exporter.otlp.endpoint=ftp://collector", "otel.exporter.otlp.endpoint=ftp://collector is not valid")]
    [InlineData("otel.exporter.otlp.endpoint=http://c:4317\notel.exporter.otlp.protocol=http/json", "otel.exporter.otlp.protocol=http/json is not valid: expected grpc or http/protobuf")]
    public void BadOtlpValuesAreRefused(string text, string message) => Assert.Contains(message, Fails(text), StringComparison.Ordinal);

    [Fact]
    public async Task WithoutOtlpNoTracerListens()
    {
        await using var host = await TestHost.StartAsync(output);
        Assert.Null(host.Host.Monitoring.OtlpEndpoint);
        Assert.False(host.Host.Monitoring.Tracing);
    }

    [Fact]
    public async Task GrpcExportIsConfiguredFromTheSetting()
    {
        // Nothing listens there: the exporter fails quietly and the node serves on.
        await using var host = await TestHost.StartAsync(output, s => s with { OtlpEndpoint = "http://127.0.0.1:9" });
        Assert.Equal(new Uri("http://127.0.0.1:9"), host.Host.Monitoring.OtlpEndpoint);
        Assert.True(host.Host.Monitoring.Tracing);
        await host.AssertStillServesAsync("OTLP export to a closed port");
    }

    [Fact]
    public async Task HttpProtobufExportPostsMetricsAndSpansToTheCollector()
    {
        var received = new ConcurrentQueue<(string Path, string ContentType, long Bytes)>();
        await using var collector = await HttpEndpoint.StartAsync("test collector", "127.0.0.1", 0, NullLoggerFactory.Instance, app =>
            app.MapPost("/v1/{signal}", async context =>
            {
                // HttpEndpoint bounds bodies for the node's own endpoints; a collector takes whole batches.
                context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                received.Enqueue((context.Request.Path, context.Request.ContentType ?? "", body.Length));
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/x-protobuf";
            }));
        await using (var host = await TestHost.StartAsync(output, s => s with
        {
            OtlpEndpoint = $"http://{collector.EndPoint}",
            OtlpProtocol = ServerSettings.OtlpProtocolHttpProtobuf,
        }))
        {
            Assert.True(host.Host.Monitoring.Tracing);
            await host.AssertStillServesAsync("a request to trace");
            // Disposing flushes: the tracer sends its spans and the metric reader a last collection.
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && !(Has("/v1/metrics") && Has("/v1/traces"))) await Task.Delay(100);
        Assert.True(Has("/v1/metrics"), "no OTLP metrics arrived: " + string.Join(", ", received.Select(r => r.Path)));
        Assert.True(Has("/v1/traces"), "no OTLP spans arrived: " + string.Join(", ", received.Select(r => r.Path)));
        Assert.All(received, r => Assert.Equal("application/x-protobuf", r.ContentType));

        bool Has(string path) => received.Any(r => r.Path == path && r.Bytes > 0);
    }
}

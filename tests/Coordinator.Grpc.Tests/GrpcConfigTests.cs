// zoo.cfg keys of the gRPC API and the wire details of the hand-written gRPC framing.
using Coordinator.Host.Configuration;
using Coordinator.Host.Grpc;

namespace Coordinator.Grpc.Tests;

public sealed class GrpcConfigTests
{
    [Fact]
    public void Grpc_keys_are_parsed_and_absent_means_off()
    {
        var off = ZooCfgParser.Parse("dataDir=/tmp/x\n", "/tmp", out _);
        Assert.Null(off.GrpcPort);
        var on = ZooCfgParser.Parse("dataDir=/tmp/x\ngrpc.port=2281\ngrpc.address=127.0.0.1\ngrpc.watchWindow=5\ngrpc.watchBuffer=3\ngrpc.maxStreamsPerConnection=7\n", "/tmp", out var warnings);
        Assert.Empty(warnings);
        Assert.Equal((2281, "127.0.0.1", 5, 3, 7), (on.GrpcPort, on.GrpcAddress, on.GrpcWatchWindow, on.GrpcWatchBuffer, on.GrpcMaxStreamsPerConnection));
        Assert.Null(ZooCfgParser.Parse("dataDir=/tmp/x\ngrpc.port=\n", "/tmp", out _).GrpcPort);
    }

    [Theory]
    [InlineData("grpc.port=70000", "grpc.port=70000")]
    [InlineData("grpc.port=abc", "grpc.port=abc")]
    [InlineData("grpc.watchWindow=-1", "grpc.watchWindow=-1")]
    [InlineData("grpc.watchBuffer=0", "grpc.watchBuffer=0")]
    [InlineData("grpc.maxStreamsPerConnection=0", "grpc.maxStreamsPerConnection=0")]
    public void Bad_grpc_values_stop_the_start_with_one_line_naming_the_key(string line, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ZooCfgParser.Parse("dataDir=/tmp/x\n" + line + "\n", "/tmp", out _));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("100m", 100_000)]
    [InlineData("2S", 2_000_000)]
    [InlineData("1H", 3_600_000_000)]
    [InlineData("5000u", 5_000)]
    [InlineData("3000000n", 3_000)]
    public void Grpc_timeout_units(string header, long microseconds) =>
        Assert.Equal(TimeSpan.FromMicroseconds(microseconds), GrpcFraming.ParseTimeout(header));

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("123456789m")]
    [InlineData("10x")]
    [InlineData("-5m")]
    public void Malformed_grpc_timeouts_are_refused(string header)
    {
        if (header.Length == 0)
        {
            Assert.Null(GrpcFraming.ParseTimeout(header));
            return;
        }
        Assert.Equal(3, Assert.Throws<GrpcException>(() => GrpcFraming.ParseTimeout(header)).Status);
    }

    [Fact]
    public void Grpc_message_is_percent_encoded_as_the_spec_says() =>
        Assert.Equal("NoNode: /a b%25 %C3%A9", GrpcFraming.PercentEncode("NoNode: /a b% é"));
}

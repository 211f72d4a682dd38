// Malformed gRPC requests sent byte by byte: each gets a clear status, and the server keeps serving.
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Coordinator.Client.Grpc;
using Coordinator.Protos.V1;

namespace Coordinator.Grpc.Tests;

public sealed class GrpcBadInputTests(GrpcServer server) : IClassFixture<GrpcServer>
{
    private async Task<(int? Status, string Message)> PostAsync(string method, byte[] body, string contentType = "application/grpc")
    {
        using var http = new HttpClient { BaseAddress = server.GrpcUri, Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/coordinator.v1.Coordinator/" + method)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string? Get(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var v) ? v.First() : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (Get("grpc-status") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null, Uri.UnescapeDataString(Get("grpc-message") ?? ""));
    }

    private static byte[] Frame(byte flag, uint length, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    [Fact]
    public async Task Each_malformed_request_gets_its_own_clear_status()
    {
        Assert.Equal((3, "the request carries no message"), await PostAsync("Status", []));
        Assert.Equal((3, "the request message is truncated"), await PostAsync("Status", Frame(0, 10, [1, 2])));
        var compressed = await PostAsync("Status", Frame(1, 0, []));
        Assert.Equal(12, compressed.Status);
        var huge = await PostAsync("Create", Frame(0, 64 * 1024 * 1024, []));
        Assert.Equal(8, huge.Status);
        Assert.Contains("jute.maxbuffer", huge.Message, StringComparison.Ordinal);
        var wrongType = await PostAsync("Status", Frame(0, 0, []), "application/json");
        Assert.Equal(3, wrongType.Status);
        var unknown = await PostAsync("NoSuchMethod", Frame(0, 0, []));
        Assert.Equal(12, unknown.Status);
        Assert.Contains("NoSuchMethod", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await PostAsync("Status", Frame(0, 0, []))).Status);

        // Nothing was lost: the server still answers real calls.
        await using var client = new CoordinatorGrpcClient(server.GrpcUri);
        var session = await client.CreateSessionAsync(new CreateSessionRequest { TimeoutMs = 4000 });
        Assert.True((await client.ExistsAsync(new ExistsRequest { SessionId = session.SessionId, Path = "/" })).Exists);
    }
}

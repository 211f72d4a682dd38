// A client for Coordinator's gRPC API (protos/coordinator/v1) over HttpClient with HTTP/2 prior knowledge.
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Coordinator.Core;
using Coordinator.Protos.V1;
using Google.Protobuf;

namespace Coordinator.Client.Grpc;

/// <summary>
/// Speaks the gRPC wire protocol itself (the official .NET gRPC client packages are not used): each call is an
/// HTTP/2 POST with one length-prefixed protobuf message; the answer is frames then the grpc-status trailer.
/// The request and response types are the messages generated from the .proto. Thread-safe; one instance
/// multiplexes every call over HTTP/2 connections to one server.
/// </summary>
/// <example><code>
/// await using var grpc = new CoordinatorGrpcClient(new Uri("http://127.0.0.1:2281"));
/// var session = await grpc.CreateSessionAsync(new CreateSessionRequest { TimeoutMs = 10_000 });
/// await grpc.CreateAsync(new CreateRequest { SessionId = session.SessionId, Path = "/app", Data = ByteString.CopyFromUtf8("v1") });
/// await foreach (var m in grpc.WatchAsync(new WatchRequest { SessionId = session.SessionId, Path = "/app", Recursive = true })) { ... }
/// </code></example>
public sealed class CoordinatorGrpcClient : IAsyncDisposable, IDisposable
{
    private const string Service = "/coordinator.v1.Coordinator/";
    private readonly HttpClient _http;

    /// <param name="address">http://host:port of the server's grpc.port (plaintext HTTP/2).</param>
    /// <param name="handler">Replaces the default SocketsHttpHandler (tests, proxies).</param>
    public CoordinatorGrpcClient(Uri address, HttpMessageHandler? handler = null)
    {
        handler ??= new SocketsHttpHandler
        {
            // Watch streams are long-lived: more streams than one connection allows open a second connection.
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        _http = new HttpClient(handler) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Applied to every unary call that names no deadline of its own; null = none.</summary>
    public TimeSpan? DefaultDeadline { get; init; } = TimeSpan.FromSeconds(30);

    public Task<CreateSessionResponse> CreateSessionAsync(CreateSessionRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("CreateSession", request, CreateSessionResponse.Parser, deadline, ct);

    public Task<KeepAliveResponse> KeepAliveAsync(KeepAliveRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("KeepAlive", request, KeepAliveResponse.Parser, deadline, ct);

    public Task<CloseSessionResponse> CloseSessionAsync(CloseSessionRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("CloseSession", request, CloseSessionResponse.Parser, deadline, ct);

    public Task<AuthenticateResponse> AuthenticateAsync(AuthenticateRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Authenticate", request, AuthenticateResponse.Parser, deadline, ct);

    public Task<CreateResponse> CreateAsync(CreateRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Create", request, CreateResponse.Parser, deadline, ct);

    public Task<GetResponse> GetAsync(GetRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Get", request, GetResponse.Parser, deadline, ct);

    public Task<SetResponse> SetAsync(SetRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Set", request, SetResponse.Parser, deadline, ct);

    public Task<DeleteResponse> DeleteAsync(DeleteRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Delete", request, DeleteResponse.Parser, deadline, ct);

    public Task<ExistsResponse> ExistsAsync(ExistsRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Exists", request, ExistsResponse.Parser, deadline, ct);

    public Task<GetChildrenResponse> GetChildrenAsync(GetChildrenRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("GetChildren", request, GetChildrenResponse.Parser, deadline, ct);

    public Task<GetAclResponse> GetAclAsync(GetAclRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("GetAcl", request, GetAclResponse.Parser, deadline, ct);

    public Task<SetAclResponse> SetAclAsync(SetAclRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("SetAcl", request, SetAclResponse.Parser, deadline, ct);

    public Task<MultiResponse> MultiAsync(MultiRequest request, TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Multi", request, MultiResponse.Parser, deadline, ct);

    public Task<StatusResponse> StatusAsync(TimeSpan? deadline = null, CancellationToken ct = default) =>
        UnaryAsync("Status", new StatusRequest(), StatusResponse.Parser, deadline, ct);

    /// <summary>
    /// The Watch stream: a <see cref="WatchResponse.Started"/> first, then events, until <paramref name="ct"/> is
    /// cancelled (the enumeration then throws OperationCanceledException), the deadline passes, or the server
    /// ends it (OUT_OF_RANGE, RESOURCE_EXHAUSTED, session ended), which throws <see cref="CoordinatorGrpcException"/>.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, TimeSpan? deadline = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var call = await StartAsync("Watch", request, deadline, ct);
        while (await call.ReadAsync(WatchResponse.Parser) is { } message) yield return message;
        call.ThrowIfFailed();
    }

    /// <summary>Any unary method of the service by name, for methods added to the contract later.</summary>
    public async Task<TResponse> UnaryAsync<TResponse>(string method, IMessage request, MessageParser<TResponse> parser,
        TimeSpan? deadline = null, CancellationToken ct = default) where TResponse : class, IMessage<TResponse>
    {
        using var call = await StartAsync(method, request, deadline ?? DefaultDeadline, ct);
        var response = await call.ReadAsync(parser);
        // Read to the end: only then are the trailers (and so the status) known.
        while (response is not null && await call.ReadAsync(parser) is not null) { }
        call.ThrowIfFailed();
        return response ?? throw new CoordinatorGrpcException(GrpcStatusCode.Internal, $"{method} answered OK without a message");
    }

    private async Task<Call> StartAsync(string method, IMessage request, TimeSpan? deadline, CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var message = new HttpRequestMessage(HttpMethod.Post, Service + method)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(Frame(request)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        message.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (deadline is { } d)
        {
            // The server is told too, so it stops work nobody waits for.
            message.Headers.TryAddWithoutValidation("grpc-timeout", Math.Max(1, (long)Math.Ceiling(d.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "m");
            cts.CancelAfter(d);
        }
        try
        {
            var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            return new Call(message, response, stream, cts, ct);
        }
        catch (Exception e) when (e is OperationCanceledException && !ct.IsCancellationRequested && cts.IsCancellationRequested)
        {
            message.Dispose();
            cts.Dispose();
            throw new CoordinatorGrpcException(GrpcStatusCode.DeadlineExceeded, "deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            message.Dispose();
            cts.Dispose();
            throw new CoordinatorGrpcException(GrpcStatusCode.Unavailable, e.Message);
        }
    }

    private static byte[] Frame(IMessage message)
    {
        int length = message.CalculateSize();
        var frame = new byte[5 + length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)length);
        message.WriteTo(frame.AsSpan(5));
        return frame;
    }

    public void Dispose() => _http.Dispose();

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>One call in flight: reads frames until the end, then the status from the trailers.</summary>
    private sealed class Call(HttpRequestMessage request, HttpResponseMessage response, Stream body, CancellationTokenSource cts, CancellationToken caller) : IDisposable
    {
        private readonly byte[] _header = new byte[5];

        public async Task<T?> ReadAsync<T>(MessageParser<T> parser) where T : class, IMessage<T>
        {
            try
            {
                int got = await body.ReadAtLeastAsync(_header, 5, throwOnEndOfStream: false, cts.Token);
                if (got == 0) return null;
                if (got < 5) throw new CoordinatorGrpcException(GrpcStatusCode.Internal, "the response ended inside a frame header");
                if (_header[0] != 0) throw new CoordinatorGrpcException(GrpcStatusCode.Internal, "compressed responses are not supported");
                int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1)));
                var payload = new byte[length];
                await body.ReadExactlyAsync(payload, cts.Token);
                return parser.ParseFrom(payload);
            }
            catch (OperationCanceledException) when (!caller.IsCancellationRequested && cts.IsCancellationRequested)
            {
                throw new CoordinatorGrpcException(GrpcStatusCode.DeadlineExceeded, "deadline exceeded");
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // A stream the server reset carries no trailers; report what the headers said, if anything.
                if (Status() is not null) return null;
                throw new CoordinatorGrpcException(GrpcStatusCode.Unavailable, e.Message);
            }
        }

        private string? Status() => Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");

        public void ThrowIfFailed()
        {
            if (response.StatusCode != HttpStatusCode.OK)
                throw new CoordinatorGrpcException(GrpcStatusCode.Unavailable, $"HTTP {(int)response.StatusCode} from the server");
            // A trailers-only answer (an error before any message) carries the status in the headers.
            string? status = Status();
            if (status is null) throw new CoordinatorGrpcException(GrpcStatusCode.Internal, "the response has no grpc-status");
            var code = (GrpcStatusCode)int.Parse(status, CultureInfo.InvariantCulture);
            if (code == GrpcStatusCode.Ok) return;
            string detail = Uri.UnescapeDataString(Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message") ?? "");
            string? zk = Header(response.TrailingHeaders, "coordinator-error-code") ?? Header(response.Headers, "coordinator-error-code");
            string? op = Header(response.TrailingHeaders, "coordinator-failed-op") ?? Header(response.Headers, "coordinator-failed-op");
            throw new CoordinatorGrpcException(code, detail,
                zk is null ? null : (ErrorCode)int.Parse(zk, CultureInfo.InvariantCulture),
                op is null ? null : int.Parse(op, CultureInfo.InvariantCulture));
        }

        private static string? Header(HttpHeaders headers, string name) =>
            headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

        public void Dispose()
        {
            body.Dispose();
            response.Dispose();
            request.Dispose();
            cts.Dispose();
        }
    }
}

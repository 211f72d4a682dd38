// The gRPC wire protocol over HTTP/2 without the gRPC runtime: length-prefixed message frames, status trailers, grpc-timeout.
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Coordinator.Host.Grpc;

/// <summary>
/// A gRPC message travels as 1 flag byte (0 = not compressed), a 4-byte big-endian length, then the protobuf
/// bytes; the status comes last, in the grpc-status and grpc-message trailers. Compression is not offered, so a
/// compressed frame is refused with UNIMPLEMENTED.
/// </summary>
internal static class GrpcFraming
{
    public const int FrameHeaderBytes = 5;

    /// <summary>
    /// Reads the one request message of a unary or server-streaming call. A frame longer than
    /// <paramref name="messageBytesMax"/> is refused before it is buffered (RESOURCE_EXHAUSTED).
    /// </summary>
    public static async Task<T> ReadSingleAsync<T>(HttpRequest request, MessageParser<T> parser, int messageBytesMax, CancellationToken ct)
        where T : IMessage<T>
    {
        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            var buffer = read.Buffer;
            if (buffer.Length >= FrameHeaderBytes)
            {
                var header = buffer.Slice(0, FrameHeaderBytes).ToArray();
                if (header[0] != 0) throw new GrpcException(GrpcCode.Unimplemented, "compressed messages are not supported");
                uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
                if (length > messageBytesMax)
                    throw new GrpcException(GrpcCode.ResourceExhausted, $"request message of {length} bytes is larger than the limit of {messageBytesMax} bytes (jute.maxbuffer)");
                if (buffer.Length >= FrameHeaderBytes + length)
                {
                    T message;
                    try
                    {
                        message = parser.ParseFrom(buffer.Slice(FrameHeaderBytes, length));
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        throw new GrpcException(GrpcCode.InvalidArgument, $"request message does not parse: {e.Message}");
                    }
                    reader.AdvanceTo(buffer.GetPosition(FrameHeaderBytes + length));
                    return message;
                }
            }
            if (read.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                throw new GrpcException(GrpcCode.InvalidArgument, buffer.Length == 0 ? "the request carries no message" : "the request message is truncated");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Writes and flushes one message; throws OperationCanceledException once the client has gone.</summary>
    public static async Task WriteAsync(HttpResponse response, IMessage message, CancellationToken ct)
    {
        int length = message.CalculateSize();
        var writer = response.BodyWriter;
        var memory = writer.GetMemory(FrameHeaderBytes + length);
        memory.Span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(memory.Span[1..FrameHeaderBytes], (uint)length);
        message.WriteTo(memory.Span.Slice(FrameHeaderBytes, length));
        writer.Advance(FrameHeaderBytes + length);
        FlushResult flushed = await writer.FlushAsync(ct);
        // After a reset stream Kestrel completes flushes without throwing; stop producing rather than write into the void.
        if (flushed.IsCompleted || flushed.IsCanceled || ct.IsCancellationRequested) throw new OperationCanceledException(ct);
    }

    public static void Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
    }

    public static void EndOk(HttpResponse response) => response.AppendTrailer("grpc-status", "0");

    public static void EndWith(HttpResponse response, int status, string message, IEnumerable<(string Name, string Value)>? extra = null)
    {
        response.AppendTrailer("grpc-status", status.ToString(CultureInfo.InvariantCulture));
        response.AppendTrailer("grpc-message", PercentEncode(message));
        foreach (var (name, value) in extra ?? []) response.AppendTrailer(name, value);
    }

    /// <summary>The gRPC spec's encoding for grpc-message: bytes outside 0x20..0x7E, and '%', become %XX of their UTF-8.</summary>
    public static string PercentEncode(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%') result.Append((char)b);
            else result.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return result.ToString();
    }

    /// <summary>
    /// The grpc-timeout header: up to 8 digits and a unit (H, M, S, m, u, n). Null when absent; a malformed value
    /// is refused, so a client never believes a deadline is enforced when it is not.
    /// </summary>
    public static TimeSpan? ParseTimeout(string? header)
    {
        if (string.IsNullOrEmpty(header)) return null;
        if (header.Length < 2 || header.Length > 9 || !long.TryParse(header.AsSpan(0, header.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            throw new GrpcException(GrpcCode.InvalidArgument, $"grpc-timeout '{header}' is not valid");
        return header[^1] switch
        {
            'H' => TimeSpan.FromHours(n),
            'M' => TimeSpan.FromMinutes(n),
            'S' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMilliseconds(n),
            'u' => TimeSpan.FromMicroseconds(n),
            'n' => TimeSpan.FromTicks(n / 100),
            _ => throw new GrpcException(GrpcCode.InvalidArgument, $"grpc-timeout '{header}' has an unknown unit"),
        };
    }
}

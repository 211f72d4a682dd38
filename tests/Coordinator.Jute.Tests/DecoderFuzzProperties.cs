// FsCheck properties: the request decoders on random, truncated and bit-flipped bytes return a record or throw JuteException, never anything else.
using Coordinator.Jute.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Coordinator.Jute.Tests;

public sealed class DecoderFuzzProperties
{
    private const int MaxTests = 2000;

    /// <summary>Allocation allowed per input byte (UTF-16 strings, list slots, record objects) plus a fixed floor.</summary>
    private const long AllocatedBytesPerInputByte = 64;
    private const long AllocatedBytesFloor = 64 * 1024;

    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(MaxTests);

    /// <summary>What the server does with one packet after the handshake: a header, then a body chosen by its type.</summary>
    private static object? DecodePacket(ReadOnlySpan<byte> packet)
    {
        var r = new JuteReader(packet);
        var header = RequestHeader.Read(ref r);
        return (OpCode)header.Type switch
        {
            OpCode.Auth => AuthPacket.Read(ref r),
            OpCode.SetWatches => SetWatches.Read(ref r, version2: false),
            OpCode.SetWatches2 => SetWatches.Read(ref r, version2: true),
            var op => RequestDecoder.TryDecode(op, ref r),
        };
    }

    private static object? DecodeBody(OpCode op, ReadOnlySpan<byte> body)
    {
        var r = new JuteReader(body);
        return RequestDecoder.TryDecode(op, ref r);
    }

    private static object? DecodeConnect(ReadOnlySpan<byte> body)
    {
        var r = new JuteReader(body);
        return ConnectRequest.Read(ref r);
    }

    private delegate object? Decoder(ReadOnlySpan<byte> bytes);

    /// <summary>Runs a decoder; passes if it returns or throws JuteException, and if its allocation stays proportional to the input.</summary>
    private static bool ReturnsOrThrowsJute(byte[] bytes, Decoder decode, out bool threw)
    {
        threw = false;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            decode(bytes);
        }
        catch (JuteException)
        {
            threw = true;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(
                $"decoder threw {e.GetType().Name} ({e.Message}) on {Convert.ToHexString(bytes)}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long limit = AllocatedBytesFloor + AllocatedBytesPerInputByte * bytes.Length;
        if (allocated > limit)
            throw new Xunit.Sdk.XunitException($"decoding {bytes.Length} bytes allocated {allocated} (limit {limit}): {Convert.ToHexString(bytes)}");
        return true;
    }

    private static bool ReturnsOrThrowsJute(byte[] bytes, Decoder decode) => ReturnsOrThrowsJute(bytes, decode, out _);

    /// <summary>Random bytes, biased toward small big-endian ints so lengths and counts are sometimes plausible.</summary>
    private static Gen<byte[]> NoisyBytes { get; } = Gen.OneOf(
        RequestGen.Bytes,
        Gen.ListOf(Gen.OneOf(
                Gen.Choose(-2, 40).Select(i => new HandBytes().Int(i).ToArray()),
                Gen.Elements(int.MaxValue, int.MinValue, 0x7fff_fff0).Select(i => new HandBytes().Int(i).ToArray()),
                Gen.Choose(0, 255).Select(b => new[] { (byte)b })))
            .Select(parts => parts.SelectMany(p => p).ToArray()));

    private static Gen<OpCode> AnyOp { get; } = Gen.OneOf(
        Gen.Elements(RequestGen.KnownOps),
        Gen.Elements(OpCode.Auth, OpCode.SetWatches, OpCode.SetWatches2, OpCode.Sasl, OpCode.CreateSession),
        ArbMap.Default.GeneratorFor<int>().Select(i => (OpCode)i));

    [Fact]
    public void Any_bytes_under_any_opcode_decode_or_throw_JuteException()
    {
        var gen = from op in AnyOp from body in NoisyBytes select (op, body);
        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), t => ReturnsOrThrowsJute(t.body, b => DecodeBody(t.op, b))));
    }

    [Fact]
    public void Any_packet_after_the_handshake_decodes_or_throws_JuteException()
    {
        var gen = from op in AnyOp
                  from xid in Gen.Choose(-10, 10)
                  from body in NoisyBytes
                  select new HandBytes().Int(xid).Int((int)op).Raw(body).ToArray();
        Check.One(Quick, Prop.ForAll(Gen.OneOf(gen, RequestGen.Bytes).ToArbitrary(), p => ReturnsOrThrowsJute(p, b => DecodePacket(b))));
    }

    [Fact]
    public void Any_connect_packet_decodes_or_throws_JuteException()
    {
        Check.One(Quick, Prop.ForAll(NoisyBytes.ToArbitrary(), p => ReturnsOrThrowsJute(p, b => DecodeConnect(b))));
    }

    /// <summary>Every field of every request is required, so any strict prefix of a non-empty encoding must be rejected.</summary>
    [Fact]
    public void Every_truncated_valid_request_throws_JuteException()
    {
        var gen = from request in RequestGen.Any
                  let bytes = RequestGen.Encode(request)
                  where bytes.Length > 0
                  from cut in Gen.Choose(0, bytes.Length - 1)
                  select (request.Op, bytes, cut);
        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), t =>
        {
            ReturnsOrThrowsJute(t.bytes[..t.cut], b => DecodeBody(t.Op, b), out bool threw);
            return threw;
        }));
    }

    [Fact]
    public void Bit_flipped_valid_requests_decode_or_throw_JuteException()
    {
        var gen = from request in RequestGen.Any
                  let bytes = RequestGen.Encode(request)
                  where bytes.Length > 0
                  from flips in Gen.ArrayOf(Gen.Choose(0, bytes.Length * 8 - 1), 4)
                  select (request.Op, bytes: Flip(bytes, flips));
        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), t => ReturnsOrThrowsJute(t.bytes, b => DecodeBody(t.Op, b))));
    }

    [Fact]
    public void Valid_requests_with_a_length_or_count_replaced_by_int_max_throw_without_allocating()
    {
        // Overwrite one aligned 4-byte window with 0x7fffffff: wherever that lands on a length or count, the
        // decoder must refuse it by checking the bytes left, not by trying to allocate 2 GiB.
        var gen = from request in RequestGen.Any
                  let bytes = RequestGen.Encode(request)
                  where bytes.Length >= 4
                  from at in Gen.Choose(0, bytes.Length - 4)
                  select (request.Op, bytes: Overwrite(bytes, at, int.MaxValue));
        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), t => ReturnsOrThrowsJute(t.bytes, b => DecodeBody(t.Op, b))));
    }

    /// <summary>The guard the properties rely on must itself notice a wrong exception and an absurd allocation.</summary>
    [Fact]
    public void The_guard_catches_foreign_exceptions_and_absurd_allocations()
    {
        byte[] input = [0, 0, 0, 1];
        Assert.True(ReturnsOrThrowsJute(input, _ => throw new JuteException("fine")));
        Assert.Throws<Xunit.Sdk.XunitException>(() => ReturnsOrThrowsJute(input, _ => throw new IndexOutOfRangeException()));
        Assert.Throws<Xunit.Sdk.XunitException>(() => ReturnsOrThrowsJute(input, _ => new byte[16 * 1024 * 1024]));
    }

    private static byte[] Flip(byte[] bytes, int[] bits)
    {
        var copy = (byte[])bytes.Clone();
        foreach (int bit in bits) copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private static byte[] Overwrite(byte[] bytes, int at, int value)
    {
        var copy = (byte[])bytes.Clone();
        new HandBytes().Int(value).ToArray().CopyTo(copy, at);
        return copy;
    }
}

// JuteReader on bad input: truncation, negative lengths and oversized counts throw JuteException before allocating.
using Coordinator.Jute.Records;

namespace Coordinator.Jute.Tests;

public sealed class JuteReaderTests
{
    private delegate void ReadFn(ref JuteReader r);

    private static JuteException Throws(byte[] bytes, ReadFn read)
    {
        try
        {
            var r = new JuteReader(bytes);
            read(ref r);
        }
        catch (JuteException e)
        {
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"expected JuteException, got {e.GetType().Name}: {e.Message}");
        }
        Assert.Fail("expected JuteException, nothing was thrown");
        return null!;
    }

    /// <summary>Bytes allocated on this thread by <paramref name="action"/>; an absurd count would show as gigabytes (or OOM).</summary>
    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void ReadInt_on_fewer_than_4_bytes_throws(int length) => Throws(new byte[length], (ref JuteReader r) => r.ReadInt());

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(7)]
    public void ReadLong_on_fewer_than_8_bytes_throws(int length) => Throws(new byte[length], (ref JuteReader r) => r.ReadLong());

    [Fact]
    public void ReadBool_and_ReadByte_on_empty_input_throw()
    {
        Throws([], (ref JuteReader r) => r.ReadBool());
        Throws([], (ref JuteReader r) => r.ReadByte());
    }

    [Fact]
    public void A_failed_read_does_not_move_the_position()
    {
        var r = new JuteReader([0, 0, 0, 1, 9]);
        Assert.Equal(1, r.ReadInt());
        bool threw = false;
        try { r.ReadInt(); }
        catch (JuteException) { threw = true; }
        Assert.True(threw);
        Assert.Equal(4, r.Position);
        Assert.Equal(1, r.Remaining);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(-100)]
    [InlineData(int.MinValue)]
    public void Negative_buffer_and_string_lengths_throw(int length)
    {
        byte[] bytes = new HandBytes().Int(length).Raw(new byte[8]).ToArray();
        Assert.Contains("negative", Throws(bytes, (ref JuteReader r) => r.ReadBuffer()).Message);
        Assert.Contains("negative", Throws(bytes, (ref JuteReader r) => r.ReadString()).Message);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(1_000_000)]
    [InlineData(int.MaxValue)]
    public void Buffer_and_string_lengths_past_the_end_throw_without_allocating(int length)
    {
        byte[] bytes = new HandBytes().Int(length).Raw(1, 2, 3, 4).ToArray();
        long allocated = Allocated(() =>
        {
            Throws(bytes, (ref JuteReader r) => r.ReadBuffer());
            Throws(bytes, (ref JuteReader r) => r.ReadString());
        });
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes rejecting a length of {length}");
    }

    [Fact]
    public void A_null_string_where_one_is_required_reads_as_empty_for_downstream_checks_to_judge()
    {
        var r = new JuteReader(new HandBytes().Int(-1).ToArray());
        Assert.Equal("", r.ReadRequiredString());
        Assert.Equal(0, r.Remaining);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(0x4000_0000)]
    [InlineData(3)]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void Vector_counts_that_cannot_fit_the_bytes_left_throw_before_allocating(int count)
    {
        // Room for two short strings: a count of 3 or more cannot be honest.
        byte[] bytes = new HandBytes().Int(count).String("a").String("b").ToArray();
        long allocated = Allocated(() =>
        {
            Throws(bytes, (ref JuteReader r) => r.ReadStringVector());
            Throws(bytes, (ref JuteReader r) => Acl.ReadList(ref r));
            Throws(bytes, (ref JuteReader r) => r.ReadVectorCount(4));
        });
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes rejecting a count of {count}");
    }

    [Fact]
    public void A_null_vector_reads_as_an_empty_one()
    {
        var r = new JuteReader(new HandBytes().Int(-1).ToArray());
        Assert.Equal(0, r.ReadVectorCount());
    }

    [Fact]
    public void A_create_with_an_acl_count_of_int_max_is_rejected_before_allocation()
    {
        byte[] body = new HandBytes().String("/a").Buffer([]).Int(int.MaxValue).Int(31).String("world").String("anyone").Int(0).ToArray();
        long allocated = Allocated(() => Throws(body, (ref JuteReader r) => RequestDecoder.TryDecode(OpCode.Create, ref r)));
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_setWatches_with_a_huge_string_count_is_rejected_before_allocation()
    {
        byte[] body = new HandBytes().Long(0).Int(int.MaxValue).String("/a").ToArray();
        long allocated = Allocated(() => Throws(body, (ref JuteReader r) => SetWatches.Read(ref r, version2: true)));
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_multi_without_its_done_header_throws()
    {
        byte[] body = new HandBytes().Int(13).Bool(false).Int(-1).String("/c").Int(1).ToArray();
        Throws(body, (ref JuteReader r) => RequestDecoder.TryDecode(OpCode.Multi, ref r));
    }

    [Theory]
    [InlineData(OpCode.Multi, OpCode.Multi)]
    [InlineData(OpCode.Multi, OpCode.GetData)]
    [InlineData(OpCode.Multi, OpCode.Ping)]
    [InlineData(OpCode.MultiRead, OpCode.Create)]
    [InlineData(OpCode.MultiRead, OpCode.MultiRead)]
    [InlineData(OpCode.Multi, (OpCode)12345)]
    public void A_multi_with_a_sub_op_it_does_not_allow_throws(OpCode multi, OpCode sub)
    {
        byte[] body = new HandBytes().Int((int)sub).Bool(false).Int(-1).String("/x").Bool(false).Int(-1).Bool(true).Int(-1).ToArray();
        Throws(body, (ref JuteReader r) => RequestDecoder.TryDecode(multi, ref r));
    }

    [Fact]
    public void A_connect_request_cut_before_the_password_throws()
    {
        byte[] full = new HandBytes().Int(0).Long(0).Int(30_000).Long(0).Int(16).Raw(new byte[16]).ToArray();
        for (int cut = 0; cut < full.Length; cut++)
            Throws(full[..cut], (ref JuteReader r) => ConnectRequest.Read(ref r));
    }

    [Fact]
    public void Invalid_utf8_decodes_with_replacement_characters_rather_than_throwing()
    {
        var r = new JuteReader(new HandBytes().Int(3).Raw(0xff, 0xc3, 0x28).ToArray());
        Assert.Contains('\ufffd', r.ReadString()!);
    }
}

// The TCP links between ensemble members, over real loopback sockets: order, size, restarts, and bad input.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Coordinator.Host.Network;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Coordinator.Host.Tests;

public sealed class PeerNetworkTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Three_members_exchange_numbered_frames_in_order()
    {
        const int count = 1000;
        var peers = Ensemble(3);
        await using var a = Member.Start(1, peers, output);
        await using var b = Member.Start(2, peers, output);
        await using var c = Member.Start(3, peers, output);
        Member[] members = [a, b, c];

        for (int i = 0; i < count; i++)
        {
            foreach (var from in members)
            {
                foreach (var to in members.Where(m => m != from)) from.Network.Send(to.Id, Numbered(i, 16 + i % 200));
            }
        }

        foreach (var m in members)
        {
            await m.Inbox.WaitForAsync(2 * count, Wait);
            foreach (var sender in members.Where(s => s != m))
            {
                Assert.Equal(Enumerable.Range(0, count), m.Inbox.From(sender.Id).Select(Number));
            }
            Assert.Equal(0, m.Network.DroppedFrames);
        }
    }

    [Fact]
    public async Task A_fifty_megabyte_frame_arrives_intact_between_small_ones()
    {
        var peers = Ensemble(2);
        await using var a = Member.Start(1, peers, output);
        await using var b = Member.Start(2, peers, output);
        var big = new byte[50 * 1024 * 1024];
        new Random(7).NextBytes(big);

        a.Network.Send(2, Numbered(1, 8));
        a.Network.Send(2, big);
        a.Network.Send(2, Numbered(2, 8));

        await b.Inbox.WaitForAsync(3, Wait);
        var frames = b.Inbox.From(1);
        Assert.Equal(1, Number(frames[0]));
        Assert.True(big.AsSpan().SequenceEqual(frames[1]), "the big frame arrived changed");
        Assert.Equal(2, Number(frames[2]));
    }

    [Fact]
    public async Task A_member_that_starts_later_receives_what_is_sent_once_it_is_up_and_the_sender_never_blocks()
    {
        var peers = Ensemble(2);
        var small = new PeerNetworkOptions { SendQueueBytesMax = 64 * 1024 };
        await using var a = Member.Start(1, peers, output, small);

        // Member 2 is down: 200 KB of frames against a 64 KB queue. Every Send returns at once; the excess is dropped.
        var sending = Stopwatch.StartNew();
        for (int i = 0; i < 2000; i++) a.Network.Send(2, Numbered(i, 100));
        sending.Stop();
        Assert.True(sending.Elapsed < TimeSpan.FromSeconds(1), $"2000 sends to a down peer took {sending.Elapsed}");
        Assert.True(a.Network.DroppedFrames > 0, "the queue limit dropped nothing");
        await Task.Delay(300); // a few failed connection attempts, with backoff

        await using var b = Member.Start(2, peers, output);
        b.Network.Send(1, Numbered(7, 8));
        // Until the backlog drains the queue may still be full, so one frame sent now could be dropped: keep sending.
        var clock = Stopwatch.StartNew();
        var late = Task.Run(async () =>
        {
            for (int n = 5000; clock.Elapsed < Wait && !b.Inbox.From(1).Any(f => Number(f) >= 5000); n++)
            {
                a.Network.Send(2, Numbered(n, 100));
                await Task.Delay(20);
            }
        });
        await late.WaitAsync(Wait + Wait);
        Assert.Contains(b.Inbox.From(1), f => Number(f) >= 5000);
        var numbers = b.Inbox.From(1).Select(Number).ToList();
        Assert.Equal(0, numbers[0]);
        Assert.True(numbers.Zip(numbers.Skip(1)).All(p => p.First < p.Second), "frames arrived out of order");
        Assert.True(numbers.Count < 2001, "no frame was dropped although the queue was over its limit");
        await a.Inbox.WaitForAsync(1, Wait);
        Assert.Equal(7, Number(a.Inbox.From(2)[0]));
    }

    [Fact]
    public async Task A_member_restarted_on_the_same_port_is_reconnected_to_and_receives_new_frames()
    {
        var peers = Ensemble(2);
        await using var a = Member.Start(1, peers, output);
        var b = Member.Start(2, peers, output);
        a.Network.Send(2, Numbered(0, 8));
        await b.Inbox.WaitForAsync(1, Wait);

        await b.DisposeAsync();
        // The outbound link notices the close by itself, so frames sent from now on wait in the queue, none lost.
        await WaitUntilAsync(() => !a.Network.IsConnectedTo(2), Wait, "member 1 did not notice member 2 going away");
        // The server is told too, so a follower of member 2 would start an election at once.
        await WaitUntilAsync(() => a.Inbox.Lost.Contains(2), Wait, "member 1 did not report member 2's link as lost");
        Assert.DoesNotContain(1, a.Inbox.Lost);
        for (int i = 1; i <= 10; i++) a.Network.Send(2, Numbered(i, 8));

        await using var restarted = Member.Start(2, peers, output);
        for (int i = 11; i <= 20; i++) a.Network.Send(2, Numbered(i, 8));
        restarted.Network.Send(1, Numbered(99, 8));

        await restarted.Inbox.WaitForAsync(20, Wait);
        Assert.Equal(Enumerable.Range(1, 20), restarted.Inbox.From(1).Select(Number));
        await a.Inbox.WaitForAsync(1, Wait);
        Assert.Equal(99, Number(a.Inbox.From(2)[0]));
    }

    [Fact]
    public async Task A_receiver_that_throws_resets_only_that_link_and_later_frames_still_arrive()
    {
        var peers = Ensemble(2);
        await using var a = Member.Start(1, peers, output);
        await using var b = Member.Start(2, peers, output);
        int failures = 0;
        a.Inbox.BeforeAdd = (_, frame) =>
        {
            if (BinaryPrimitives.ReadInt32BigEndian(frame) == 13 && Interlocked.Increment(ref failures) == 1)
                throw new InvalidOperationException("receiver bug");
        };
        for (int i = 0; i < 20; i++) b.Network.Send(1, Numbered(i, 8));
        await WaitUntilAsync(() => a.Log.Lines.Any(l => l.Contains("718]", StringComparison.Ordinal)), Wait, "the receiver's failure was not logged");

        // Frames written into the reset connection may be lost; ones sent after member 2 reconnects are not.
        var clock = Stopwatch.StartNew();
        for (int n = 100; clock.Elapsed < Wait && !a.Inbox.From(2).Any(f => Number(f) >= 100); n++)
        {
            b.Network.Send(1, Numbered(n, 8));
            await Task.Delay(20);
        }
        var numbers = a.Inbox.From(2).Select(Number).ToList();
        Assert.Equal(Enumerable.Range(0, 13), numbers.Take(13));
        Assert.DoesNotContain(13, numbers);
        Assert.Contains(numbers, n => n >= 100);
        Assert.True(numbers.Zip(numbers.Skip(1)).All(p => p.First < p.Second), "frames arrived out of order");
        a.Network.Send(2, Numbered(1, 8));
        await b.Inbox.WaitForAsync(1, Wait);
    }

    public static TheoryData<string> BadHandshakes() =>
        ["garbage", "wrong version", "unknown sender", "sender is the receiver itself", "meant for another member", "cut short"];

    [Theory]
    [MemberData(nameof(BadHandshakes))]
    public async Task A_bad_handshake_closes_only_that_socket(string kind)
    {
        var peers = Ensemble(3);
        await using var a = Member.Start(1, peers, output);
        await using var b = Member.Start(2, peers, output);
        b.Network.Send(1, Numbered(0, 8));
        await a.Inbox.WaitForAsync(1, Wait);

        using var raw = await RawConnectAsync(a);
        byte[] handshake = kind switch
        {
            "garbage" => Enumerable.Repeat((byte)0xAB, 24).ToArray(),
            "wrong version" => Handshake(magic: PeerHandshake.ExpectedMagic, version: 99, sender: 3, receiver: 1),
            "unknown sender" => Handshake(PeerHandshake.ExpectedMagic, PeerHandshake.CurrentVersion, sender: 42, receiver: 1),
            "sender is the receiver itself" => Handshake(PeerHandshake.ExpectedMagic, PeerHandshake.CurrentVersion, sender: 1, receiver: 1),
            "meant for another member" => Handshake(PeerHandshake.ExpectedMagic, PeerHandshake.CurrentVersion, sender: 3, receiver: 2),
            "cut short" => Handshake(PeerHandshake.ExpectedMagic, PeerHandshake.CurrentVersion, sender: 3, receiver: 1)[..10],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await raw.Client.SendAsync(handshake);
        if (kind == "cut short") raw.Client.Shutdown(SocketShutdown.Send);

        await AssertClosedByPeerAsync(raw);
        string address = raw.Client.LocalEndPoint!.ToString()!;
        Assert.Contains(a.Log.Lines, l => l.Contains("710]", StringComparison.Ordinal) && l.Contains(address, StringComparison.Ordinal));
        b.Network.Send(1, Numbered(1, 8));
        a.Network.Send(2, Numbered(2, 8));
        await a.Inbox.WaitForAsync(2, Wait);
        await b.Inbox.WaitForAsync(1, Wait);
        Assert.Equal([0, 1], a.Inbox.From(2).Select(Number));
        Assert.Equal([2], b.Inbox.From(1).Select(Number));
    }

    [Fact]
    public async Task A_connection_that_never_finishes_its_handshake_is_closed_after_the_timeout()
    {
        var peers = Ensemble(2);
        await using var a = Member.Start(1, peers, output, new PeerNetworkOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        using var raw = await RawConnectAsync(a);
        var magic = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(magic, PeerHandshake.ExpectedMagic);
        await raw.Client.SendAsync(magic);

        await AssertClosedByPeerAsync(raw);
        Assert.Contains(a.Log.Lines, l => l.Contains("no handshake within 300 ms", StringComparison.Ordinal));
    }

    public static TheoryData<int> BadFrameLengths() => [0, -1, 1025, int.MaxValue];

    [Theory]
    [MemberData(nameof(BadFrameLengths))]
    public async Task A_frame_length_out_of_bounds_closes_only_that_connection(int length)
    {
        var peers = Ensemble(3); // member 3 is played by a raw socket
        var options = new PeerNetworkOptions { FrameBytesMax = 1024 };
        await using var a = Member.Start(1, peers, output, options);
        await using var b = Member.Start(2, peers, output, options);
        b.Network.Send(1, Numbered(0, 8));
        await a.Inbox.WaitForAsync(1, Wait);

        using var raw = await RawConnectAsync(a);
        await raw.Client.SendAsync(Handshake(PeerHandshake.ExpectedMagic, PeerHandshake.CurrentVersion, sender: 3, receiver: 1));
        await raw.Client.SendAsync(Frame(Numbered(30, 1024)));
        await a.Inbox.WaitUntilAsync(f => f.Any(x => x.From == 3), Wait);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        await raw.Client.SendAsync(prefix);

        await AssertClosedByPeerAsync(raw);
        Assert.Contains(a.Log.Lines, l => l.Contains("711]", StringComparison.Ordinal) && l.Contains($"frame length {length} ", StringComparison.Ordinal));
        b.Network.Send(1, Numbered(1, 8));
        await a.Inbox.WaitForAsync(3, Wait);
        Assert.Equal([0, 1], a.Inbox.From(2).Select(Number));
        Assert.Equal([30], a.Inbox.From(3).Select(Number));
    }

    [Fact]
    public async Task A_newer_connection_from_a_peer_replaces_the_older_one()
    {
        var peers = Ensemble(3);
        await using var a = Member.Start(1, peers, output);
        using var older = await RawConnectAsync(a);
        await older.Client.SendAsync(Handshake(PeerHandshake.ExpectedMagic, PeerHandshake.CurrentVersion, sender: 3, receiver: 1));
        await older.Client.SendAsync(Frame(Numbered(1, 8)));
        await a.Inbox.WaitForAsync(1, Wait);

        using var newer = await RawConnectAsync(a);
        await newer.Client.SendAsync(Handshake(PeerHandshake.ExpectedMagic, PeerHandshake.CurrentVersion, sender: 3, receiver: 1));
        await AssertClosedByPeerAsync(older);
        await newer.Client.SendAsync(Frame(Numbered(2, 8)));

        await a.Inbox.WaitForAsync(2, Wait);
        Assert.Equal([1, 2], a.Inbox.From(3).Select(Number));
        Assert.Equal([3L], a.Network.InboundPeers);
    }

    [Fact]
    public async Task Send_to_an_unknown_or_unreachable_peer_returns_at_once_and_disposal_is_prompt()
    {
        // Member 2's port has nobody listening; member 3 is an address nothing answers on in a test box.
        var ports = FreePorts(2);
        PeerSpec[] peers =
        [
            new(1, "127.0.0.1", ports[0], 0, false, null, null),
            new(2, "127.0.0.1", ports[1], 0, false, null, null),
            new(3, "192.0.2.1", ports[1], 0, false, null, null),
        ];
        var a = Member.Start(1, peers, output, new PeerNetworkOptions { ConnectTimeout = TimeSpan.FromSeconds(30) });

        var sending = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            a.Network.Send(2, Numbered(i, 64));
            a.Network.Send(3, Numbered(i, 64));
            a.Network.Send(99, Numbered(i, 64));
            a.Network.Send(1, Numbered(i, 64));
        }
        sending.Stop();
        Assert.True(sending.Elapsed < TimeSpan.FromSeconds(1), $"4000 sends took {sending.Elapsed}");
        Assert.Equal(2000, a.Network.DroppedFrames); // to 99 and to itself: neither is a peer
        Assert.Single(a.Log.Lines, l => l.Contains("715]", StringComparison.Ordinal) && l.Contains("server 99", StringComparison.Ordinal));

        await Task.Delay(200);
        var disposing = Stopwatch.StartNew();
        await a.DisposeAsync().AsTask().WaitAsync(Wait);
        Assert.True(disposing.Elapsed < TimeSpan.FromSeconds(2), $"disposal took {disposing.Elapsed}");
        a.Network.Send(2, Numbered(0, 8)); // after disposal: dropped, no exception
        await a.DisposeAsync();
    }

    // ---- helpers ----

    private static PeerSpec[] Ensemble(int members) =>
        [.. FreePorts(members).Select((port, i) => new PeerSpec(i + 1, "127.0.0.1", port, 0, false, null, null))];

    /// <summary>Ports free right now: all bound at once so they differ, then released for the members to take.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }

    private static byte[] Numbered(int number, int length)
    {
        var frame = new byte[Math.Max(4, length)];
        BinaryPrimitives.WriteInt32BigEndian(frame, number);
        for (int i = 4; i < frame.Length; i++) frame[i] = (byte)(number + i);
        return frame;
    }

    private static int Number(byte[] frame)
    {
        for (int i = 4; i < frame.Length; i++)
        {
            Assert.Equal((byte)(BinaryPrimitives.ReadInt32BigEndian(frame) + i), frame[i]);
        }
        return BinaryPrimitives.ReadInt32BigEndian(frame);
    }

    private static byte[] Handshake(int magic, int version, long sender, long receiver)
    {
        var bytes = new byte[24];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), version);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), sender);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(16), receiver);
        return bytes;
    }

    private static byte[] Frame(byte[] payload)
    {
        var bytes = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, payload.Length);
        payload.CopyTo(bytes, 4);
        return bytes;
    }

    private static async Task<TcpClient> RawConnectAsync(Member member)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, member.Network.ListenEndPoint.Port).WaitAsync(Wait);
        return client;
    }

    /// <summary>The other side closed: a read sees end of stream, or a reset if it closed with our bytes unread.</summary>
    private static async Task AssertClosedByPeerAsync(TcpClient client)
    {
        var buffer = new byte[16];
        try
        {
            int read = await client.Client.ReceiveAsync(buffer).WaitAsync(Wait);
            Assert.Equal(0, read);
        }
        catch (SocketException) { }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail(failure);
            await Task.Delay(10);
        }
    }

    private sealed class Member : IAsyncDisposable
    {
        private Member(long id, PeerNetwork network, Inbox inbox, CapturingLogger log)
        {
            Id = id;
            Network = network;
            Inbox = inbox;
            Log = log;
        }

        public long Id { get; }
        public PeerNetwork Network { get; }
        public Inbox Inbox { get; }
        public CapturingLogger Log { get; }

        public static Member Start(long id, PeerSpec[] peers, ITestOutputHelper output, PeerNetworkOptions? options = null)
        {
            var log = new CapturingLogger(output, id);
            var network = new PeerNetwork(id, peers, log, options);
            var inbox = new Inbox();
            network.Start(inbox.Add, inbox.PeerLost);
            return new Member(id, network, inbox, log);
        }

        public ValueTask DisposeAsync() => Network.DisposeAsync();
    }

    private sealed class Inbox
    {
        private readonly List<(long From, byte[] Frame)> _frames = [];

        private readonly List<long> _lost = [];

        /// <summary>Peers whose link to this member broke, in the order reported.</summary>
        public List<long> Lost
        {
            get { lock (_lost) return [.. _lost]; }
        }

        public void PeerLost(long peer)
        {
            lock (_lost) _lost.Add(peer);
        }

        /// <summary>Runs before a frame is kept; a test makes the receiver fail by throwing here.</summary>
        public Action<long, byte[]>? BeforeAdd { get; set; }

        public void Add(long from, byte[] frame)
        {
            BeforeAdd?.Invoke(from, frame);
            lock (_frames) _frames.Add((from, frame));
        }

        public List<byte[]> From(long sender)
        {
            lock (_frames) return [.. _frames.Where(f => f.From == sender).Select(f => f.Frame)];
        }

        public Task WaitForAsync(int count, TimeSpan timeout) => WaitUntilAsync(f => f.Count >= count, timeout);

        public async Task WaitUntilAsync(Func<IReadOnlyList<(long From, byte[] Frame)>, bool> done, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                int count;
                lock (_frames)
                {
                    if (done(_frames)) return;
                    count = _frames.Count;
                }
                if (clock.Elapsed > timeout) Assert.Fail($"still waiting after {timeout.TotalSeconds} s with {count} frames received");
                await Task.Delay(10);
            }
        }
    }

    /// <summary>Keeps every line for assertions and echoes it to the test output.</summary>
    private sealed class CapturingLogger(ITestOutputHelper output, long member) : ILogger<PeerNetwork>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string line = $"[member {member} {logLevel} {eventId.Id}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}";
            _lines.Enqueue(line);
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test that owned this output has finished.
            }
        }
    }
}

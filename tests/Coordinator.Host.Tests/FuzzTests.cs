// Seeded fuzzing of the client port: hundreds of connections send garbage and corrupted requests; the server must stay up.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine.Security;
using Xunit.Abstractions;

namespace Coordinator.Host.Tests;

public sealed class FuzzTests(ITestOutputHelper output)
{
    /// <summary>Set this to a seed printed by a failed run to replay the same inputs.</summary>
    public const string SeedVariable = "COORDINATOR_FUZZ_SEED";

    /// <summary>Set this to run more connections than the default (a longer hunt); capped at <see cref="ConnectionsCountMax"/>.</summary>
    public const string ConnectionsVariable = "COORDINATOR_FUZZ_CONNECTIONS";

    private const int ConnectionsCountDefault = 300;
    private const int ConnectionsCountMax = 100_000;
    private const int ParallelConnectionsMax = 8;
    private const int FramesPerConnectionMax = 12;

    /// <summary>How long a fuzz connection listens for replies before it hangs up; keeps the whole run bounded.</summary>
    private static readonly TimeSpan ReplyWindow = TimeSpan.FromMilliseconds(150);

    /// <summary>Per-operation limit for a fuzz connection (connect, send): a stuck socket costs this, not the run.</summary>
    private static readonly TimeSpan FuzzIoTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan RunBudget = TimeSpan.FromSeconds(40);

    private const string SuperSecret = "super:fuzz";

    [Fact]
    public async Task Server_survives_random_and_corrupted_input_from_many_connections()
    {
        int seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed}; replay with {SeedVariable}={seed}");

        await using var host = await TestHost.StartAsync(output, settings => settings with
        {
            SuperDigest = DigestAuth.Generate(SuperSecret),
            FourLetterWordWhitelist = new HashSet<string>(StringComparer.Ordinal) { "ruok", "srvr", "stat", "conf", "cons", "mntr" },
        }, outputLevel: Microsoft.Extensions.Logging.LogLevel.Error);

        int connectionsCount = Environment.GetEnvironmentVariable(ConnectionsVariable) is { Length: > 0 } n
            ? Math.Clamp(int.Parse(n, System.Globalization.CultureInfo.InvariantCulture), 1, ConnectionsCountMax)
            : ConnectionsCountDefault;
        var runBudget = RunBudget * Math.Max(1, connectionsCount / ConnectionsCountDefault);
        var master = new Random(seed);
        int[] connectionSeeds = Enumerable.Range(0, connectionsCount).Select(_ => master.Next()).ToArray();
        var sessions = new ConcurrentBag<(long Id, byte[] Password)>();
        var kinds = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        using var budget = new CancellationTokenSource(runBudget);

        try
        {
            await Parallel.ForEachAsync(connectionSeeds,
                new ParallelOptions { MaxDegreeOfParallelism = ParallelConnectionsMax, CancellationToken = budget.Token },
                async (connectionSeed, _) =>
                {
                    string kind = await FuzzConnection.RunAsync(host.EndPoint, connectionSeed, sessions);
                    kinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
                });
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"seed {seed}: {connectionsCount} fuzz connections did not finish within {runBudget.TotalSeconds} s");
        }
        catch (Exception e)
        {
            Assert.Fail($"seed {seed}: a fuzz connection failed in the test itself: {e}");
        }
        output.WriteLine($"{connectionsCount} connections in {clock.ElapsedMilliseconds} ms: " +
            string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));

        await AssertHealthyAsync(host, seed);
    }

    private async Task AssertHealthyAsync(TestHost host, int seed)
    {
        string ruok = await TestClient.FourLetterWordAsync(host.EndPoint, "ruok");
        Assert.True(ruok == "imok", $"seed {seed}: ruok answered \"{ruok}\" after fuzzing");
        await AssertConnectionsReleasedAsync(host, seed);

        await using var client = await TestClient.ConnectAsync(host.EndPoint);
        // As super, so an ACL that fuzzing happened to set on the root cannot fail the check.
        await client.SendFrameAsync(TestClient.RequestPayload(Xids.Auth, (int)OpCode.Auth, new AuthPacket(0, "digest", System.Text.Encoding.UTF8.GetBytes(SuperSecret))));
        Assert.True((await client.ReadReplyForAsync(Xids.Auth)).Err == 0, $"seed {seed}: super auth failed");
        string path = "/after-fuzz-" + seed;
        var created = await client.CreateAsync(path, [1, 2, 3]);
        Assert.True(created.Err is 0 or -110, $"seed {seed}: create after fuzzing answered {created.Err}");
        var set = await client.SetDataAsync(path, [4, 5, 6]);
        Assert.True(set.Err == 0, $"seed {seed}: setData after fuzzing answered {set.Err}");
        var read = await client.GetDataAsync(path);
        Assert.True(read.Err == 0, $"seed {seed}: getData after fuzzing answered {read.Err}");
        Assert.Equal([4, 5, 6], read.ReadGetData().Data);
        await client.CloseSessionAsync();

        await host.AssertStillServesAsync($"fuzz seed {seed}");
        Assert.True(host.LoggedErrors.Count == 0, $"seed {seed}: the server logged errors:\n{string.Join("\n", host.LoggedErrors.Take(20))}");
    }

    /// <summary>Every fuzz connection has hung up, so the server must forget them all: a leak shows as alive connections.</summary>
    private static async Task AssertConnectionsReleasedAsync(TestHost host, int seed)
    {
        long alive = await host.WaitForGaugeAsync("zk_num_alive_connections", 0, TimeSpan.FromSeconds(5));
        Assert.True(alive == 0, $"seed {seed}: zk_num_alive_connections is {alive} after every fuzz connection closed");
    }

    /// <summary>One fuzz connection: picks a behaviour from its seed, runs it, and swallows the socket errors bad input earns.</summary>
    private static class FuzzConnection
    {
        public static async Task<string> RunAsync(IPEndPoint endPoint, int seed, ConcurrentBag<(long, byte[])> sessions)
        {
            var rng = new Random(seed);
            int kind = rng.Next(10);
            string name = kind switch
            {
                0 => "random-bytes",
                1 => "random-frames",
                2 => "four-letters",
                3 => "bad-connect",
                4 => "reattach",
                _ => "session-requests",
            };
            TestClient? client = null;
            try
            {
                client = await TestClient.OpenAsync(endPoint, FuzzIoTimeout);
                switch (kind)
                {
                    case 0: await client.SendRawAsync(RandomBytes(rng, rng.Next(1, 2048))); break;
                    case 1: await SendAsync(client, rng, Enumerable.Range(0, rng.Next(1, 4)).Select(_ => RandomFrame(rng)).ToList()); break;
                    case 2: await client.SendRawAsync(FourLetters(rng)); break;
                    case 3: await client.SendRawAsync(TestClient.Frame(BadConnect(rng))); break;
                    case 4: await ReattachAsync(client, rng, sessions); break;
                    default: await SessionRequestsAsync(client, rng, sessions); break;
                }
                await DrainAsync(client);
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException)
            {
                // The server hung up on bad input (or stayed silent, waiting for the rest of a frame that never comes).
                name += "/" + e.GetType().Name;
            }
            finally
            {
                if (client is not null)
                {
                    if (rng.Next(4) == 0) client.Abort();
                    await client.DisposeAsync();
                }
            }
            return name;
        }

        private static async Task DrainAsync(TestClient client)
        {
            // Read what comes back for a moment, so the server also exercises writing to a client that then leaves.
            await client.WaitForCloseAsync(ReplyWindow);
        }

        private static async Task SendAsync(TestClient client, Random rng, List<byte[]> frames)
        {
            if (rng.Next(2) == 0)
            {
                await client.SendRawAsync(frames.SelectMany(f => f).ToArray());
                return;
            }
            foreach (var frame in frames)
            {
                // Sometimes split a frame across writes, so the server's framing sees partial packets.
                int cut = rng.Next(frame.Length + 1);
                await client.SendRawAsync(frame.AsMemory(0, cut));
                await client.SendRawAsync(frame.AsMemory(cut));
            }
        }

        private static async Task SessionRequestsAsync(TestClient client, Random rng, ConcurrentBag<(long, byte[])> sessions)
        {
            var response = await client.HandshakeAsync(new ConnectRequest(0, 0, rng.Next(1000, 60_000), 0, new byte[16], rng.Next(3) switch
            {
                0 => null,
                1 => true,
                _ => false,
            }));
            if (response is null || response.SessionId == 0) return;
            sessions.Add((response.SessionId, response.Password));
            int count = rng.Next(1, FramesPerConnectionMax + 1);
            var frames = new List<byte[]>(count);
            for (int i = 0; i < count; i++) frames.Add(TestClient.Frame(SessionPayload(rng, i + 1)));
            await SendAsync(client, rng, frames);
        }

        private static async Task ReattachAsync(TestClient client, Random rng, ConcurrentBag<(long Id, byte[] Password)> sessions)
        {
            var known = sessions.ToArray();
            (long id, byte[] password) = known.Length > 0 && rng.Next(4) != 0
                ? known[rng.Next(known.Length)]
                : (rng.NextInt64(), RandomBytes(rng, 16));
            if (rng.Next(3) == 0) password = RandomBytes(rng, rng.Next(0, 20));
            long lastZxid = rng.Next(3) == 0 ? rng.NextInt64() : 0;
            var response = await client.HandshakeAsync(new ConnectRequest(0, lastZxid, rng.Next(-5, 100_000), id, password, rng.Next(2) == 0));
            if (response is null || response.SessionId == 0) return;
            await SendAsync(client, rng, [TestClient.Frame(SessionPayload(rng, 1)), TestClient.Frame(SessionPayload(rng, 2))]);
        }

        // ---- payloads ----

        private static byte[] RandomBytes(Random rng, int count)
        {
            var bytes = new byte[count];
            rng.NextBytes(bytes);
            return bytes;
        }

        private static readonly string[] Paths = ["/", "/f", "/f/g", "/f/g/h", "/zookeeper", "/zookeeper/quota", "/e", "/f/", "", "//", "/f/../g"];

        private static readonly int[] Opcodes = Enum.GetValues<OpCode>().Select(o => (int)o).ToArray();

        private static string Path(Random rng) => Paths[rng.Next(Paths.Length)];

        /// <summary>Frames before any handshake: plausible and absurd lengths, with random contents.</summary>
        private static byte[] RandomFrame(Random rng)
        {
            int length = rng.Next(6) switch
            {
                0 => -rng.Next(1, int.MaxValue),
                1 => WireScenarios.JuteMaxBufferDefault + rng.Next(0, 4096),
                _ => rng.Next(0, 200),
            };
            int bodyBytes = Math.Clamp(length, 0, 200);
            var frame = new byte[4 + bodyBytes];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, length);
            rng.NextBytes(frame.AsSpan(4));
            return frame;
        }

        private static byte[] FourLetters(Random rng)
        {
            string[] words = ["ruok", "srvr", "stat", "conf", "cons", "mntr", "envi", "dump", "wchc", "wchp", "crst", "srst", "isro", "abcd", "RUOK"];
            byte[] word = System.Text.Encoding.ASCII.GetBytes(words[rng.Next(words.Length)]);
            return rng.Next(4) == 0 ? [.. word, .. RandomBytes(rng, rng.Next(1, 64))] : word;
        }

        private static byte[] BadConnect(Random rng)
        {
            var good = TestClient.Encode(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false).Write);
            return rng.Next(3) switch
            {
                0 => good[..rng.Next(good.Length)],
                1 => Flip(rng, good),
                _ => TestClient.Encode(new ConnectRequest(rng.Next(), rng.NextInt64(), rng.Next(), rng.NextInt64(), RandomBytes(rng, rng.Next(0, 40)), null).Write),
            };
        }

        /// <summary>A packet after the handshake: valid, corrupted, cut short, or random, roughly in equal parts.</summary>
        private static byte[] SessionPayload(Random rng, int xid)
        {
            byte[] valid = ValidRequest(rng, xid);
            return rng.Next(4) switch
            {
                0 => valid,
                1 => Flip(rng, valid),
                2 => valid[..rng.Next(valid.Length)],
                _ => TestClient.RequestPayload(xid, rng.Next(3) == 0 ? rng.Next() : Opcodes[rng.Next(Opcodes.Length)], null)
                    .Concat(RandomBytes(rng, rng.Next(0, 64))).ToArray(),
            };
        }

        private static byte[] Flip(Random rng, byte[] bytes)
        {
            var copy = (byte[])bytes.Clone();
            if (copy.Length == 0) return copy;
            int flips = rng.Next(1, 5);
            for (int i = 0; i < flips; i++) copy[rng.Next(copy.Length)] ^= (byte)(1 << rng.Next(8));
            return copy;
        }

        private static List<Acl> Acls(Random rng) => rng.Next(5) switch
        {
            0 => [],
            1 => [new Acl(rng.Next(0, 32), new Id("digest", "u:" + rng.Next()))],
            2 => [new Acl(31, new Id("ip", "127.0.0.1"))],
            3 => [new Acl(31, new Id("nosuchscheme", "x"))],
            _ => [.. Acl.OpenAclUnsafe],
        };

        private static byte[] ValidRequest(Random rng, int xid)
        {
            (OpCode op, IRecord? body) = rng.Next(18) switch
            {
                0 => (OpCode.Create, (IRecord?)new CreateRequest(OpCode.Create, Path(rng), RandomBytes(rng, rng.Next(0, 64)), Acls(rng), rng.Next(0, 8))),
                1 => (OpCode.Create2, new CreateRequest(OpCode.Create2, Path(rng), [], Acls(rng), rng.Next(0, 8))),
                2 => (OpCode.CreateContainer, new CreateRequest(OpCode.CreateContainer, Path(rng), [], Acls(rng), 4)),
                3 => (OpCode.CreateTtl, new CreateRequest(OpCode.CreateTtl, Path(rng), [], Acls(rng), rng.Next(5, 7), rng.Next(-2, 5000))),
                4 => (OpCode.Delete, new DeleteRequest(OpCode.Delete, Path(rng), rng.Next(-1, 3))),
                5 => (OpCode.SetData, new SetDataRequest(Path(rng), RandomBytes(rng, rng.Next(0, 64)), rng.Next(-1, 3))),
                6 => (OpCode.GetData, new PathWatchRequest(OpCode.GetData, Path(rng), rng.Next(2) == 0)),
                7 => (OpCode.Exists, new PathWatchRequest(OpCode.Exists, Path(rng), rng.Next(2) == 0)),
                8 => (OpCode.GetChildren2, new PathWatchRequest(OpCode.GetChildren2, Path(rng), rng.Next(2) == 0)),
                9 => (OpCode.GetAcl, new PathRequest(OpCode.GetAcl, Path(rng))),
                10 => (OpCode.Sync, new PathRequest(OpCode.Sync, Path(rng))),
                11 => (OpCode.Check, new CheckVersionRequest(Path(rng), rng.Next(-1, 3))),
                12 => (OpCode.Multi, new MultiRequest(OpCode.Multi, [
                    new CreateRequest(OpCode.Create, Path(rng), [], [.. Acl.OpenAclUnsafe], rng.Next(0, 4)),
                    new CheckVersionRequest(Path(rng), rng.Next(-1, 2)),
                    new DeleteRequest(OpCode.Delete, Path(rng), -1)])),
                13 => (OpCode.MultiRead, new MultiRequest(OpCode.MultiRead, [
                    new PathWatchRequest(OpCode.GetData, Path(rng), false), new PathWatchRequest(OpCode.GetChildren, Path(rng), false)])),
                14 => (OpCode.AddWatch, new AddWatchRequest(Path(rng), rng.Next(-1, 3))),
                15 => (OpCode.RemoveWatches, new WatchesRequest(OpCode.RemoveWatches, Path(rng), rng.Next(0, 6))),
                16 => (rng.Next(2) == 0 ? OpCode.SetWatches2 : OpCode.SetWatches,
                    new SetWatches(rng.Next(0, 100), [Path(rng)], [Path(rng)], [Path(rng)], [Path(rng)], [Path(rng)])),
                _ => rng.Next(4) switch
                {
                    0 => (OpCode.Auth, new AuthPacket(0, rng.Next(2) == 0 ? "digest" : "nosuch", RandomBytes(rng, rng.Next(0, 16)))),
                    1 => (OpCode.CloseSession, null),
                    2 => (OpCode.WhoAmI, null),
                    _ => (OpCode.Ping, null),
                },
            };
            int headerXid = op switch
            {
                OpCode.Ping => Xids.Ping,
                OpCode.Auth => Xids.Auth,
                OpCode.SetWatches or OpCode.SetWatches2 => Xids.SetWatches,
                _ => xid,
            };
            return TestClient.RequestPayload(headerXid, (int)op, body);
        }
    }
}

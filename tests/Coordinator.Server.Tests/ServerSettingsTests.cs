// Tests for the settings table itself: defaults, derived values, validation rules and ZooKeeper-identical `conf` output.
using Coordinator.Server.Configuration;

namespace Coordinator.Server.Tests;

public sealed class ServerSettingsTests
{
    private static readonly PeerSpec[] ThreePeers =
    [
        new(1, "127.0.0.1", 22881, 23881, false, null, null),
        new(2, "127.0.0.1", 22882, 23882, false, "127.0.0.1", 22192),
        new(3, "127.0.0.1", 22883, 23883, true, "0.0.0.0", 22193),
    ];

    [Fact]
    public void Default_is_valid_and_standalone()
    {
        var s = ServerSettings.Default;
        Assert.Empty(s.Validate());
        Assert.True(s.IsStandalone);
        Assert.Null(s.Self);
        Assert.False(s.IsObserver);
        Assert.Equal("./data", s.DataDir);
        Assert.Equal("./data", s.DataLogDir);
        Assert.Equal((4000, 40000), (s.MinSessionTimeoutMs, s.MaxSessionTimeoutMs));
        Assert.True(s.ExtendedTypesEnabled);
        Assert.Equal(1, s.AutopurgePurgeIntervalHours);
    }

    [Fact]
    public void Derived_values_follow_their_source_until_set()
    {
        var s = ServerSettings.Default with { TickTimeMs = 100, DataDir = "/zk" };
        Assert.Equal((200, 2000), (s.MinSessionTimeoutMs, s.MaxSessionTimeoutMs));
        Assert.Equal("/zk", s.DataLogDir);

        var set = s with { MinSessionTimeoutMs = 500, DataLogDir = "/log" };
        Assert.Equal(500, set.MinSessionTimeoutMs);
        Assert.Equal(2000, set.MaxSessionTimeoutMs);
        Assert.Equal("/log", (set with { DataDir = "/other" }).DataLogDir);

        // -1 is zoo.cfg's way of asking for the default again.
        Assert.Equal(200, (set with { MinSessionTimeoutMs = -1 }).MinSessionTimeoutMs);
    }

    [Fact]
    public void Default_whitelist_allows_monitoring_words_but_not_expensive_or_mutating_ones()
    {
        var s = ServerSettings.Default;
        foreach (string word in new[] { "ruok", "srvr", "stat", "mntr", "conf", "envi", "isro", "cons", "wchs", "dirs" })
        {
            Assert.True(s.IsFourLetterWordAllowed(word), word);
        }
        foreach (string word in new[] { "wchc", "wchp", "dump", "crst", "srst", "stmk", "gtmk", "hash" })
        {
            Assert.False(s.IsFourLetterWordAllowed(word), word);
        }
        Assert.True(ServerSettings.DefaultFourLetterWordWhitelist.IsSubsetOf(ServerSettings.KnownFourLetterWords));
        Assert.True((s with { FourLetterWordWhitelist = new HashSet<string> { "*" } }).IsFourLetterWordAllowed("dump"));
    }

    [Fact]
    public void Standalone_follows_zookeepers_rule()
    {
        var one = ServerSettings.Default with { Peers = [ThreePeers[0]] };
        Assert.True(one.IsStandalone);
        Assert.False((one with { StandaloneEnabled = false }).IsStandalone);

        var three = ServerSettings.Default with { Peers = ThreePeers, ServerId = 3 };
        Assert.False(three.IsStandalone);
        Assert.Equal(2, three.ParticipantCount);
        Assert.Same(ThreePeers[2], three.Self);
        Assert.True(three.IsObserver);
        Assert.Empty(three.Validate());
    }

    [Fact]
    public void Validate_lists_every_problem_on_its_own_line()
    {
        var s = ServerSettings.Default with { TickTimeMs = 0, ClientPort = 70000, MaxClientCnxns = -1, MetricsHttpHost = "" };
        var problems = s.Validate();

        Assert.Contains("tickTime=0 is not valid: expected a positive integer (milliseconds)", problems);
        Assert.Contains("clientPort=70000 is not valid: expected a port from 0 (any free port) to 65535", problems);
        Assert.Contains("maxClientCnxns=-1 is not valid: expected an integer >= 0 (0 = unlimited)", problems);
        Assert.Contains("metricsProvider.httpHost= is not valid: expected an IP address or host name", problems);
        Assert.All(problems, p => Assert.DoesNotContain('\n', p));
    }

    [Theory]
    [InlineData("super:D/InIHSb7yEEbrWz8b9l71RjZJU=", true)]
    [InlineData("admin:uXt/eThUKj5ra9gFQSg6TfvhGmA=", true)]
    [InlineData("super", false)]
    [InlineData(":D/InIHSb7yEEbrWz8b9l71RjZJU=", false)]
    [InlineData("super:", false)]
    [InlineData("super:not base64!", false)]
    [InlineData("super:AAAA", false)]
    public void Super_digest_must_be_user_and_a_base64_sha1(string digest, bool valid) =>
        Assert.Equal(valid, (ServerSettings.Default with { SuperDigest = digest }).Validate().Count == 0);

    [Fact]
    public void Peer_rules_catch_duplicates_and_bad_ports()
    {
        var duplicateId = ServerSettings.Default with { ServerId = 1, Peers = [ThreePeers[0], ThreePeers[0] with { Host = "other" }, ThreePeers[1]] };
        Assert.Contains("server.1 is not valid: the id is listed more than once", duplicateId.Validate());

        var samePorts = ServerSettings.Default with { ServerId = 1, Peers = [ThreePeers[0], ThreePeers[1] with { QuorumPort = 23881 }] };
        Assert.Contains(
            "server.2=127.0.0.1:23881:23882:participant;127.0.0.1:22192 is not valid: 127.0.0.1:23881 is already used by server.1; quorum and election ports must be distinct",
            samePorts.Validate());

        var zeroPort = ServerSettings.Default with { ServerId = 1, Peers = [ThreePeers[0] with { ElectionPort = 0 }, ThreePeers[1]] };
        Assert.Contains("server.1=127.0.0.1:22881:0:participant is not valid: the election port must be from 1 to 65535", zeroPort.Validate());

        var badHost = ServerSettings.Default with { ServerId = 1, Peers = [ThreePeers[0] with { Host = "bad host" }, ThreePeers[1]] };
        Assert.Contains("server.1=bad host:22881:23881:participant is not valid: expected an IP address or host name before each port", badHost.Validate());
    }

    [Fact]
    public void Ensemble_member_must_find_itself_in_the_server_list()
    {
        var s = ServerSettings.Default with { ServerId = 9, Peers = ThreePeers };
        Assert.Equal(["myid=9 is not valid: no server.9 line lists this server; write this server's id to dataDir/myid"], s.Validate());
    }

    [Fact]
    public void Conf_lines_for_standalone_match_zookeeper_3_8_order_and_names()
    {
        var s = ServerSettings.Default with { DataDir = "/tmp/zk/data", ClientPort = 22181 };

        Assert.Equal(
            [
                "clientPort", "secureClientPort", "dataDir", "dataDirSize", "dataLogDir", "dataLogSize", "tickTime",
                "maxClientCnxns", "minSessionTimeout", "maxSessionTimeout", "clientPortListenBacklog", "serverId",
            ],
            s.ToConfLines().Select(kv => kv.Key));
        // Captured from `echo conf | nc` against a standalone ZooKeeper 3.8.0 with the same settings.
        Assert.Equal(
            "clientPort=22181\nsecureClientPort=-1\ndataDir=/tmp/zk/data/version-2\ndataDirSize=457\n" +
            "dataLogDir=/tmp/zk/data/version-2\ndataLogSize=457\ntickTime=2000\nmaxClientCnxns=60\n" +
            "minSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=0\n",
            s.ToConfText(457, 457));
    }

    [Fact]
    public void Conf_text_for_a_participant_matches_zookeeper_3_8_byte_for_byte()
    {
        var s = ServerSettings.Default with
        {
            DataDir = "/tmp/zkens/data1", ClientPort = 22191, ClientPortAddress = "127.0.0.1", ServerId = 1, Peers = ThreePeers,
        };

        // Captured from `echo conf | nc` against server 1 of a 3.8.0 ensemble (two participants and an observer).
        Assert.Equal(
            "clientPort=22191\nsecureClientPort=-1\ndataDir=/tmp/zkens/data1/version-2\ndataDirSize=624\n" +
            "dataLogDir=/tmp/zkens/data1/version-2\ndataLogSize=624\ntickTime=2000\nmaxClientCnxns=60\n" +
            "minSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=1\n" +
            "initLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=23881\nquorumPort=22881\npeerType=0\nmembership: \n" +
            "server.1=127.0.0.1:22881:23881:participant\nserver.2=127.0.0.1:22882:23882:participant;127.0.0.1:22192\n" +
            "server.3=127.0.0.1:22883:23883:observer;0.0.0.0:22193\nversion=0",
            s.ToConfText(624, 624));
    }

    [Fact]
    public void Conf_lines_for_an_ensemble_list_members_by_id()
    {
        var s = ServerSettings.Default with { ServerId = 3, Peers = [ThreePeers[2], ThreePeers[0], ThreePeers[1]] };
        var lines = s.ToConfLines();

        Assert.Equal(
            ["initLimit", "syncLimit", "electionAlg", "electionPort", "quorumPort", "peerType", ServerSettings.ConfMembershipKey, "server.1", "server.2", "server.3", "version"],
            lines.Skip(12).Select(kv => kv.Key));
        Assert.Equal("1", lines.Single(kv => kv.Key == "peerType").Value);
        Assert.Equal("23883", lines.Single(kv => kv.Key == "electionPort").Value);
    }

    [Fact]
    public void Peer_config_line_spells_out_type_and_client_address()
    {
        Assert.Equal("server.1=h:1:2:participant", new PeerSpec(1, "h", 1, 2, false, null, null).ToConfigLine());
        Assert.Equal("server.2=h:1:2:observer;0.0.0.0:2181", new PeerSpec(2, "h", 1, 2, true, null, 2181).ToConfigLine());
        Assert.Equal("server.3=[::1]:1:2:participant;[::1]:2181", new PeerSpec(3, "::1", 1, 2, false, "::1", 2181).ToConfigLine());
    }

    [Fact]
    public void ToString_redacts_the_super_digest()
    {
        string text = (ServerSettings.Default with { SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" }).ToString();
        Assert.DoesNotContain("D/InIHSb7yEEbrWz8b9l71RjZJU=", text, StringComparison.Ordinal);
        Assert.Contains("DigestAuthenticationProvider.superDigest=(set, redacted)", text, StringComparison.Ordinal);
        Assert.Contains("clientPort=2181", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("::", true)]
    [InlineData("[::1]", true)]
    [InlineData("zk-1.example.com", true)]
    [InlineData("app_zk_1", true)]
    [InlineData("", false)]
    [InlineData("not a host", false)]
    [InlineData("a..b", false)]
    [InlineData("host:2181", false)]
    public void Host_names_and_addresses_are_recognised(string host, bool valid) =>
        Assert.Equal(valid, (ServerSettings.Default with { ClientPortAddress = host }).Validate().Count == 0);
}

// Tests for the ensemble side of zoo.cfg: server.N lines, myid, client address adoption, overrides and `conf` output.
using Coordinator.Host.Configuration;
using Coordinator.Server.Configuration;

namespace Coordinator.Host.Tests;

public sealed class ZooCfgParserEnsembleTests : ZooCfgTestBase
{
    [Theory]
    [InlineData("server.1=h:1", "a host, a quorum port and an election port")]
    [InlineData("server.1=h:1:2:foo", "'foo' is not a peer type (participant or observer)")]
    [InlineData("server.1=h:a:2", "'a' is not a port number")]
    [InlineData("server.1=h:1:2;a;b", "only one ';' may separate the server and client addresses")]
    [InlineData("server.1=h:1:2|h2:3:4", "several addresses for one server (a|b) are not supported")]
    [InlineData("server.1=:1:2", "the host is missing")]
    [InlineData("server.1=h:1:2;x", "'x' is not a port number")]
    [InlineData("server.x=h:1:2", "the part after 'server.' must be the numeric server id")]
    public void Malformed_server_lines_say_what_is_wrong(string line, string reason)
    {
        string message = Fails(line);
        Assert.StartsWith($"zoo.cfg: {line} is not valid: ", message);
        Assert.Contains(reason, message);
        Assert.DoesNotContain('\n', message);
    }

    [Theory]
    [InlineData("server.1=a:70000:3888\nserver.2=b:2888:3888", "zoo.cfg: server.1=a:70000:3888:participant is not valid: the quorum port must be from 1 to 65535")]
    [InlineData("server.1=a:2888:3888\nserver.2=a:2888:3889", "zoo.cfg: server.2=a:2888:3889:participant is not valid: a:2888 is already used by server.1; quorum and election ports must be distinct")]
    [InlineData("server.1=a:2888:2888\nserver.2=b:2888:3888", "zoo.cfg: server.1=a:2888:2888:participant is not valid: a:2888 is already used by server.1; quorum and election ports must be distinct")]
    [InlineData("server.300=a:2888:3888\nserver.1=b:2888:3888", "zoo.cfg: server.300=a:2888:3888:participant is not valid: the server id must be an integer from 1 to 254 (255 is reserved while extendedTypesEnabled=true, because it marks TTL nodes)")]
    [InlineData("server.1=a:2888:3888:observer", "zoo.cfg: server.N is not valid: observers are listed but no participant; at least one server must be a participant")]
    [InlineData("server.1=a:2888:3888\nserver.2=b:2888:3888:observer", "zoo.cfg: server.N is not valid: observers need an ensemble, but one participant with standaloneEnabled=true runs standalone; add participants or set standaloneEnabled=false")]
    public void Ensemble_rules_are_checked(string text, string expected)
    {
        WriteMyId("data", "1");
        Assert.Equal(expected, Fails(text));
    }

    [Fact]
    public void Server_id_255_is_allowed_only_without_ttl_nodes()
    {
        WriteMyId("data", "255");
        string twoServers = "server.255=a:2888:3888\nserver.1=b:2888:3888\n";
        Assert.Contains("from 1 to 254", Fails(twoServers));
        Assert.Equal(255, Parse(twoServers + "extendedTypesEnabled=false").ServerId);
    }

    [Fact]
    public void Myid_is_read_from_dataDir_for_ensembles()
    {
        WriteMyId("d", " 2\n");
        var s = Parse("dataDir=d\n" + ThreeServers);

        Assert.Equal(2, s.ServerId);
        Assert.False(s.IsStandalone);
        Assert.Equal(new PeerSpec(2, "10.0.0.2", 2888, 3888, false, null, null), s.Self);
    }

    [Fact]
    public void Ensemble_without_myid_fails()
    {
        string message = Fails(ThreeServers);
        Assert.Equal(
            $"zoo.cfg: {Path.Combine(Dir, "data", "myid")} is missing: server.N lines make this an ensemble, so dataDir/myid must hold this server's id",
            message);
    }

    [Fact]
    public void Myid_that_is_not_a_number_fails()
    {
        WriteMyId("data", "two");
        Assert.Equal($"{Path.Combine(Dir, "data", "myid")}: 'two' is not valid: expected this server's id, an integer from 1 to 255",
            Fails(ThreeServers));
    }

    [Fact]
    public void Myid_missing_from_the_server_list_fails()
    {
        WriteMyId("data", "7");
        Assert.Equal("zoo.cfg: myid=7 is not valid: no server.7 line lists this server; write this server's id to dataDir/myid",
            Fails(ThreeServers));
    }

    [Fact]
    public void Standalone_reads_myid_when_present_and_defaults_to_zero()
    {
        Assert.Equal(0, Parse("").ServerId);
        WriteMyId("data", "4");
        Assert.Equal(4, Parse("").ServerId);
    }

    [Fact]
    public void Server_lines_parse_types_and_client_addresses()
    {
        WriteMyId("data", "1");
        var s = Parse("""
            server.1=zk1.example.com:2888:3888
            server.2=zk2:2889:3889:PARTICIPANT;2182
            server.3=zk3:2890:3890:observer;10.1.1.3:2183
            server.4=[fe80::1]:2891:3891:participant;[::1]:2184
            """);

        Assert.Equal(
            [
                new PeerSpec(1, "zk1.example.com", 2888, 3888, false, null, null),
                new PeerSpec(2, "zk2", 2889, 3889, false, "0.0.0.0", 2182),
                new PeerSpec(3, "zk3", 2890, 3890, true, "10.1.1.3", 2183),
                new PeerSpec(4, "fe80::1", 2891, 3891, false, "::1", 2184),
            ],
            s.Peers);
        Assert.Equal(3, s.ParticipantCount);
        Assert.Equal("server.4=[fe80::1]:2891:3891:participant;[::1]:2184", s.Peers[3].ToConfigLine());
    }

    [Fact]
    public void Repeated_server_line_replaces_the_earlier_one()
    {
        WriteMyId("data", "1");
        var s = Parse("server.1=a:1:2\nserver.2=b:1:2\nserver.1=c:3:4", out var warnings);
        Assert.Equal(2, s.Peers.Count);
        Assert.Equal("c", s.Peers.Single(p => p.Id == 1).Host);
        Assert.Contains("zoo.cfg: server.1 is set more than once; the last value (c:3:4) wins", warnings);
    }

    [Fact]
    public void Single_server_line_runs_standalone_with_a_warning()
    {
        var s = Parse("server.1=127.0.0.1:2888:3888", out var warnings);
        Assert.True(s.IsStandalone);
        Assert.Equal(["zoo.cfg: only one server.N is listed and standaloneEnabled=true, so this node runs standalone"], warnings);
    }

    [Fact]
    public void Own_client_address_from_the_server_line_is_adopted()
    {
        WriteMyId("data", "2");
        var s = Parse("server.1=a:2888:3888;2181\nserver.2=b:2888:3888;127.0.0.1:2182");
        Assert.Equal(2182, s.ClientPort);
        Assert.Equal("127.0.0.1", s.ClientPortAddress);
    }

    [Fact]
    public void Own_client_address_must_agree_with_clientPort()
    {
        WriteMyId("data", "1");
        const string Servers = "server.1=a:2888:3888;3181\nserver.2=b:2888:3888\n";
        Assert.Equal(
            "zoo.cfg: clientPort=5 is not valid: server.1=a:2888:3888:participant;0.0.0.0:3181 gives this server client port 3181; make them agree or drop one",
            Fails("clientPort=5\n" + Servers));
        Assert.Contains("clientPortAddress=127.0.0.1 is not valid", Fails("clientPortAddress=127.0.0.1\n" + Servers));
        Assert.Equal(3181, Parse("clientPort=3181\n" + Servers).ClientPort);
    }

    [Fact]
    public void PeerType_that_disagrees_with_the_server_line_warns()
    {
        WriteMyId("data", "3");
        var s = Parse(ThreeServers.Replace("10.0.0.3:2888:3888", "10.0.0.3:2888:3888:observer", StringComparison.Ordinal) + "peerType=participant", out var warnings);
        Assert.True(s.IsObserver);
        Assert.Equal(["zoo.cfg: peerType=participant disagrees with server.3=10.0.0.3:2888:3888:observer; the server.N line wins"], warnings);
    }

    [Fact]
    public void Overrides_apply_on_top_with_the_same_checks()
    {
        var s = Parse("clientPort=2181\ntickTime=2000");
        var overridden = ZooCfgParser.ApplyOverrides(s, ["clientPort=2182", "dataDir = other"], Dir, out var warnings);

        Assert.Empty(warnings);
        Assert.Equal(2182, overridden.ClientPort);
        Assert.Equal(Path.Combine(Dir, "other"), overridden.DataDir);
        Assert.Equal("2182", overridden.Raw["clientPort"]);
        Assert.Equal("2000", overridden.Raw["tickTime"]);
        Assert.Equal(2181, s.ClientPort);
    }

    [Fact]
    public void Invalid_overrides_fail_naming_the_override()
    {
        var s = Parse("");
        Assert.Equal("override: clientPort=abc is not valid: expected a port from 0 (any free port) to 65535",
            Assert.Throws<ConfigException>(() => ZooCfgParser.ApplyOverrides(s, ["clientPort=abc"], Dir, out _)).Message);
        Assert.Equal("override: 'clientPort' is not valid: expected key=value, e.g. clientPort=2182",
            Assert.Throws<ConfigException>(() => ZooCfgParser.ApplyOverrides(s, ["clientPort"], Dir, out _)).Message);
        Assert.Equal("override: tickTime=0 is not valid: expected a positive integer (milliseconds)",
            Assert.Throws<ConfigException>(() => ZooCfgParser.ApplyOverrides(s, ["tickTime=0"], Dir, out _)).Message);
        // Cross-field rules see the combined settings: the derived minimum (2 x tickTime) now exceeds the maximum.
        Assert.Equal("override: minSessionTimeout=4000 is not valid: it must not exceed maxSessionTimeout=3000",
            Assert.Throws<ConfigException>(() => ZooCfgParser.ApplyOverrides(s, ["maxSessionTimeout=3000"], Dir, out _)).Message);
    }

    [Fact]
    public void Override_warnings_name_the_override()
    {
        ZooCfgParser.ApplyOverrides(Parse(""), ["clientPrt=1"], Dir, out var warnings);
        Assert.Equal(["override: unknown key clientPrt is ignored"], warnings);
    }

    [Fact]
    public void Myid_override_stands_in_for_the_myid_file()
    {
        string path = Path.Combine(Dir, "zoo.cfg");
        File.WriteAllText(path, ThreeServers);

        var s = ZooCfgParser.Load(path, ["myid=3"], out var warnings);

        Assert.Empty(warnings);
        Assert.Equal(3, s.ServerId);
        Assert.Throws<ConfigException>(() => ZooCfgParser.Load(path, out _));
        Assert.Equal("override: myid=x is not valid: expected this server's id, an integer from 1 to 255",
            Assert.Throws<ConfigException>(() => ZooCfgParser.Load(path, ["myid=x"], out _)).Message);
    }

    [Fact]
    public void Myid_in_the_config_file_is_not_a_zookeeper_key()
    {
        Parse("myid=3", out var warnings);
        Assert.Equal(["zoo.cfg: unknown key myid is ignored"], warnings);
    }

    [Fact]
    public void Overrides_replacing_file_values_do_not_warn_but_repeated_overrides_do()
    {
        ZooCfgParser.Parse("clientPort=1", Dir, ["clientPort=2"], out var once);
        Assert.Empty(once);
        ZooCfgParser.Parse("", Dir, ["clientPort=2", "clientPort=3"], out var twice);
        Assert.Equal(["override: clientPort is set more than once; the last value (3) wins"], twice);
    }

    [Fact]
    public void Empty_override_pass_keeps_settings_and_does_not_repeat_warnings()
    {
        var s = Parse("server.1=127.0.0.1:2888:3888", out var warnings);
        Assert.Single(warnings);

        var again = ZooCfgParser.ApplyOverrides(s, [], Dir, out var overrideWarnings);

        Assert.Empty(overrideWarnings);
        Assert.Equal(s.Peers, again.Peers);
        Assert.Equal(s.ClientPort, again.ClientPort);
    }

    [Fact]
    public void Parsed_ensemble_prints_zookeepers_conf()
    {
        WriteMyId("data", "3");
        var s = Parse($"""
            clientPortAddress=0.0.0.0
            server.1=127.0.0.1:22881:23881
            server.2=127.0.0.1:22882:23882:participant;127.0.0.1:22192
            server.3=127.0.0.1:22883:23883:observer;22193
            """);

        string versionDir = Path.Combine(Dir, "data", "version-2");
        Assert.Equal(
            $"clientPort=22193\nsecureClientPort=-1\ndataDir={versionDir}\ndataDirSize=1246\ndataLogDir={versionDir}\ndataLogSize=1246\n" +
            "tickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=3\n" +
            "initLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=23883\nquorumPort=22883\npeerType=1\nmembership: \n" +
            "server.1=127.0.0.1:22881:23881:participant\nserver.2=127.0.0.1:22882:23882:participant;127.0.0.1:22192\n" +
            "server.3=127.0.0.1:22883:23883:observer;0.0.0.0:22193\nversion=0",
            s.ToConfText(1246, 1246));
    }
}

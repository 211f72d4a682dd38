// Tests for reading zoo.cfg into ServerSettings: defaults, every key, syntax, errors, warnings, paths, whitelist.
using Coordinator.Host.Configuration;
using Coordinator.Server.Configuration;

namespace Coordinator.Host.Tests;

/// <summary>Shared by the zoo.cfg test classes: a private directory that is the base for relative paths and holds myid.</summary>
public abstract class ZooCfgTestBase : IDisposable
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("zoocfg-tests-").FullName;

    protected const string ThreeServers =
        "server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2888:3888\n";

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected ServerSettings Parse(string text) => Parse(text, out _);

    protected ServerSettings Parse(string text, out IReadOnlyList<string> warnings) =>
        ZooCfgParser.Parse(text, Dir, out warnings);

    protected string Fails(string text) => Assert.Throws<ConfigException>(() => Parse(text)).Message;

    protected void WriteMyId(string dataDir, string content)
    {
        Directory.CreateDirectory(Path.Combine(Dir, dataDir));
        File.WriteAllText(Path.Combine(Dir, dataDir, "myid"), content);
    }
}

public sealed class ZooCfgParserTests : ZooCfgTestBase
{
    [Fact]
    public void Empty_config_gives_the_documented_defaults()
    {
        var s = Parse("", out var warnings);

        Assert.Empty(warnings);
        Assert.Equal(2000, s.TickTimeMs);
        Assert.Equal(Path.Combine(Dir, "data"), s.DataDir);
        Assert.Equal(s.DataDir, s.DataLogDir);
        Assert.Equal(2181, s.ClientPort);
        Assert.Equal("0.0.0.0", s.ClientPortAddress);
        Assert.Equal(-1, s.ClientPortListenBacklog);
        Assert.Equal(60, s.MaxClientCnxns);
        Assert.Equal(4000, s.MinSessionTimeoutMs);
        Assert.Equal(40000, s.MaxSessionTimeoutMs);
        Assert.Equal(0xfffff, s.JuteMaxBufferBytes);
        Assert.Equal(ServerSettings.DefaultFourLetterWordWhitelist, s.FourLetterWordWhitelist);
        Assert.Equal(1000, s.GlobalOutstandingLimit);
        Assert.Equal(10, s.InitLimit);
        Assert.Equal(5, s.SyncLimit);
        Assert.Equal(0, s.ServerId);
        Assert.Empty(s.Peers);
        Assert.Null(s.SuperDigest);
        Assert.True(s.ExtendedTypesEnabled);
        Assert.Equal(100000, s.SnapCount);
        Assert.True(s.ForceSync);
        Assert.Equal(3, s.AutopurgeSnapRetainCount);
        Assert.Equal(1, s.AutopurgePurgeIntervalHours);
        Assert.Equal(7000, s.MetricsHttpPort);
        Assert.Equal("0.0.0.0", s.MetricsHttpHost);
        Assert.Equal(8080, s.AdminServerPort);
        Assert.Equal("0.0.0.0", s.AdminServerAddress);
        Assert.True(s.AdminEnableServer);
        Assert.True(s.StandaloneEnabled);
        Assert.Empty(s.Raw);
        Assert.True(s.IsStandalone);
    }

    [Fact]
    public void Every_key_sets_its_field()
    {
        const string Digest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";
        WriteMyId("zk/data", "1");
        var s = Parse($"""
            tickTime=100
            dataDir=zk/data
            dataLogDir=/var/zk/log
            clientPort=2182
            clientPortAddress=127.0.0.1
            clientPortListenBacklog=128
            maxClientCnxns=0
            minSessionTimeout=300
            maxSessionTimeout=9000
            jute.maxbuffer=4194304
            4lw.commands.whitelist=ruok,mntr
            globalOutstandingLimit=50
            initLimit=20
            syncLimit=7
            DigestAuthenticationProvider.superDigest={Digest}
            extendedTypesEnabled=false
            snapCount=500
            forceSync=no
            autopurge.snapRetainCount=5
            autopurge.purgeInterval=0
            metricsProvider.httpPort=7001
            metricsProvider.httpHost=127.0.0.2
            admin.serverPort=8081
            admin.serverAddress=localhost
            admin.enableServer=false
            standaloneEnabled=false
            server.1=127.0.0.1:2888:3888
            """, out var warnings);

        Assert.Empty(warnings);
        Assert.Equal(100, s.TickTimeMs);
        Assert.Equal(Path.Combine(Dir, "zk", "data"), s.DataDir);
        Assert.Equal("/var/zk/log", s.DataLogDir);
        Assert.Equal(2182, s.ClientPort);
        Assert.Equal("127.0.0.1", s.ClientPortAddress);
        Assert.Equal(128, s.ClientPortListenBacklog);
        Assert.Equal(0, s.MaxClientCnxns);
        Assert.Equal(300, s.MinSessionTimeoutMs);
        Assert.Equal(9000, s.MaxSessionTimeoutMs);
        Assert.Equal(4194304, s.JuteMaxBufferBytes);
        Assert.Equal(new HashSet<string> { "ruok", "mntr" }, s.FourLetterWordWhitelist);
        Assert.Equal(50, s.GlobalOutstandingLimit);
        Assert.Equal(20, s.InitLimit);
        Assert.Equal(7, s.SyncLimit);
        Assert.Equal(Digest, s.SuperDigest);
        Assert.False(s.ExtendedTypesEnabled);
        Assert.Equal(500, s.SnapCount);
        Assert.False(s.ForceSync);
        Assert.Equal(5, s.AutopurgeSnapRetainCount);
        Assert.Equal(0, s.AutopurgePurgeIntervalHours);
        Assert.Equal(7001, s.MetricsHttpPort);
        Assert.Equal("127.0.0.2", s.MetricsHttpHost);
        Assert.Equal(8081, s.AdminServerPort);
        Assert.Equal("localhost", s.AdminServerAddress);
        Assert.False(s.AdminEnableServer);
        Assert.False(s.StandaloneEnabled);
        Assert.Equal(1, s.ServerId);
        Assert.False(s.IsStandalone);
        Assert.Equal(27, s.Raw.Count);
        Assert.Equal("zk/data", s.Raw["dataDir"]);
    }

    [Fact]
    public void Session_timeouts_follow_tickTime_unless_set()
    {
        Assert.Equal((200, 2000), Timeouts(Parse("tickTime=100")));
        Assert.Equal((150, 2000), Timeouts(Parse("tickTime=100\nminSessionTimeout=150")));
        Assert.Equal((200, 2000), Timeouts(Parse("tickTime=100\nminSessionTimeout=-1\nmaxSessionTimeout=-1")));
        // Order does not matter: the default is derived from the final tickTime.
        Assert.Equal((6000, 60000), Timeouts(Parse("minSessionTimeout=-1\ntickTime=3000")));

        static (int, int) Timeouts(ServerSettings s) => (s.MinSessionTimeoutMs, s.MaxSessionTimeoutMs);
    }

    [Theory]
    [InlineData("jute.maxbuffer=0x100000", 0x100000)]
    [InlineData("jute.maxbuffer=0XFF", 255)]
    [InlineData("jute.maxbuffer=1048575", 0xfffff)]
    [InlineData("zookeeper.jute.maxbuffer=0x10", 16)]
    public void Jute_maxbuffer_accepts_decimal_and_hex(string line, int expected) =>
        Assert.Equal(expected, Parse(line).JuteMaxBufferBytes);

    [Theory]
    [InlineData("tickTime=abc", "zoo.cfg: tickTime=abc is not valid: expected a positive integer (milliseconds)")]
    [InlineData("tickTime=0", "zoo.cfg: tickTime=0 is not valid: expected a positive integer (milliseconds)")]
    [InlineData("tickTime=-5", "zoo.cfg: tickTime=-5 is not valid: expected a positive integer (milliseconds)")]
    [InlineData("clientPort=99999", "zoo.cfg: clientPort=99999 is not valid: expected a port from 0 (any free port) to 65535")]
    [InlineData("clientPort=x", "zoo.cfg: clientPort=x is not valid: expected a port from 0 (any free port) to 65535")]
    [InlineData("admin.serverPort=-2", "zoo.cfg: admin.serverPort=-2 is not valid: expected a port from 0 (any free port) to 65535")]
    [InlineData("metricsProvider.httpPort=65536", "zoo.cfg: metricsProvider.httpPort=65536 is not valid: expected a port from 0 (any free port) to 65535")]
    [InlineData("minSessionTimeout=5000\nmaxSessionTimeout=3000", "zoo.cfg: minSessionTimeout=5000 is not valid: it must not exceed maxSessionTimeout=3000")]
    [InlineData("maxSessionTimeout=1000", "zoo.cfg: minSessionTimeout=4000 is not valid: it must not exceed maxSessionTimeout=1000")]
    [InlineData("minSessionTimeout=-7", "zoo.cfg: minSessionTimeout=-7 is not valid: expected a positive integer (milliseconds), or -1 for 2 x tickTime")]
    [InlineData("maxClientCnxns=-3", "zoo.cfg: maxClientCnxns=-3 is not valid: expected an integer >= 0 (0 = unlimited)")]
    [InlineData("jute.maxbuffer=1m", "zoo.cfg: jute.maxbuffer=1m is not valid: expected a positive integer (bytes), decimal or 0x hex")]
    [InlineData("jute.maxbuffer=0xFFFFFFFF", "zoo.cfg: jute.maxbuffer=0xFFFFFFFF is not valid: expected a positive integer (bytes), decimal or 0x hex")]
    [InlineData("jute.maxbuffer=0", "zoo.cfg: jute.maxbuffer=0 is not valid: expected a positive integer (bytes), decimal or 0x hex")]
    [InlineData("globalOutstandingLimit=0", "zoo.cfg: globalOutstandingLimit=0 is not valid: expected a positive integer (requests)")]
    [InlineData("initLimit=0", "zoo.cfg: initLimit=0 is not valid: expected a positive integer (ticks)")]
    [InlineData("syncLimit=abc", "zoo.cfg: syncLimit=abc is not valid: expected a positive integer (ticks)")]
    [InlineData("forceSync=maybe", "zoo.cfg: forceSync=maybe is not valid: expected true or false (yes or no)")]
    [InlineData("extendedTypesEnabled=1", "zoo.cfg: extendedTypesEnabled=1 is not valid: expected true or false (yes or no)")]
    [InlineData("enforceQuota=sometimes", "zoo.cfg: enforceQuota=sometimes is not valid: expected true or false (yes or no)")]
    [InlineData("clientPortAddress=not a host!", "zoo.cfg: clientPortAddress=not a host! is not valid: expected an IP address or host name")]
    [InlineData("clientPortListenBacklog=0", "zoo.cfg: clientPortListenBacklog=0 is not valid: expected a positive integer, or -1 for the OS default")]
    [InlineData("dataDir=", "zoo.cfg: dataDir= is not valid: expected a directory path")]
    [InlineData("autopurge.purgeInterval=-1", "zoo.cfg: autopurge.purgeInterval=-1 is not valid: expected an integer >= 0 (hours, 0 = off)")]
    [InlineData("snapCount=many", "zoo.cfg: snapCount=many is not valid: expected an integer >= 2 (transactions)")]
    [InlineData("peerType=leader", "zoo.cfg: peerType=leader is not valid: expected participant or observer")]
    [InlineData("DigestAuthenticationProvider.superDigest=nocolon", "zoo.cfg: DigestAuthenticationProvider.superDigest=nocolon is not valid: expected user:<base64 sha1 digest>, e.g. super:D/InIHSb7yEEbrWz8b9l71RjZJU=")]
    [InlineData("dynamicConfigFile=/etc/zk/zoo.cfg.dynamic", "zoo.cfg: dynamicConfigFile=/etc/zk/zoo.cfg.dynamic is not valid: a separate dynamic config file is not supported; list the server.N lines in zoo.cfg itself")]
    [InlineData("group.1=1:2:3", "zoo.cfg: group.1=1:2:3 is not valid: hierarchical quorums (group.N, weight.N) are not supported; every participant has one vote")]
    [InlineData("standaloneEnabled=false", "zoo.cfg: standaloneEnabled=false is not valid without server.N lines: list at least one participant")]
    public void Invalid_values_fail_with_one_line_naming_key_value_and_what_is_allowed(string text, string expected)
    {
        string message = Fails(text);
        Assert.Equal(expected, message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Unknown_key_warns_and_suggests_the_right_spelling()
    {
        var s = Parse("fooBar=1\nClientPort=2999\nadmin.serverport=1", out var warnings);

        Assert.Equal(
            [
                "zoo.cfg: unknown key fooBar is ignored",
                "zoo.cfg: unknown key ClientPort is ignored (did you mean clientPort?)",
                "zoo.cfg: unknown key admin.serverport is ignored (did you mean admin.serverPort?)",
            ],
            warnings);
        Assert.Equal(2181, s.ClientPort);
        Assert.Equal("1", s.Raw["fooBar"]);
    }

    [Theory]
    [InlineData("metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider")]
    [InlineData("metricsProvider.exportJvmInfo=true")]
    [InlineData("admin.idleTimeout=30000")]
    [InlineData("admin.commandURL=/commands")]
    [InlineData("autopurge.someFutureKey=1")]
    [InlineData("preAllocSize=65536")]
    [InlineData("syncEnabled=true")]
    [InlineData("quorumListenOnAllIPs=true")]
    [InlineData("electionAlg=3")]
    [InlineData("reconfigEnabled=false")]
    [InlineData("skipACL=no")]
    [InlineData("sslQuorum=false")]
    [InlineData("serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory")]
    [InlineData("audit.enable=true")]
    [InlineData("zookeeper.request_throttler.shutdownTimeout=10000")]
    [InlineData("secureClientPort=2281")]
    [InlineData("localSessionsEnabled=true")]
    [InlineData("ssl.keyStore.location=/etc/zk/keystore.jks")]
    [InlineData("quorum.auth.enableSasl=false")]
    [InlineData("authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider")]
    [InlineData("connectToLearnerMasterLimit=20")]
    [InlineData("jvm.pause.monitor=true")]
    [InlineData("fsync.warningthresholdms=1000")]
    public void Keys_zookeeper_accepts_that_we_ignore_do_not_warn(string line)
    {
        Parse(line, out var warnings);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("zookeeper.snapCount=777")]
    [InlineData("snapCount=777")]
    public void System_property_spelling_sets_the_same_value(string line) =>
        Assert.Equal(777, Parse(line).SnapCount);

    [Fact]
    public void Zookeeper_prefixed_settings_are_aliases()
    {
        var s = Parse("zookeeper.4lw.commands.whitelist=*\nzookeeper.forceSync=no\nzookeeper.extendedTypesEnabled=false\nzookeeper.admin.enableServer=false\nzookeeper.enforceQuota=false");
        Assert.False(s.EnforceQuota);
        Assert.True(Parse("").EnforceQuota);
        Assert.True(s.IsFourLetterWordAllowed("dump"));
        Assert.False(s.ForceSync);
        Assert.False(s.ExtendedTypesEnabled);
        Assert.False(s.AdminEnableServer);
    }

    [Fact]
    public void Repeated_key_warns_and_the_last_value_wins()
    {
        var s = Parse("clientPort=1\nclientPort=2", out var warnings);
        Assert.Equal(2, s.ClientPort);
        Assert.Equal(["zoo.cfg: clientPort is set more than once; the last value (2) wins"], warnings);
    }

    [Fact]
    public void Values_below_zookeepers_minimums_are_raised_with_a_warning()
    {
        var s = Parse("snapCount=1\nautopurge.snapRetainCount=1", out var warnings);
        Assert.Equal(2, s.SnapCount);
        Assert.Equal(3, s.AutopurgeSnapRetainCount);
        Assert.Equal(
            ["zoo.cfg: snapCount=1 is below the minimum 2; using 2", "zoo.cfg: autopurge.snapRetainCount=1 is below the minimum 3; using 3"],
            warnings);
    }

    [Fact]
    public void Properties_syntax_comments_separators_and_whitespace()
    {
        var s = Parse(
            "# a comment\n" +
            "! also a comment\n" +
            "   tickTime   =   1500   \n" +
            "clientPort:2190\n" +
            "initLimit 12\n" +
            "syncLimit\t:\t6\n" +
            "\n" +
            "maxClientCnxns=9", out var warnings);

        Assert.Empty(warnings);
        Assert.Equal(1500, s.TickTimeMs);
        Assert.Equal(2190, s.ClientPort);
        Assert.Equal(12, s.InitLimit);
        Assert.Equal(6, s.SyncLimit);
        Assert.Equal(9, s.MaxClientCnxns);
    }

    [Fact]
    public void Backslash_continues_a_line_and_drops_the_next_lines_indent()
    {
        var s = Parse("4lw.commands.whitelist=ruok, \\\n      srvr,\\\r\n  mntr\nclientPort=2185");
        Assert.Equal(new HashSet<string> { "ruok", "srvr", "mntr" }, s.FourLetterWordWhitelist);
        Assert.Equal(2185, s.ClientPort);
    }

    [Fact]
    public void Even_backslashes_and_comment_lines_do_not_continue()
    {
        // A comment ending in a backslash does not swallow the next line; "\\\\" is an escaped backslash.
        var s = Parse("# comment \\\nclientPort=2183\nzookeeper.anything=a\\\\\ntickTime=1000");
        Assert.Equal(2183, s.ClientPort);
        Assert.Equal(1000, s.TickTimeMs);
    }

    [Fact]
    public void Escapes_are_decoded()
    {
        var s = Parse("clientPortAddress=127.0.0.\\u0031\nmy\\ key=1\nCRLF=1\r\nsyncLimit=4\r\n", out var warnings);
        Assert.Equal("127.0.0.1", s.ClientPortAddress);
        Assert.Contains("zoo.cfg: unknown key my key is ignored", warnings);
        Assert.Equal(4, s.SyncLimit);
    }

    [Fact]
    public void Malformed_unicode_escape_fails_with_the_line_number()
    {
        Assert.Equal(
            "zoo.cfg: line 2 is not valid: a \\u escape needs four hex digits, e.g. \\u00e9",
            Fails("tickTime=2000\nclientPortAddress=\\u12"));
    }

    [Fact]
    public void Relative_directories_resolve_against_the_base_directory()
    {
        var s = Parse("dataDir=zk\ndataLogDir=./logs/");
        Assert.Equal(Path.Combine(Dir, "zk"), s.DataDir);
        Assert.Equal(Path.Combine(Dir, "logs"), s.DataLogDir);

        string absolute = Path.Combine(Path.GetTempPath(), "elsewhere");
        Assert.Equal(absolute, Parse($"dataDir={absolute}").DataDir);
    }

    [Fact]
    public void Load_resolves_relative_directories_against_the_working_directory_not_the_file()
    {
        string confDir = Directory.CreateDirectory(Path.Combine(Dir, "conf")).FullName;
        string path = Path.Combine(confDir, "zoo.cfg");
        File.WriteAllText(path, "dataDir=rel-data\n");

        var s = ZooCfgParser.Load(path, out _);

        Assert.Equal(Path.GetFullPath("rel-data"), s.DataDir);
    }

    [Fact]
    public void Load_names_the_file_in_messages()
    {
        string path = Path.Combine(Dir, "zoo.cfg");
        File.WriteAllText(path, "tickTime=soon\n");
        Assert.Equal($"{path}: tickTime=soon is not valid: expected a positive integer (milliseconds)",
            Assert.Throws<ConfigException>(() => ZooCfgParser.Load(path, out _)).Message);
    }

    [Fact]
    public void Load_of_a_missing_file_fails()
    {
        string path = Path.Combine(Dir, "nope", "zoo.cfg");
        Assert.Equal($"{path}: the config file does not exist",
            Assert.Throws<ConfigException>(() => ZooCfgParser.Load(path, out _)).Message);
    }

    [Fact]
    public void Whitelist_is_trimmed_case_kept_and_star_allows_all()
    {
        var s = Parse("4lw.commands.whitelist= ruok ,  stat,,MNTR ", out var warnings);
        Assert.Equal(new HashSet<string> { "ruok", "stat", "MNTR" }, s.FourLetterWordWhitelist);
        Assert.Equal(["zoo.cfg: 4lw.commands.whitelist names 'MNTR', which is not a four-letter word this server knows"], warnings);
        Assert.False(s.IsFourLetterWordAllowed("mntr"));

        var all = Parse("4lw.commands.whitelist=srvr, *");
        Assert.Equal(new HashSet<string> { "*" }, all.FourLetterWordWhitelist);
        Assert.True(all.IsFourLetterWordAllowed("wchc"));

        Assert.Empty(Parse("4lw.commands.whitelist=").FourLetterWordWhitelist);
    }
}

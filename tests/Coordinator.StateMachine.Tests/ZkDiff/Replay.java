// Replays ZkDiff's scenarios on an in-process ZooKeeper and reports the first difference from the model in each scenario.
//
// Every scenario gets a fresh server (TTL nodes enabled, a super user for reading the whole tree) and three sessions:
// alice, bob (digest) and an anonymous one. Writes go out as raw requests, so the client library's own checks do not
// hide the server's answer to invalid paths and modes; reads and watches use the normal API and the default watcher.
// After each op every session is flushed (an async exists whose callback runs after all earlier events), then the
// result, the events each session saw, and the whole tree (data, Stat without zxids and times, children, ACL) are
// compared with the model's. Run it through run.sh.
import org.apache.zookeeper.*;
import org.apache.zookeeper.data.*;
import org.apache.zookeeper.proto.*;
import org.apache.zookeeper.server.*;
import org.apache.jute.*;
import org.apache.jute.Record;
import com.fasterxml.jackson.databind.*;
import java.io.*;
import java.lang.reflect.*;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;

public class Replay {
  static ObjectMapper M = new ObjectMapper();
  static ServerCnxnFactory factory; static ZooKeeperServer zks; static int port; static File dataDir;
  static ZooKeeper[] zk = new ZooKeeper[3]; static int[] gen = new int[3];
  static Map<Long, String> owners = new HashMap<>();
  static List<String>[] events = new List[3];
  static ZooKeeper admin;
  static int mismatches = 0, scenarioCount = 0, opCount = 0;

  static void startServer() throws Exception {
    File dir = dataDir = Files.createTempDirectory("zkdiff-server").toFile();
    zks = new ZooKeeperServer(dir, dir, 2000);
    factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 100);
    factory.startup(zks);
    port = factory.getLocalPort();
  }

  static void stopServer() throws Exception {
    if (zks == null) return;
    for (ZooKeeper z : zk) z.close();
    admin.close(); factory.shutdown(); zks.shutdown();
    try (var files = Files.walk(dataDir.toPath())) { files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete); }
    zks = null;
  }

  static ZooKeeper connect(Watcher w, String auth) throws Exception {
    CountDownLatch l = new CountDownLatch(1);
    ZooKeeper z = new ZooKeeper("127.0.0.1:" + port, 30000, e -> { if (e.getState() == Watcher.Event.KeeperState.SyncConnected && e.getType() == Watcher.Event.EventType.None) l.countDown(); if (w != null) w.process(e); });
    l.await(10, TimeUnit.SECONDS);
    if (auth != null) z.addAuthInfo("digest", auth.getBytes(StandardCharsets.UTF_8));
    return z;
  }

  static void open(int slot) throws Exception {
    final int s = slot;
    events[s] = Collections.synchronizedList(new ArrayList<>());
    List<String> mine = events[s];
    zk[s] = connect(e -> { if (e.getType() != Watcher.Event.EventType.None) mine.add(e.getType() + " " + e.getPath()); }, s == 0 ? "alice:secret" : s == 1 ? "bob:secret" : null);
    owners.put(zk[s].getSessionId(), "s" + s + "g" + gen[s]);
  }

  static void flush() throws Exception {
    for (ZooKeeper z : zk) {
      CountDownLatch l = new CountDownLatch(1);
      z.exists("/", false, (rc, path, ctx, stat) -> l.countDown(), null);
      l.await(10, TimeUnit.SECONDS);
    }
  }

  static ClientCnxn cnxn(ZooKeeper z) throws Exception {
    Field f = ZooKeeper.class.getDeclaredField("cnxn"); f.setAccessible(true); return (ClientCnxn) f.get(z);
  }

  static byte[] bytes(JsonNode n) { return n == null || n.isNull() ? null : n.asText().getBytes(StandardCharsets.UTF_8); }
  static List<ACL> acl(JsonNode n) { List<ACL> l = new ArrayList<>(); for (JsonNode a : n) l.add(new ACL(a.get("perms").asInt(), new Id(a.get("scheme").asText(), a.get("ident").asText()))); return l; }

  static int type(JsonNode op) {
    switch (op.get("kind").asText()) {
      case "create": return op.get("code").asInt();
      case "delete": return 2; case "setData": return 5; case "setAcl": return 7; case "check": return 13; case "multi": return 14;
    }
    throw new RuntimeException("type");
  }

  static Record request(JsonNode op) {
    String path = op.has("path") ? op.get("path").asText() : null;
    switch (op.get("kind").asText()) {
      case "create":
        if (op.get("code").asInt() == 21) return new CreateTTLRequest(path, bytes(op.get("data")), acl(op.get("acl")), op.get("flags").asInt(), op.get("ttl").asLong());
        return new CreateRequest(path, bytes(op.get("data")), acl(op.get("acl")), op.get("flags").asInt());
      case "delete": return new DeleteRequest(path, op.get("version").asInt());
      case "setData": return new SetDataRequest(path, bytes(op.get("data")), op.get("version").asInt());
      case "setAcl": return new SetACLRequest(path, acl(op.get("acl")), op.get("version").asInt());
      case "check": return new CheckVersionRequest(path, op.get("version").asInt());
      case "multi": return new RawMulti(op.get("ops"));
    }
    throw new RuntimeException("request");
  }

  static class RawMulti implements Record {
    JsonNode ops; RawMulti(JsonNode ops) { this.ops = ops; }
    public void serialize(OutputArchive a, String tag) throws IOException {
      a.startRecord(this, tag);
      for (JsonNode o : ops) { new MultiHeader(type(o), false, -1).serialize(a, "header"); request(o).serialize(a, "op"); }
      new MultiHeader(-1, true, -1).serialize(a, "header");
      a.endRecord(this, tag);
    }
    public void deserialize(InputArchive a, String tag) { throw new UnsupportedOperationException(); }
  }

  static Record response(JsonNode op) {
    switch (op.get("kind").asText()) {
      case "create": return op.get("code").asInt() == 1 ? new CreateResponse() : new Create2Response();
      case "setData": return new SetDataResponse();
      case "setAcl": return new SetACLResponse();
      case "multi": return new MultiResponse();
    }
    return null;
  }

  static Map<String, Object> stat(Stat s) {
    if (s == null) return null;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", s.getVersion()); m.put("cversion", s.getCversion()); m.put("aversion", s.getAversion());
    m.put("dataLength", s.getDataLength()); m.put("numChildren", s.getNumChildren());
    m.put("owner", s.getEphemeralOwner() == 0 ? "0" : owners.getOrDefault(s.getEphemeralOwner(), String.format("?%x", s.getEphemeralOwner())));
    return m;
  }

  static Map<String, Object> outcome(int err) { Map<String, Object> m = new LinkedHashMap<>(); m.put("err", err); return m; }

  static Map<String, Object> write(int slot, JsonNode op) throws Exception {
    RequestHeader h = new RequestHeader(0, type(op));
    Record resp = response(op);
    ReplyHeader r = cnxn(zk[slot]).submitRequest(h, request(op), resp, null);
    Map<String, Object> o = outcome(r.getErr());
    if (r.getErr() != 0) return o;
    if (resp instanceof CreateResponse) o.put("path", ((CreateResponse) resp).getPath());
    if (resp instanceof Create2Response) { o.put("path", ((Create2Response) resp).getPath()); o.put("stat", stat(((Create2Response) resp).getStat())); }
    if (resp instanceof SetDataResponse) o.put("stat", stat(((SetDataResponse) resp).getStat()));
    if (resp instanceof SetACLResponse) o.put("stat", stat(((SetACLResponse) resp).getStat()));
    if (resp instanceof MultiResponse) {
      List<Object> subs = new ArrayList<>();
      for (OpResult res : ((MultiResponse) resp).getResultList()) {
        Map<String, Object> s = outcome(0);
        if (res instanceof OpResult.ErrorResult) s.put("err", ((OpResult.ErrorResult) res).getErr());
        if (res instanceof OpResult.CreateResult) { s.put("path", ((OpResult.CreateResult) res).getPath()); if (((OpResult.CreateResult) res).getStat() != null) s.put("stat", stat(((OpResult.CreateResult) res).getStat())); }
        if (res instanceof OpResult.SetDataResult) s.put("stat", stat(((OpResult.SetDataResult) res).getStat()));
        subs.add(s);
      }
      o.put("multi", subs);
    }
    return o;
  }

  static String show(byte[] d) { return d == null ? "null" : "'" + new String(d, StandardCharsets.UTF_8) + "'"; }

  static Map<String, Object> read(int slot, JsonNode op) throws Exception {
    String path = op.get("path").asText(); boolean watch = op.get("watch").asBoolean();
    try {
      Stat st = new Stat();
      Map<String, Object> o = outcome(0);
      switch (op.get("kind").asText()) {
        case "Exists": st = zk[slot].exists(path, watch); if (st == null) return outcome(-101); break;
        case "GetData": o.put("data", show(zk[slot].getData(path, watch, st))); break;
        case "GetChildren": List<String> c = new ArrayList<>(zk[slot].getChildren(path, watch, st)); Collections.sort(c); o.put("children", c); break;
      }
      o.put("stat", stat(st));
      return o;
    } catch (KeeperException e) { return outcome(e.code().intValue()); }
  }

  static List<Map<String, Object>> tree() throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    Deque<String> todo = new ArrayDeque<>(); todo.add("/");
    TreeMap<String, Map<String, Object>> sorted = new TreeMap<>();
    while (!todo.isEmpty()) {
      String p = todo.pop();
      Stat st = new Stat();
      byte[] data = admin.getData(p, false, st);
      List<String> kids = new ArrayList<>(admin.getChildren(p, false)); Collections.sort(kids);
      List<String> acls = new ArrayList<>(); for (ACL a : admin.getACL(p, new Stat())) acls.add(a.getPerms() + ":" + a.getId().getScheme() + ":" + a.getId().getId());
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", p); m.put("data", show(data)); m.put("stat", stat(st)); m.put("children", kids); m.put("acl", acls);
      sorted.put(p, m);
      for (String k : kids) todo.add(p.equals("/") ? "/" + k : p + "/" + k);
    }
    out.addAll(sorted.values());
    return out;
  }

  /** Compares what the model expected with what ZooKeeper did; fields the model left null are ignored, as are stats ZooKeeper did not send. */
  static String diff(JsonNode want, JsonNode got, String where) {
    if (want == null || want.isNull()) return null;
    if (got == null || got.isNull()) return where + ": model " + want + " zk <none>";
    if (want.isObject()) {
      for (Iterator<String> it = want.fieldNames(); it.hasNext();) {
        String f = it.next();
        if (want.get(f).isNull()) continue;
        if (f.equals("stat") && (got.get(f) == null || got.get(f).isNull())) continue;
        String d = diff(want.get(f), got.get(f), where + "." + f);
        if (d != null) return d;
      }
      return null;
    }
    if (want.isArray()) {
      if (want.size() != got.size()) return where + ": model " + want + " zk " + got;
      for (int i = 0; i < want.size(); i++) { String d = diff(want.get(i), got.get(i), where + "[" + i + "]"); if (d != null) return d; }
      return null;
    }
    return want.equals(got) ? null : where + ": model " + want + " zk " + got;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("zookeeper.extendedTypesEnabled", "true");
    System.setProperty("zookeeper.admin.enableServer", "false");
    // Computed by hand: loading DigestAuthenticationProvider first would read the property before it is set.
    System.setProperty("zookeeper.DigestAuthenticationProvider.superDigest", "super:" + Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA1").digest("super:pw".getBytes(StandardCharsets.UTF_8))));
    BufferedReader in = new BufferedReader(new FileReader(args[0]));
    String line; int op = 0; boolean skip = false; int scenario = -1;
    while ((line = in.readLine()) != null) {
      JsonNode j = M.readTree(line);
      if (j.has("begin")) {
        stopServer();
        owners.clear(); Arrays.fill(gen, 0);
        startServer();
        for (int s = 0; s < 3; s++) open(s);
        admin = connect(null, "super:pw");
        scenario = j.get("begin").asInt(); op = 0; skip = false; scenarioCount++;
        continue;
      }
      if (skip) continue;
      int slot = j.get("session").asInt();
      JsonNode o = j.get("op");
      for (List<String> e : events) e.clear();
      Map<String, Object> got;
      String kind = o.get("kind").asText();
      if (kind.equals("close")) { zk[slot].close(); gen[slot]++; open(slot); got = outcome(0); }
      else if (kind.equals("addWatch")) { zk[slot].addWatch(o.get("path").asText(), o.get("recursive").asBoolean() ? AddWatchMode.PERSISTENT_RECURSIVE : AddWatchMode.PERSISTENT); got = outcome(0); }
      else if (kind.equals("Exists") || kind.equals("GetData") || kind.equals("GetChildren")) got = read(slot, o);
      else got = write(slot, o);
      flush();
      opCount++;
      String d = diff(j.get("outcome"), M.valueToTree(got), "result");
      if (d == null && j.get("eventsComparable").asBoolean()) {
        Map<String, List<String>> ev = new TreeMap<>();
        for (int s = 0; s < 3; s++) if (!(kind.equals("close") && s == slot) && !events[s].isEmpty()) { List<String> l = new ArrayList<>(events[s]); if (kind.equals("close")) Collections.sort(l); ev.put(String.valueOf(s), l); }
        JsonNode want = j.get("events"), gotEv = M.valueToTree(ev);
        if (!want.equals(gotEv)) d = "events: model " + want + " zk " + gotEv;
      }
      if (d == null) d = diff(j.get("tree"), M.valueToTree(tree()), "tree");
      if (d != null) {
        mismatches++;
        System.out.println("scenario " + scenario + " op #" + op + " [" + j.get("show").asText() + "]: " + d);
        skip = true;
      }
      op++;
    }
    stopServer();
    System.out.println("scenarios=" + scenarioCount + " ops=" + opCount + " mismatching scenarios=" + mismatches);
    System.exit(mismatches == 0 ? 0 : 1);
  }
}

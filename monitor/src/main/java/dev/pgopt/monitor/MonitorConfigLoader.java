package dev.pgopt.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pgopt.analyze.health.Units;
import dev.pgopt.connect.Environment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code pgopt.yml}. Unknown keys are errors (a misspelt {@code critcal} must not silently keep a default), and
 * every error names the key's path. Secrets are written {@code ${env:NAME}} or {@code ${file:/path}} and resolved
 * here, so the file itself can be committed.
 */
public final class MonitorConfigLoader {
  private static final Pattern SECRET = Pattern.compile("\\$\\{(env|file):([^}]+)}");
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
  private static final Set<String> RULES = Set.of("target_down", "avg_query_time", "connection_usage", "error_rate",
      "cache_hit_ratio", "slow_queries", "database_size", "replication_lag", "xid_age", "vector_search_time");
  private static final Set<String> CHANNEL_KINDS = Set.of("webhook", "slack", "email", "log");

  private final Environment env;
  private final String source;

  private MonitorConfigLoader(Environment env, String source) {
    this.env = env;
    this.source = source;
  }

  /** Loads {@code file}; {@code defaultStoreUrl} is used when the file names no store (the demo cluster). */
  public static MonitorConfig load(Path file, Environment env, Optional<String> defaultStoreUrl) throws ConfigException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(file + ": no such file; write one from docs/monitor.md or pass --config");
    }
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
    }
    return parse(text, file.toString(), env, defaultStoreUrl);
  }

  public static MonitorConfig parse(String yaml, String source, Environment env, Optional<String> defaultStoreUrl)
      throws ConfigException {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      String msg = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
      throw new ConfigException(source + ": not valid YAML (" + msg + ")");
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException(source + ": expected a mapping with at least a 'targets' list");
    }
    MonitorConfigLoader loader = new MonitorConfigLoader(env, source);
    try {
      return loader.read(loader.new Section("", root), defaultStoreUrl);
    } catch (Unchecked e) {
      throw (ConfigException) e.getCause();
    }
  }

  private MonitorConfig read(Section root, Optional<String> defaultStoreUrl) throws ConfigException {
    root.allow("server", "store", "targets", "collect", "alerts", "incidents", "maintenance", "metrics");
    MonitorConfig.Server server = server(root.section("server"));
    MonitorConfig.Store store = store(root.section("store"), defaultStoreUrl);
    List<MonitorConfig.Target> targets = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<Section> items = root.list("targets");
    if (items.isEmpty()) {
      throw fail(root.path("targets"), "at least one target is needed: - name: app\\n    url: postgresql://monitor@host/db");
    }
    for (Section t : items) {
      t.allow("name", "url", "password", "size_budget", "expected_replicas", "allow_user_functions");
      String name = t.require("name");
      if (!NAME.matcher(name).matches()) {
        throw fail(t.path("name"), "'" + name + "' is not a target name: use lower case letters, digits, _ and -");
      }
      if (!names.add(name)) {
        throw fail(t.path("name"), "target '" + name + "' is named twice");
      }
      Optional<Long> budget = t.optional("size_budget").map(v -> bytes(t, "size_budget", v));
      targets.add(new MonitorConfig.Target(name, t.require("url"), t.optional("password"), budget,
          t.integer("expected_replicas", 0, 0, 64), t.bool("allow_user_functions", false)));
    }
    return new MonitorConfig(server, store, List.copyOf(targets), collect(root.section("collect")),
        alerts(root.section("alerts")), incidents(root.section("incidents")), maintenance(root.section("maintenance")),
        new MonitorConfig.Metrics(metrics(root.section("metrics"))));
  }

  private MonitorConfig.Server server(Section s) throws ConfigException {
    s.allow("host", "port", "read_token", "admin_token", "tls_certificate", "tls_private_key", "mutations_per_minute",
        "max_request_bytes");
    String host = s.string("host", "127.0.0.1");
    Optional<String> read = s.optional("read_token");
    Optional<String> admin = s.optional("admin_token");
    for (String key : List.of("read_token", "admin_token")) {
      Optional<String> token = key.equals("read_token") ? read : admin;
      if (token.isPresent() && token.get().length() < 16) {
        throw fail(s.path(key), "a token needs at least 16 characters; generate one with: openssl rand -hex 24");
      }
    }
    Optional<Path> cert = s.optional("tls_certificate").map(Path::of);
    Optional<Path> key = s.optional("tls_private_key").map(Path::of);
    if (cert.isPresent() != key.isPresent()) {
      throw fail(s.path(cert.isPresent() ? "tls_private_key" : "tls_certificate"),
          "TLS needs both tls_certificate and tls_private_key (PEM files)");
    }
    MonitorConfig.Server server = new MonitorConfig.Server(host, s.integer("port", 8432, 0, 65535), read, admin, cert, key,
        s.integer("mutations_per_minute", 10, 1, 10_000), s.integer("max_request_bytes", 65_536, 1024, 10_485_760));
    if (!server.loopbackOnly() && read.isEmpty() && admin.isEmpty()) {
      throw fail(s.path("host"), "listening on " + host + " beyond loopback needs read_token or admin_token");
    }
    return server;
  }

  private MonitorConfig.Store store(Section s, Optional<String> defaultStoreUrl) throws ConfigException {
    s.allow("url", "password", "raw_retention", "hourly_retention", "buffered_rows");
    Optional<String> url = s.optional("url").or(() -> defaultStoreUrl);
    if (url.isEmpty()) {
      throw fail(s.path("url"), "no history store: set store.url to a PostgreSQL database, or run `pgopt demo` to use its cluster");
    }
    Duration raw = s.duration("raw_retention", Duration.ofDays(8));
    Duration hourly = s.duration("hourly_retention", Duration.ofDays(400));
    if (raw.compareTo(Duration.ofDays(1)) < 0 || hourly.compareTo(raw) < 0) {
      throw fail(s.path("raw_retention"), "raw_retention must be at least 1d and hourly_retention at least raw_retention");
    }
    return new MonitorConfig.Store(url.get(), s.optional("password"), raw, hourly, s.integer("buffered_rows", 100_000, 1000, 10_000_000));
  }

  private MonitorConfig.Collect collect(Section s) throws ConfigException {
    s.allow("activity_interval", "statements_interval", "findings_interval", "statement_timeout", "statements_kept",
        "tables_kept", "slow_query");
    Duration activity = s.duration("activity_interval", Duration.ofSeconds(15));
    if (activity.compareTo(Duration.ofSeconds(1)) < 0) {
      throw fail(s.path("activity_interval"), "must be at least 1s");
    }
    Duration statements = s.duration("statements_interval", Duration.ofMinutes(5));
    if (statements.compareTo(Duration.ofSeconds(5)) < 0) {
      throw fail(s.path("statements_interval"), "must be at least 5s");
    }
    return new MonitorConfig.Collect(activity, statements, s.duration("findings_interval", Duration.ofHours(1)),
        s.duration("statement_timeout", Duration.ofSeconds(5)), s.integer("statements_kept", 200, 1, 5000),
        s.integer("tables_kept", 50, 0, 5000), s.duration("slow_query", Duration.ofSeconds(1)));
  }

  private MonitorConfig.Alerts alerts(Section s) throws ConfigException {
    s.allow("rules", "channels", "repeat_interval");
    Map<String, MonitorConfig.RuleSettings> rules = new LinkedHashMap<>();
    Section r = s.section("rules");
    for (String name : r.keys()) {
      if (!RULES.contains(name)) {
        throw fail(r.path(name), "unknown alert rule; the rules are " + String.join(", ", RULES.stream().sorted().toList()));
      }
      Section rule = r.section(name);
      rule.allow("enabled", "warning", "critical", "for");
      rules.put(name, new MonitorConfig.RuleSettings(rule.bool("enabled", null), rule.number("warning"),
          rule.number("critical"), rule.duration("for", null)));
    }
    List<MonitorConfig.Channel> channels = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Section c : s.list("channels")) {
      c.allow("name", "kind", "url", "smtp_host", "smtp_port", "starttls", "username", "password", "from", "to");
      String kind = c.require("kind");
      if (!CHANNEL_KINDS.contains(kind)) {
        throw fail(c.path("kind"), "'" + kind + "' is not a channel kind: webhook, slack, email or log");
      }
      String name = c.string("name", kind);
      if (!names.add(name)) {
        throw fail(c.path("name"), "channel '" + name + "' is named twice: give each a name");
      }
      Optional<String> url = c.optional("url");
      if ((kind.equals("webhook") || kind.equals("slack"))) {
        String u = url.orElseThrow(() -> fail(c.path("url"), "a " + kind + " channel needs url"));
        if (!u.startsWith("http://") && !u.startsWith("https://")) {
          throw fail(c.path("url"), "must be an http:// or https:// URL");
        }
      }
      Optional<MonitorConfig.Email> email = Optional.empty();
      if (kind.equals("email")) {
        List<String> to = c.strings("to");
        if (to.isEmpty()) {
          throw fail(c.path("to"), "an email channel needs at least one recipient");
        }
        email = Optional.of(new MonitorConfig.Email(c.require("smtp_host"), c.integer("smtp_port", 587, 1, 65535),
            c.bool("starttls", true), c.optional("username"), c.optional("password"), c.require("from"), to));
      }
      channels.add(new MonitorConfig.Channel(name, kind, url, email));
    }
    return new MonitorConfig.Alerts(rules, List.copyOf(channels), s.duration("repeat_interval", Duration.ofHours(4)));
  }

  private MonitorConfig.Incidents incidents(Section s) throws ConfigException {
    s.allow("runaway_query", "lock_wait", "saturation_percent", "dry_run", "cancel_runaway", "terminate_runaway",
        "terminate_after", "cancel_lock_blocker", "terminate_idle_in_transaction", "idle_in_transaction",
        "exclude_applications", "exclude_roles", "max_actions", "action_window");
    return new MonitorConfig.Incidents(s.duration("runaway_query", Duration.ofMinutes(5)),
        s.duration("lock_wait", Duration.ofSeconds(30)), s.number("saturation_percent", 95),
        s.bool("dry_run", false), s.bool("cancel_runaway", false), s.bool("terminate_runaway", false),
        s.duration("terminate_after", Duration.ofMinutes(1)), s.bool("cancel_lock_blocker", false),
        s.bool("terminate_idle_in_transaction", false), s.duration("idle_in_transaction", Duration.ofMinutes(10)),
        s.strings("exclude_applications"), s.strings("exclude_roles"), s.integer("max_actions", 5, 0, 1000),
        s.duration("action_window", Duration.ofMinutes(10)));
  }

  private MonitorConfig.Maintenance maintenance(Section s) throws ConfigException {
    s.allow("daily_health_check", "weekly_optimization", "refresh_views", "views", "analyze_stale", "stale_fraction");
    MonitorConfig.Maintenance m = new MonitorConfig.Maintenance(s.optional("daily_health_check"),
        s.optional("weekly_optimization"), s.optional("refresh_views"), s.strings("views"), s.optional("analyze_stale"),
        s.number("stale_fraction", 0.1));
    dev.pgopt.monitor.internal.maintenance.MaintenanceScheduler.schedules(m, source);
    return m;
  }

  private int metrics(Section s) throws ConfigException {
    s.allow("per_statement_series");
    return s.integer("per_statement_series", 0, 0, 100);
  }

  private long bytes(Section s, String key, String value) {
    try {
      return (long) Units.parseBytes(value);
    } catch (IllegalArgumentException e) {
      throw new Unchecked(fail(s.path(key), "'" + value + "' is not a size; write e.g. 10GB or 512MB"));
    }
  }

  private Duration duration(Section s, String key, String value) {
    try {
      return Units.parseDuration(value);
    } catch (IllegalArgumentException e) {
      throw new Unchecked(fail(s.path(key), "'" + value + "' is not a duration; write e.g. 15s, 5min, 2h or 7d"));
    }
  }

  private String resolveSecrets(Section s, String key, String value) {
    Matcher m = SECRET.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(2).trim();
      String resolved;
      if (m.group(1).equals("env")) {
        resolved = env.get(name).orElseThrow(() ->
            new Unchecked(fail(s.path(key), "environment variable " + name + " is not set; export it or use ${file:...}")));
      } else {
        try {
          resolved = Files.readString(Path.of(name)).strip();
        } catch (IOException e) {
          throw new Unchecked(fail(s.path(key), "cannot read secret file " + name + " (" + e.getClass().getSimpleName() + ")"));
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(resolved));
    }
    m.appendTail(out);
    return out.toString();
  }

  private ConfigException fail(String path, String message) {
    return new ConfigException(source + ": " + path + ": " + message);
  }

  /** Carries a ConfigException through lambdas. */
  private static final class Unchecked extends RuntimeException {
    Unchecked(ConfigException cause) {
      super(cause);
    }
  }

  private final class Section {
    private final String path;
    private final JsonNode node;

    Section(String path, JsonNode node) {
      this.path = path;
      this.node = node;
    }

    String path(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    void allow(String... keys) throws ConfigException {
      if (node.isMissingNode() || node.isNull()) {
        return;
      }
      if (!node.isObject()) {
        throw fail(path, "expected a mapping");
      }
      Set<String> allowed = Set.of(keys);
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!allowed.contains(k)) {
          throw fail(path(k), "unknown key; expected one of " + String.join(", ", keys));
        }
      }
    }

    List<String> keys() {
      List<String> out = new ArrayList<>();
      node.fieldNames().forEachRemaining(out::add);
      return out;
    }

    Section section(String key) {
      return new Section(path(key), node.path(key));
    }

    List<Section> list(String key) throws ConfigException {
      JsonNode n = node.path(key);
      if (n.isMissingNode() || n.isNull()) {
        return List.of();
      }
      if (!n.isArray()) {
        throw fail(path(key), "expected a list");
      }
      List<Section> out = new ArrayList<>();
      for (int i = 0; i < n.size(); i++) {
        out.add(new Section(path(key) + "[" + i + "]", n.get(i)));
      }
      return out;
    }

    Optional<String> optional(String key) throws ConfigException {
      JsonNode n = node.path(key);
      if (n.isMissingNode() || n.isNull()) {
        return Optional.empty();
      }
      if (!n.isValueNode()) {
        throw fail(path(key), "expected a single value");
      }
      try {
        String v = resolveSecrets(this, key, n.asText()).strip();
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
      } catch (Unchecked e) {
        throw (ConfigException) e.getCause();
      }
    }

    String require(String key) throws ConfigException {
      return optional(key).orElseThrow(() -> fail(path(key), "is required"));
    }

    String string(String key, String dflt) throws ConfigException {
      return optional(key).orElse(dflt);
    }

    List<String> strings(String key) throws ConfigException {
      JsonNode n = node.path(key);
      if (n.isMissingNode() || n.isNull()) {
        return List.of();
      }
      if (n.isValueNode()) {
        return List.of(n.asText());
      }
      List<String> out = new ArrayList<>();
      for (JsonNode v : n) {
        if (!v.isValueNode()) {
          throw fail(path(key), "expected a list of values");
        }
        out.add(v.asText());
      }
      return List.copyOf(out);
    }

    Duration duration(String key, Duration dflt) throws ConfigException {
      Optional<String> v = optional(key);
      try {
        return v.map(t -> MonitorConfigLoader.this.duration(this, key, t)).orElse(dflt);
      } catch (Unchecked e) {
        throw (ConfigException) e.getCause();
      }
    }

    int integer(String key, int dflt, int min, int max) throws ConfigException {
      Optional<String> v = optional(key);
      if (v.isEmpty()) {
        return dflt;
      }
      try {
        int i = Integer.parseInt(v.get());
        if (i < min || i > max) {
          throw fail(path(key), i + " is out of range " + min + ".." + max);
        }
        return i;
      } catch (NumberFormatException e) {
        throw fail(path(key), "'" + v.get() + "' is not a whole number");
      }
    }

    Double number(String key) throws ConfigException {
      Optional<String> v = optional(key);
      if (v.isEmpty()) {
        return null;
      }
      try {
        return Double.parseDouble(v.get());
      } catch (NumberFormatException e) {
        throw fail(path(key), "'" + v.get() + "' is not a number");
      }
    }

    double number(String key, double dflt) throws ConfigException {
      Double d = number(key);
      return d == null ? dflt : d;
    }

    Boolean bool(String key, Boolean dflt) throws ConfigException {
      Optional<String> v = optional(key);
      if (v.isEmpty()) {
        return dflt;
      }
      return switch (v.get()) {
        case "true", "yes", "on" -> true;
        case "false", "no", "off" -> false;
        default -> throw fail(path(key), "'" + v.get() + "' is not true or false");
      };
    }
  }
}

package dev.pgopt.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pgopt.connect.Environment;
import dev.pgopt.monitor.internal.alert.AlertRule;
import dev.pgopt.monitor.internal.config.YamlSection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads {@code pgopt.yml}. Unknown keys are errors (a misspelt {@code critcal} must not silently keep a default), and
 * every error names the key's path. Secrets are written {@code ${env:NAME}} or {@code ${file:/path}} and resolved
 * here, so the file itself can be committed.
 */
public final class MonitorConfigLoader {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
  private static final Pattern GLOB = Pattern.compile("[A-Za-z0-9_.*?-]{1,63}");
  /** A targets file larger than this is not a list of targets. */
  private static final long MAX_TARGETS_FILE = 1 << 20;
  private static final Pattern METRIC = Pattern.compile("[a-z][a-z0-9_]{0,62}");
  private static final Set<String> CHANNEL_KINDS = Set.of("webhook", "slack", "email", "log");

  private static final Set<String> RULES = AlertRule.defaults().stream().map(AlertRule::name)
      .collect(Collectors.toCollection(TreeSet::new));
  private final String source;

  private MonitorConfigLoader(String source) {
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
    return new MonitorConfigLoader(source).read(YamlSection.root(root, source, env), defaultStoreUrl);
  }

  private MonitorConfig read(YamlSection root, Optional<String> defaultStoreUrl) throws ConfigException {
    root.allow("server", "store", "targets", "targets_file", "collect", "alerts", "incidents", "maintenance", "metrics");
    MonitorConfig.Server server = server(root.section("server"));
    MonitorConfig.Store store = store(root.section("store"), defaultStoreUrl);
    List<MonitorConfig.Target> targets = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<YamlSection> items = root.list("targets");
    Optional<String> file = root.optional("targets_file");
    if (items.isEmpty() && file.isEmpty()) {
      throw fail(root.path("targets"), "at least one target is needed: - name: app\\n    url: postgresql://monitor@host/db");
    }
    for (YamlSection t : items) {
      t.allow("name", "url", "password", "size_budget", "expected_replicas", "allow_user_functions", "backup", "pgbouncer",
          "cost", "databases");
      String name = t.require("name");
      if (!NAME.matcher(name).matches()) {
        throw fail(t.path("name"), "'" + name + "' is not a target name: use lower case letters, digits, _ and -");
      }
      if (!names.add(name)) {
        throw fail(t.path("name"), "target '" + name + "' is named twice");
      }
      Optional<Long> budget = t.bytes("size_budget");
      Optional<String> databases = t.optional("databases");
      if (databases.isPresent()) {
        if (!GLOB.matcher(databases.get()).matches()) {
          throw fail(t.path("databases"), "'" + databases.get() + "' is not a database name pattern: letters, digits, _, -,"
              + " . and the wildcards * and ?");
        }
        for (String single : List.of("backup", "pgbouncer")) {
          if (t.keys().contains(single)) {
            throw fail(t.path(single), "a target with databases: (one per database of the server) cannot have a " + single
                + " section: it belongs to one database; name that database as a target of its own");
          }
        }
      }
      targets.add(new MonitorConfig.Target(name, t.require("url"), t.optional("password"), budget,
          t.integer("expected_replicas", 0, 0, 64), t.bool("allow_user_functions", false),
          t.keys().contains("backup") ? Optional.of(backup(t.section("backup"))) : Optional.empty(),
          t.keys().contains("pgbouncer") ? Optional.of(pooler(t.section("pgbouncer"))) : Optional.empty(),
          t.keys().contains("cost") ? Optional.of(cost(t.section("cost"))) : Optional.empty(), databases));
    }
    if (file.isPresent()) {
      targetsFile(root.path("targets_file"), file.get(), names, targets);
    }
    MonitorConfig.Maintenance maintenance = maintenance(root.section("maintenance"));
    if ((maintenance.backup().isPresent() || maintenance.restoreDrill().isPresent())
        && targets.stream().noneMatch(t -> t.backup().isPresent())) {
      throw fail(root.section("maintenance").path(maintenance.backup().isPresent() ? "backup" : "restore_drill"),
          "no target has a backup section to run it on: add backup: {repo: DIR} to a target");
    }
    return new MonitorConfig(server, store, List.copyOf(targets), collect(root.section("collect")),
        alerts(root.section("alerts")), incidents(root.section("incidents")), maintenance,
        metrics(root.section("metrics"), names));
  }

  /**
   * A file of targets, one per line: {@code NAME URL}; blank lines and lines starting with # are skipped. Passwords
   * come from ~/.pgpass or PGPASSFILE as for any target, never from the file.
   */
  private void targetsFile(String where, String file, Set<String> names, List<MonitorConfig.Target> targets)
      throws ConfigException {
    java.nio.file.Path path = java.nio.file.Path.of(file);
    List<String> lines;
    try {
      if (java.nio.file.Files.size(path) > MAX_TARGETS_FILE) {
        throw fail(where, file + " is larger than 1 MB: not a targets file");
      }
      lines = java.nio.file.Files.readAllLines(path);
    } catch (java.nio.charset.MalformedInputException e) {
      throw fail(where, file + " is not UTF-8 text");
    } catch (IOException e) {
      throw fail(where, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String at = file + ":" + (i + 1) + ": ";
      String[] parts = line.split("\\s+");
      if (parts.length != 2) {
        throw fail(where, at + "expected NAME URL, e.g. app postgresql://monitor@db1/app");
      }
      if (!NAME.matcher(parts[0]).matches()) {
        throw fail(where, at + "'" + parts[0]
            + "' is not a target name: use lower case letters, digits, _ and -");
      }
      if (!names.add(parts[0])) {
        throw fail(where, at + "target '" + parts[0] + "' is named twice");
      }
      if (targets.size() >= MonitorConfig.MAX_TARGETS) {
        throw fail(where, at + "more than " + MonitorConfig.MAX_TARGETS + " targets: split the fleet over monitors");
      }
      targets.add(new MonitorConfig.Target(parts[0], parts[1], Optional.empty(), Optional.empty(), 0, false, Optional.empty(),
          Optional.empty(), Optional.empty(), Optional.empty()));
    }
  }

  private MonitorConfig.Cost cost(YamlSection s) throws ConfigException {
    s.allow("price_table", "price_file", "instance", "instance_hour", "budget_monthly");
    dev.pgopt.cloud.price.PriceTable prices;
    try {
      Optional<String> file = s.optional("price_file");
      dev.pgopt.cloud.price.PriceTables tables = file.isPresent()
          ? dev.pgopt.cloud.price.PriceTables.withOverrides(java.nio.file.Path.of(file.get()))
          : dev.pgopt.cloud.price.PriceTables.shipped();
      prices = tables.require(s.string("price_table", "self-managed"));
    } catch (dev.pgopt.cloud.price.PriceTableException e) {
      throw fail(s.path("price_table"), e.getMessage());
    }
    Double hourly = s.number("instance_hour");
    Optional<String> instance = s.optional("instance");
    if (hourly == null && instance.isPresent()) {
      hourly = prices.instanceHour().get(instance.get());
      if (hourly == null) {
        throw fail(s.path("instance"), "no price for '" + instance.get() + "' in " + prices.id() + " (known: "
            + String.join(", ", prices.instanceHour().keySet()) + "): give instance_hour");
      }
    }
    if (hourly != null && (hourly < 0 || !Double.isFinite(hourly))) {
      throw fail(s.path("instance_hour"), "must be a price ≥ 0");
    }
    Double budget = s.number("budget_monthly");
    if (budget != null && !(budget > 0)) {
      throw fail(s.path("budget_monthly"), "must be a positive amount in " + prices.currency());
    }
    return new MonitorConfig.Cost(prices, Optional.ofNullable(hourly), Optional.ofNullable(budget));
  }

  private MonitorConfig.Pooler pooler(YamlSection s) throws ConfigException {
    s.allow("admin_url", "password");
    String url = s.require("admin_url");
    if (!url.matches("(?s).*/pgbouncer(\\?.*)?")) {
      throw fail(s.path("admin_url"), "PgBouncer's admin console is the database 'pgbouncer': postgres://user@host:6432/pgbouncer");
    }
    return new MonitorConfig.Pooler(url, s.optional("password"));
  }

  private MonitorConfig.Backup backup(YamlSection s) throws ConfigException {
    s.allow("repo", "mode", "stanza", "url", "password", "type", "jobs", "keep_last", "max_age", "smoke_query",
        "scratch_dir");
    String mode = s.string("mode", MonitorConfig.Backup.LOGICAL);
    if (!mode.equals(MonitorConfig.Backup.LOGICAL) && !mode.equals(MonitorConfig.Backup.PHYSICAL)) {
      throw fail(s.path("mode"), "'" + mode + "' is not a backup mode: logical (pg_dump) or physical (pgBackRest)");
    }
    String stanza = s.string("stanza", "main");
    if (!NAME.matcher(stanza).matches()) {
      throw fail(s.path("stanza"), "'" + stanza + "' is not a stanza name: use lower case letters, digits, _ and -");
    }
    String type = s.string("type", "incr");
    if (!List.of("full", "diff", "incr").contains(type)) {
      throw fail(s.path("type"), "'" + type + "' is not a pgBackRest backup type: full, diff or incr");
    }
    Optional<String> url = s.optional("url");
    if (url.isPresent() && mode.equals(MonitorConfig.Backup.PHYSICAL)) {
      throw fail(s.path("url"), "a physical backup runs as the server's operating-system user; url is for logical backups");
    }
    Optional<Duration> maxAge = s.optional("max_age").isPresent() ? Optional.of(s.duration("max_age", null)) : Optional.empty();
    return new MonitorConfig.Backup(Path.of(s.require("repo")), mode, stanza, url, s.optional("password"), type,
        s.integer("jobs", 2, 1, 64), s.integer("keep_last", 7, 1, 10_000), maxAge, s.optional("smoke_query"),
        s.optional("scratch_dir").map(Path::of));
  }

  private MonitorConfig.Server server(YamlSection s) throws ConfigException {
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

  private MonitorConfig.Store store(YamlSection s, Optional<String> defaultStoreUrl) throws ConfigException {
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

  private MonitorConfig.Collect collect(YamlSection s) throws ConfigException {
    s.allow("activity_interval", "statements_interval", "findings_interval", "statement_timeout", "statements_kept",
        "tables_kept", "slow_query", "discovery_interval");
    Duration activity = s.duration("activity_interval", Duration.ofSeconds(15));
    if (activity.compareTo(Duration.ofSeconds(1)) < 0) {
      throw fail(s.path("activity_interval"), "must be at least 1s");
    }
    Duration statements = s.duration("statements_interval", Duration.ofMinutes(5));
    if (statements.compareTo(Duration.ofSeconds(5)) < 0) {
      throw fail(s.path("statements_interval"), "must be at least 5s");
    }
    Duration discovery = s.duration("discovery_interval", Duration.ofMinutes(5));
    if (!discovery.isZero() && discovery.compareTo(Duration.ofSeconds(1)) < 0) {
      throw fail(s.path("discovery_interval"), "must be 0 (list the databases at start only) or at least 1s");
    }
    return new MonitorConfig.Collect(activity, statements, s.duration("findings_interval", Duration.ofHours(1)),
        s.duration("statement_timeout", Duration.ofSeconds(5)), s.integer("statements_kept", 200, 1, 5000),
        s.integer("tables_kept", 50, 0, 5000), s.duration("slow_query", Duration.ofSeconds(1)), discovery);
  }

  private MonitorConfig.Alerts alerts(YamlSection s) throws ConfigException {
    s.allow("rules", "channels", "repeat_interval");
    Map<String, MonitorConfig.RuleSettings> rules = new LinkedHashMap<>();
    YamlSection r = s.section("rules");
    for (String name : r.keys()) {
      if (!RULES.contains(name)) {
        throw fail(r.path(name), "unknown alert rule; the rules are " + String.join(", ", RULES));
      }
      YamlSection rule = r.section(name);
      rule.allow("enabled", "warning", "critical", "for");
      rules.put(name, new MonitorConfig.RuleSettings(rule.bool("enabled", null), rule.number("warning"),
          rule.number("critical"), rule.duration("for", null)));
    }
    List<MonitorConfig.Channel> channels = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (YamlSection c : s.list("channels")) {
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

  private MonitorConfig.Incidents incidents(YamlSection s) throws ConfigException {
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

  private MonitorConfig.Maintenance maintenance(YamlSection s) throws ConfigException {
    s.allow("daily_health_check", "weekly_optimization", "refresh_views", "views", "analyze_stale", "stale_fraction",
        "backup", "restore_drill", "partitions", "partition_tables", "partition_premake");
    MonitorConfig.Maintenance m = new MonitorConfig.Maintenance(s.optional("daily_health_check"),
        s.optional("weekly_optimization"), s.optional("refresh_views"), s.strings("views"), s.optional("analyze_stale"),
        s.number("stale_fraction", 0.1), s.optional("backup"), s.optional("restore_drill"), s.optional("partitions"),
        s.strings("partition_tables"), s.integer("partition_premake", 4, 1, 1000));
    if (m.partitions().isPresent() && m.partitionTables().isEmpty()) {
      throw fail(s.path("partitions"), "no partition_tables to keep supplied: list them, e.g. partition_tables: [public.events]");
    }
    dev.pgopt.monitor.internal.maintenance.MaintenanceScheduler.schedules(m, source);
    return m;
  }

  private MonitorConfig.Metrics metrics(YamlSection s, Set<String> targets) throws ConfigException {
    s.allow("per_statement_series", "settings", "custom");
    List<MonitorConfig.CustomMetric> custom = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (YamlSection m : s.list("custom")) {
      m.allow("name", "help", "query", "labels", "interval", "timeout", "max_series", "targets");
      String name = m.require("name");
      if (!METRIC.matcher(name).matches()) {
        throw fail(m.path("name"), "'" + name + "' is not a metric name: lower case letters, digits and _, starting with"
            + " a letter (it becomes pgopt_custom_" + name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + ")");
      }
      if (!seen.add(name)) {
        throw fail(m.path("name"), "custom metric '" + name + "' is named twice");
      }
      List<String> labels = m.strings("labels");
      Set<String> distinct = new HashSet<>();
      for (String l : labels) {
        if (!METRIC.matcher(l).matches() || l.equals("target") || l.equals("value") || !distinct.add(l)) {
          throw fail(m.path("labels"), "'" + l + "' cannot be a label: lower case letters, digits and _, once each, and"
              + " not target or value (the monitor's own label and the value column)");
        }
      }
      Duration interval = m.duration("interval", Duration.ofMinutes(1));
      if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw fail(m.path("interval"), "must be at least 1s");
      }
      Duration timeout = m.duration("timeout", Duration.ofSeconds(5));
      if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
        throw fail(m.path("timeout"), "must be from 100ms to 5m");
      }
      List<String> on = m.strings("targets");
      for (String t : on) {
        if (!targets.contains(t)) {
          throw fail(m.path("targets"), "no target named '" + t + "'");
        }
      }
      custom.add(new MonitorConfig.CustomMetric(name, m.string("help", "custom metric " + name), m.require("query"),
          List.copyOf(labels), interval, timeout, m.integer("max_series", 100, 1, 10_000), List.copyOf(on)));
    }
    return new MonitorConfig.Metrics(s.integer("per_statement_series", 0, 0, 100), s.bool("settings", false),
        List.copyOf(custom));
  }

  private ConfigException fail(String path, String message) {
    return new ConfigException(source + ": " + path + ": " + message);
  }
}

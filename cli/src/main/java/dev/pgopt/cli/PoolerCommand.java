package dev.pgopt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.advise.pooler.PgBouncerConfig;
import dev.pgopt.advise.pooler.PoolerEvidence;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.HealthReportJson;
import dev.pgopt.analyze.health.Thresholds;
import dev.pgopt.analyze.pooler.PgBouncerHealth;
import dev.pgopt.analyze.pooler.ServerLimits;
import dev.pgopt.cli.internal.HumanReport;
import dev.pgopt.cli.internal.ThresholdConfig;
import dev.pgopt.collect.pooler.PgBouncerAdmin;
import dev.pgopt.collect.pooler.PoolerSnapshot;
import dev.pgopt.connect.AdminConsole;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.InvalidTargetException;
import dev.pgopt.connect.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "pooler", mixinStandardHelpOptions = true,
    description = {"PgBouncer: a configuration sized from the server's evidence (config) and a running pooler judged",
        "from its admin console (check). See docs/pooler.md."})
public final class PoolerCommand implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper();

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCode.USAGE;
  }

  @Command(name = "config", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Writes pgbouncer.ini and userlist.txt into a directory, sized from the server: its connection",
          "slots, the peak of busy sessions sampled now, the roles that use the database; the pool mode from how the",
          "clients use their sessions (SET, advisory locks, LISTEN, PREPARE, WITH HOLD cursors, temporary tables)."},
      footer = {"", "Exit codes: 0 written, 1 written with warnings to read first, 3 cannot connect, 64 usage error"
          + " (an existing pgbouncer.ini is never overwritten without --force)."})
  public static final class Config implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where pgbouncer.ini and userlist.txt go.")
    Path output;

    @Option(names = "--app-max-connections", paramLabel = "N",
        description = "The most connections the applications open (the sum of their pool sizes): max_client_conn.")
    Integer appMaxConnections;

    @Option(names = "--pool-mode", defaultValue = "auto", paramLabel = "MODE",
        description = "auto (default: transaction unless the clients use session features), session or transaction.")
    String poolMode;

    @Option(names = "--users", split = ",", paramLabel = "ROLE,...",
        description = "Roles to include besides those seen using the database.")
    List<String> users = new ArrayList<>();

    @Option(names = "--sample", defaultValue = "10s", paramLabel = "DURATION",
        description = "How long to count busy sessions for the peak, every 100 ms (default: ${DEFAULT-VALUE}).")
    String sample;

    @Mixin
    HistoryOptions history = new HistoryOptions();

    @Option(names = "--listen-addr", defaultValue = "127.0.0.1", paramLabel = "ADDR",
        description = "PgBouncer's listen_addr (default: ${DEFAULT-VALUE}).")
    String listenAddr;

    @Option(names = "--listen-port", defaultValue = "6432", paramLabel = "PORT",
        description = "PgBouncer's listen_port (default: ${DEFAULT-VALUE}).")
    int listenPort;

    @Option(names = "--server-host", paramLabel = "HOST",
        description = "How PgBouncer reaches the server (default: the host of --url).")
    String serverHost;

    @Option(names = "--pgbouncer-version", paramLabel = "X.Y",
        description = "The PgBouncer that will run it (default: the installed one's, else the newest).")
    String pgbouncerVersion;

    @Option(names = "--force", description = "Overwrite an existing pgbouncer.ini and userlist.txt.")
    boolean force;

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
    String format;

    public Config(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      OutputFormat.check(format);
      if (!List.of("auto", "session", "transaction").contains(poolMode)) {
        throw new CliFailure(ExitCode.USAGE, "--pool-mode: pool mode must be auto, session or transaction, not '" + poolMode + "'");
      }
      if (appMaxConnections != null && appMaxConnections < 1) {
        throw new CliFailure(ExitCode.USAGE, "--app-max-connections must be at least 1");
      }
      if (listenPort < 1 || listenPort > 65535) {
        throw new CliFailure(ExitCode.USAGE, "--listen-port must be from 1 to 65535, not " + listenPort);
      }
      if (!listenAddr.matches("[A-Za-z0-9.:*,_-]+")) {
        throw new CliFailure(ExitCode.USAGE, "--listen-addr: '" + listenAddr + "' is not an address list (e.g. 127.0.0.1 or *)");
      }
      for (String u : users) {
        if (u.isBlank() || u.chars().anyMatch(ch -> ch < 0x20)) {
          throw new CliFailure(ExitCode.USAGE, "--users: '" + u.strip() + "' is not a role name");
        }
      }
      Duration sampleFor = ConnectionOptions.duration(sample, "--sample");
      history.check();
      Path ini = output.resolve("pgbouncer.ini");
      Path userlist = output.resolve("userlist.txt");
      if (!force && (Files.exists(ini) || Files.exists(userlist))) {
        throw new CliFailure(ExitCode.USAGE, output + " already holds a pgbouncer.ini or userlist.txt: choose another"
            + " --output, or --force to replace them");
      }
      int[] version = version();
      DatabaseTarget target = connection.target(ctx);
      PoolerEvidence evidence;
      dev.pgopt.collect.platform.Platform platform;
      try (Session session = Session.open(target, connection.sessionOptions())) {
        platform = session.readOnly(c -> dev.pgopt.collect.platform.PlatformDetector.detect(c, target.endpoints().get(0).host()))
            .platform();
        int samples = (int) Math.max(1, sampleFor.toMillis() / 100);
        evidence = session.readOnly(c -> PoolerEvidence.read(c, users.stream().map(String::strip).toList(), samples,
            Duration.ofMillis(100), PoolerEvidence.Sleeper.REAL));
      } catch (DatabaseFailure f) {
        throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
      }
      Optional<Integer> historyPeak = Optional.empty();
      if (history.given()) {
        historyPeak = historyPeak();
        evidence = evidence.withPeakAtLeast(historyPeak.orElse(0));
      }
      for (String u : users) {
        if (evidence.roles().stream().noneMatch(r -> r.name().equals(u.strip()))) {
          throw new CliFailure(ExitCode.USAGE, "--users: no role '" + u.strip() + "' that can log in; nothing was written");
        }
      }
      PgBouncerConfig config;
      try {
        config = PgBouncerConfig.of(evidence, new PgBouncerConfig.Options(
            serverHost != null ? serverHost : target.endpoints().get(0).host(), target.endpoints().get(0).port(),
            output.toAbsolutePath().toString(), listenAddr, listenPort, appMaxConnections, poolMode, version, target.user()));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, e.getMessage());
      }
      try {
        Files.createDirectories(output);
        write(ini, config.ini(), "rw-r-----");
        write(userlist, config.userlist(), "rw-------");
      } catch (IOException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "cannot write into " + output + ": " + e.getMessage(), e);
      }
      // Neon and Supabase pool for the customer: a PgBouncer of one's own is a second pool in front of theirs
      Optional<String> platformNote = platform == dev.pgopt.collect.platform.Platform.NEON
          || platform == dev.pgopt.collect.platform.Platform.SUPABASE
          ? Optional.of("this server runs on " + platform.displayName() + ": " + platform.pooler()) : Optional.empty();
      if (format.equals("json")) {
        ObjectNode n = JSON.createObjectNode();
        platformNote.ifPresent(p -> n.put("platform_note", p));
        historyPeak.ifPresent(p -> n.put("history_peak_active", p));
        n.put("ini", ini.toString());
        n.put("userlist", userlist.toString());
        n.put("roles_with_secret", config.userlist().lines().count());
        n.set("sizing", JSON.valueToTree(config.sizing()));
        n.set("warnings", JSON.valueToTree(config.warnings()));
        ctx.out().println(n.toPrettyString());
      } else {
        ctx.out().println("pgopt pooler config  " + target.display());
        ctx.out().println("  wrote " + ini + " and " + userlist + " (" + config.userlist().lines().count() + " of "
            + evidence.roles().size() + " roles with their secret)");
        platformNote.ifPresent(p -> ctx.out().println("  note: " + p));
        if (history.given()) {
          ctx.out().println("  history: " + historyPeak.map(p -> "peak of " + p + " active sessions over "
              + history.windowText("7d") + " in the monitor's store (target " + history.targetName() + ")")
              .orElse("the store holds no connections_active for target " + history.targetName() + "; sized from the sample alone"));
        }
        config.sizing().forEach((k, v) -> ctx.out().printf("  %-32s %s%n", k, v));
        if (!config.warnings().isEmpty()) {
          ctx.out().println();
          ctx.out().println("Before you start it:");
          config.warnings().forEach(w -> ctx.out().println("  - " + w));
        }
        ctx.out().println();
        ctx.out().println("Start: pgbouncer " + ini + "   then: pgopt pooler check --admin-url postgres://" + target.user()
            + "@" + listenAddr.split(",")[0].replace("*", "127.0.0.1") + ":" + listenPort + "/pgbouncer --url <this server>");
      }
      boolean onlyUlimit = config.warnings().stream().allMatch(w -> w.startsWith("PgBouncer needs a file descriptor"));
      return onlyUlimit ? ExitCode.OK : ExitCode.WARNING;
    }

    /** Written beside and moved into place: a half-written configuration never exists. */
    private static void write(Path file, String content, String permissions) throws IOException {
      Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
      try {
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }

    /** The peak of connections_active the monitor kept for the target; empty when it kept none. */
    private Optional<Integer> historyPeak() {
      java.util.OptionalDouble peak = history.read(ctx, connection.sessionOptions(), Duration.ofDays(7),
          (c, target, window) -> dev.pgopt.monitor.StoredHistory.peak(c, target, "connections_active", window));
      return peak.isPresent() ? Optional.of((int) Math.ceil(peak.getAsDouble())) : Optional.empty();
    }

    private int[] version() {
      if (pgbouncerVersion != null) {
        Matcher m = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.\\d+)?").matcher(pgbouncerVersion.strip());
        if (!m.matches()) {
          throw new CliFailure(ExitCode.USAGE, "--pgbouncer-version: '" + pgbouncerVersion + "' is not a version like 1.18");
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
      }
      return installedVersion();
    }
  }

  /** The version of the pgbouncer on the PATH, or null when there is none. */
  static int[] installedVersion() {
    try {
      Process p = new ProcessBuilder("pgbouncer", "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      Matcher m = Pattern.compile("PgBouncer (\\d+)\\.(\\d+)").matcher(out);
      return m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))} : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Judges a running PgBouncer from its admin console (SHOW POOLS, DATABASES, CONFIG): clients",
          "waiting, their longest wait, pool saturation, the server connections the pools may open against the",
          "server's max_connections, timeouts that disagree with the server's (these two need --url)."},
      footer = {"", "Exit codes: 0 healthy, 1 warning, 2 critical, 3 cannot connect, 64 usage error.",
          "Thresholds: pgopt pooler check --list-thresholds."})
  public static final class Check implements Callable<Integer> {
    private final Context ctx;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--admin-url", paramLabel = "URL", description = "The admin console: postgres://user@host:6432/pgbouncer,"
        + " a user in admin_users or stats_users (default: $PGOPT_POOLER_URL).")
    String adminUrl;

    @Option(names = {"-t", "--threshold"}, paramLabel = "KEY=VALUE", description = "Override one threshold, e.g. -t pooler_maxwait.warning=500ms.")
    List<String> thresholds = new ArrayList<>();

    @Option(names = "--list-thresholds", description = "Print every threshold with its default and reason, then exit.")
    boolean listThresholds;

    @Option(names = "--format", defaultValue = "human", description = "human (default) or json (the schema of docs/check-report.md).")
    String format;

    public Check(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      OutputFormat.check(format);
      if (listThresholds) {
        PgBouncerHealth.thresholds().forEach(d -> ctx.out().printf("%-36s %-8s %-9s %s%n", d.key(),
            d.defaultValue() == null ? "off" : d.defaultValue(), d.kind().label(), d.reason()));
        return ExitCode.OK;
      }
      Thresholds t = ThresholdConfig.apply(Thresholds.defaults(PgBouncerHealth.thresholds()), null, thresholds);
      String raw = adminUrl != null ? adminUrl : ctx.env().get("PGOPT_POOLER_URL").orElse(null);
      if (raw == null) {
        throw new CliFailure(ExitCode.USAGE, "no admin console given: pass --admin-url postgres://user@host:6432/pgbouncer"
            + " or set PGOPT_POOLER_URL");
      }
      DatabaseTarget admin;
      try {
        admin = DatabaseTarget.parse(raw, ctx.env());
      } catch (InvalidTargetException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "invalid connection string in --admin-url: " + e.getMessage());
      }
      if (!admin.database().equals("pgbouncer")) {
        throw new CliFailure(ExitCode.USAGE, "--admin-url names database '" + admin.database() + "': PgBouncer's admin"
            + " console is the database 'pgbouncer'");
      }
      PoolerSnapshot snapshot = read(admin, connection, ctx);
      Optional<ServerLimits> server = Optional.empty();
      if (connection.url != null || ctx.env().get("PGOPT_URL").isPresent()) {
        DatabaseTarget target = connection.target(ctx);
        try (Session session = Session.open(target, connection.sessionOptions())) {
          server = Optional.of(session.readOnly(ServerLimits::read));
        } catch (DatabaseFailure f) {
          throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
        }
      }
      HealthReport report = PgBouncerHealth.evaluate(snapshot, server, t, admin.display());
      if (format.equals("json")) {
        ctx.out().println(HealthReportJson.write(report));
      } else {
        ctx.out().print(HumanReport.render(report, ctx.colour(), "pgopt pooler check", snapshot.version()));
      }
      return report.exitCode();
    }
  }

  /** The admin console read once; failures as one line. */
  static PoolerSnapshot read(DatabaseTarget admin, ConnectionOptions connection, Context ctx) {
    try (AdminConsole c = AdminConsole.open(admin, connection.sessionOptions())) {
      return PgBouncerAdmin.read(c, ctx.clock());
    } catch (DatabaseFailure f) {
      String m = f.getMessage();
      if (m.contains("not allowed")) {
        m += " (the user must be in the pooler's admin_users or stats_users)";
      }
      throw new CliFailure(ExitCode.UNKNOWN, m, f);
    }
  }
}

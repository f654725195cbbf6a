package dev.pgopt.local;

import dev.pgopt.local.internal.Commands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A private PostgreSQL cluster in a directory of ours, listening on loopback TCP only (no Unix socket, so it
 * never collides with a system cluster). Used by {@code pgopt demo} and by the test kit.
 *
 * <p>Settings pgopt owns live in {@code pgopt.conf} inside the data directory, included from {@code
 * postgresql.conf} and rewritten on every {@link #configure}, so a changed port never piles up lines.
 */
public final class LocalPostgres {
  private static final String INCLUDE_LINE = "include_if_exists = 'pgopt.conf'";

  private final PostgresInstallation installation;
  private final Path dataDir;

  private LocalPostgres(PostgresInstallation installation, Path dataDir) {
    this.installation = installation;
    this.dataDir = dataDir.toAbsolutePath();
  }

  public static LocalPostgres at(Path dataDir) {
    return new LocalPostgres(PostgresInstallation.find(), dataDir);
  }

  public Path dataDir() {
    return dataDir;
  }

  public PostgresInstallation installation() {
    return installation;
  }

  public boolean isInitialized() {
    return Files.exists(dataDir.resolve("PG_VERSION"));
  }

  /** Runs initdb with password (SCRAM) authentication for TCP connections. */
  public void initialize(String superuser, String password, boolean durable) {
    if (isInitialized()) {
      throw new LocalProcessException(dataDir + " already holds a cluster");
    }
    Commands.createOwnedDirectory(dataDir);
    Path pwfile = dataDir.resolveSibling(dataDir.getFileName() + ".pw");
    Commands.writePrivateFile(pwfile, password + "\n");
    try {
      List<String> cmd = new java.util.ArrayList<>(List.of(
          installation.tool("initdb"), "-D", dataDir.toString(), "-U", superuser, "--pwfile=" + pwfile,
          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"));
      if (!durable) {
        cmd.add("--no-sync");
      }
      Commands.runOrThrow(cmd, Map.of(), 120, "initdb in " + dataDir);
    } finally {
      try {
        Files.deleteIfExists(pwfile);
      } catch (IOException ignored) {
        // best effort: the file is private to the service user
      }
    }
    appendInclude();
  }

  /** Creates this cluster as a streaming replica of {@code primary} with pg_basebackup -R. */
  public void initializeAsReplicaOf(String host, int primaryPort, String superuser, String password) {
    if (isInitialized()) {
      throw new LocalProcessException(dataDir + " already holds a cluster");
    }
    Commands.createOwnedDirectory(dataDir);
    Commands.runOrThrow(
        List.of(installation.tool("pg_basebackup"), "-h", host, "-p", Integer.toString(primaryPort), "-U", superuser,
            "-D", dataDir.toString(), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
        Map.of("PGPASSWORD", password), 300, "pg_basebackup into " + dataDir);
  }

  private void appendInclude() {
    Path conf = dataDir.resolve("postgresql.conf");
    try {
      String text = Files.readString(conf, StandardCharsets.UTF_8);
      if (!text.contains(INCLUDE_LINE)) {
        Files.writeString(conf, text + "\n" + INCLUDE_LINE + "\n", StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new LocalProcessException("cannot edit " + conf + ": " + e.getMessage(), e);
    }
  }

  /** Replaces pgopt's settings; takes effect at the next start. */
  public void configure(Map<String, String> settings) {
    appendInclude();
    Map<String, String> all = new LinkedHashMap<>();
    all.put("listen_addresses", "'127.0.0.1'");
    all.put("unix_socket_directories", "''");
    all.putAll(settings);
    String body = all.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining("\n"));
    Commands.writePrivateFile(dataDir.resolve("pgopt.conf"), "# written by pgopt; rewritten on each configure\n" + body + "\n");
  }

  public Path logFile() {
    return dataDir.resolve("pgopt-server.log");
  }

  public void start() {
    start(java.time.Duration.ofSeconds(120));
  }

  /**
   * Starts and waits up to {@code ready} for the server to accept connections: longer than the default for a restored
   * copy that must replay WAL to a consistent state first.
   */
  public void start(java.time.Duration ready) {
    long seconds = Math.max(1, ready.toSeconds());
    Commands.Result r = Commands.run(List.of(installation.tool("pg_ctl"), "-D", dataDir.toString(), "-l",
        logFile().toString(), "-w", "-t", Long.toString(seconds), "start"), Map.of(), seconds + 30);
    if (r.exitCode() != 0) {
      throw new LocalProcessException("PostgreSQL in " + dataDir + " did not start: " + Commands.tail(readLog(), 4));
    }
  }

  public boolean isRunning() {
    return isInitialized()
        && Commands.run(List.of(installation.tool("pg_ctl"), "-D", dataDir.toString(), "status"), Map.of(), 30).exitCode() == 0;
  }

  public void stop() {
    if (isRunning()) {
      Commands.runOrThrow(List.of(installation.tool("pg_ctl"), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop"),
          Map.of(), 90, "stopping PostgreSQL in " + dataDir);
    }
  }

  /** Stops at once, as a crash would ({@code pg_ctl stop -m immediate}): for fault tests. */
  public void stopImmediately() {
    if (isRunning()) {
      Commands.runOrThrow(List.of(installation.tool("pg_ctl"), "-D", dataDir.toString(), "-m", "immediate", "-w", "-t", "60", "stop"),
          Map.of(), 90, "stopping PostgreSQL in " + dataDir);
    }
  }

  private String readLog() {
    try {
      return Files.exists(logFile()) ? Files.readString(logFile(), StandardCharsets.UTF_8) : "(no server log)";
    } catch (IOException e) {
      return "(cannot read " + logFile() + ")";
    }
  }

  /**
   * {@link #standardSettings(int)} plus pg_qualstats when it is installed: the constants statements compare columns
   * with, which pg_stat_statements replaces by parameters (the advisor's partial indexes on {@code status = 'pending'}
   * come from them). Every statement is sampled: these clusters are private and small. Benchmark clusters leave it out,
   * as its per-statement work would weigh on what they measure.
   */
  public static Map<String, String> standardSettings(int port, PostgresInstallation installation) {
    Map<String, String> s = standardSettings(port);
    if (installation.hasLibrary("pg_qualstats")) {
      s.put("shared_preload_libraries", "'pg_stat_statements,pg_qualstats'");
      s.put("pg_qualstats.sample_rate", "1");
    }
    return s;
  }

  /** Settings every pgopt-managed cluster gets: the extensions and statistics pgopt reads. */
  public static Map<String, String> standardSettings(int port) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("port", Integer.toString(port));
    s.put("shared_preload_libraries", "'pg_stat_statements'");
    s.put("track_io_timing", "on");
    s.put("pg_stat_statements.track", "top");
    s.put("wal_level", "replica");
    s.put("max_wal_senders", "10");
    s.put("hot_standby", "on");
    s.put("shared_buffers", "'128MB'");
    return s;
  }
}

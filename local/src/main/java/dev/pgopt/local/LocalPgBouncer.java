package dev.pgopt.local;

import dev.pgopt.local.internal.Commands;
import dev.pgopt.local.internal.PortWait;
import dev.pgopt.local.internal.ProcessStop;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A PgBouncer on a free loopback port in front of one PostgreSQL server, authenticating one user. */
public final class LocalPgBouncer implements AutoCloseable {
  private final Process process;
  private final int port;

  private LocalPgBouncer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * @param poolMode session, transaction or statement
   */
  public static LocalPgBouncer start(Path workDir, int postgresPort, String user, String password, String poolMode) {
    return start(workDir, postgresPort, user, password, poolMode, 20);
  }

  /** @param poolSize server connections per database and user (default_pool_size), no reserve */
  public static LocalPgBouncer start(Path workDir, int postgresPort, String user, String password, String poolMode, int poolSize) {
    Commands.createOwnedDirectory(workDir);
    int port = FreePort.find();
    Commands.writePrivateFile(workDir.resolve("userlist.txt"), quote(user) + " " + quote(password) + "\n");
    String ini = String.join("\n",
        "[databases]",
        "* = host=127.0.0.1 port=" + postgresPort,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        "listen_port = " + port,
        "unix_socket_dir =",
        "auth_type = scram-sha-256",
        "auth_file = " + workDir.resolve("userlist.txt"),
        "pool_mode = " + poolMode,
        "max_client_conn = 200",
        "default_pool_size = " + poolSize,
        "admin_users = " + user,
        "stats_users = " + user,
        // pgjdbc sends extra_float_digits in its startup packet
        "ignore_startup_parameters = extra_float_digits",
        "logfile = " + workDir.resolve("pgbouncer.log"),
        "");
    Path iniFile = workDir.resolve("pgbouncer.ini");
    Commands.writePrivateFile(iniFile, ini);
    Process p = Commands.spawn(List.of("pgbouncer", iniFile.toString()), workDir.resolve("pgbouncer.out"));
    PortWait.untilListening(p, port, Duration.ofSeconds(30), "pgbouncer");
    return new LocalPgBouncer(p, port);
  }

  /**
   * Starts PgBouncer with a configuration written elsewhere ({@code pgopt pooler config}) that listens on {@code port}
   * of loopback. The directory holding it, and what is in it, is handed to the server's user first: PgBouncer does
   * not run as root and reads its auth_file and writes its log there.
   */
  public static LocalPgBouncer startConfigured(Path iniFile, int port) {
    Path dir = iniFile.toAbsolutePath().getParent();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
      Commands.handToServiceUser(dir);
      for (Path f : files.toList()) {
        Commands.handToServiceUser(f);
      }
    } catch (java.io.IOException e) {
      throw new LocalProcessException("cannot hand " + dir + " to the server's user: " + e.getMessage(), e);
    }
    Process p = Commands.spawn(List.of("pgbouncer", iniFile.toAbsolutePath().toString()), dir.resolve("pgbouncer.out"));
    PortWait.untilListening(p, port, Duration.ofSeconds(30), "pgbouncer");
    return new LocalPgBouncer(p, port);
  }

  private static String quote(String s) {
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    ProcessStop.gracefully(process, "pgbouncer");
  }
}

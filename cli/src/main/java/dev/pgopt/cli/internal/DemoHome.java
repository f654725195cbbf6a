package dev.pgopt.cli.internal;

import dev.pgopt.connect.Environment;
import dev.pgopt.local.ServiceUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;

/**
 * The demo's home: {@code $PGOPT_HOME}, else {@code $XDG_DATA_HOME/pgopt}, else {@code ~/.local/share/pgopt}. It holds
 * {@code demo.properties} (data directory and port) and {@code pgpass}, a libpq password file for the demo role.
 *
 * <p>When we run as root the server runs as {@code postgres}, which cannot enter root's home; the data directory
 * then lives under {@code /var/lib/pgopt/<hash of the home>} and demo.properties points at it.
 */
public final class DemoHome {
  public static final String ROLE = "pgopt";
  public static final String DATABASE = "pgopt_demo";

  private final Path home;

  private DemoHome(Path home) {
    this.home = home;
  }

  public static DemoHome resolve(Environment env) {
    Path home = env.get("PGOPT_HOME").map(Path::of)
        .orElseGet(() -> env.get("XDG_DATA_HOME").map(x -> Path.of(x, "pgopt"))
            .orElseGet(() -> env.home().resolve(".local/share/pgopt")));
    return new DemoHome(home.toAbsolutePath().normalize());
  }

  public Path path() {
    return home;
  }

  public Path passFile() {
    return home.resolve("pgpass");
  }

  private Path stateFile() {
    return home.resolve("demo.properties");
  }

  public Properties state() {
    Properties p = new Properties();
    if (Files.exists(stateFile())) {
      try (var in = Files.newInputStream(stateFile())) {
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + stateFile(), e);
      }
    }
    return p;
  }

  public void saveState(Path dataDir, int port) {
    Properties p = new Properties();
    p.setProperty("data_dir", dataDir.toString());
    p.setProperty("port", Integer.toString(port));
    try {
      Files.createDirectories(home);
      try (var out = Files.newOutputStream(stateFile())) {
        p.store(out, "pgopt demo server; remove this directory to start over (after pgopt demo stop)");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + stateFile(), e);
    }
  }

  public Optional<Integer> port() {
    return Optional.ofNullable(state().getProperty("port")).map(Integer::parseInt);
  }

  /** Where the cluster lives (recorded, or chosen now). */
  public Path dataDir(int pgMajor) {
    String recorded = state().getProperty("data_dir");
    if (recorded != null) {
      return Path.of(recorded);
    }
    Path inside = home.resolve("pg" + pgMajor);
    if (ServiceUser.canReach(inside)) {
      return inside;
    }
    return Path.of("/var/lib/pgopt", shortHash(home.toString()), "pg" + pgMajor);
  }

  /** The demo role's password, made once and kept only in the private pgpass file. */
  public String password() {
    try {
      if (Files.exists(passFile())) {
        String line = Files.readString(passFile(), StandardCharsets.UTF_8).strip();
        return line.substring(line.lastIndexOf(':') + 1);
      }
      byte[] b = new byte[18];
      new SecureRandom().nextBytes(b);
      return HexFormat.of().formatHex(b);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + passFile(), e);
    }
  }

  /** Writes the pgpass line for the demo role on this port (0600, as libpq requires). */
  public void writePassFile(int port, String password) {
    try {
      Files.createDirectories(home);
      Path f = passFile();
      Files.writeString(f, "127.0.0.1:" + port + ":*:" + ROLE + ":" + password + "\n", StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + passFile(), e);
    }
  }

  public String url(int port, String database) {
    return "postgres://" + ROLE + "@127.0.0.1:" + port + "/" + database;
  }

  private static String shortHash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

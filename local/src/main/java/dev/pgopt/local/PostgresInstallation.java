package dev.pgopt.local;

import dev.pgopt.local.internal.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Where the PostgreSQL server binaries are: {@code PGOPT_PG_BIN}, else the newest {@code /usr/lib/postgresql/N/bin}. */
public record PostgresInstallation(Path binDir) {
  public static final int MIN_MAJOR = 13;

  public static PostgresInstallation find() {
    String override = System.getenv("PGOPT_PG_BIN");
    if (override != null && !override.isBlank()) {
      Path bin = Path.of(override);
      if (!Files.isExecutable(bin.resolve("initdb"))) {
        throw new LocalProcessException("PGOPT_PG_BIN=" + override + " has no initdb: point it at a PostgreSQL server bin directory");
      }
      return new PostgresInstallation(bin);
    }
    return newestUnder(Path.of("/usr/lib/postgresql"))
        .orElseThrow(() -> new LocalProcessException(
            "no PostgreSQL server binaries under /usr/lib/postgresql: run scripts/ensure-system, or set PGOPT_PG_BIN"));
  }

  static Optional<PostgresInstallation> newestUnder(Path root) {
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(p -> Integer.parseInt(p.getFileName().toString()) >= MIN_MAJOR)
          .filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
          .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())))
          .map(p -> new PostgresInstallation(p.resolve("bin")));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The major version, from the directory layout ({@code /usr/lib/postgresql/15/bin}) or pg_config. */
  public int majorVersion() {
    Path parent = binDir.toAbsolutePath().getParent();
    if (parent != null && parent.getFileName().toString().matches("\\d+")) {
      return Integer.parseInt(parent.getFileName().toString());
    }
    String out = Commands.runOrThrow(List.of(tool("postgres"), "--version"), Map.of(), 30, "postgres --version");
    Matcher m = Pattern.compile("(\\d+)").matcher(out.replaceAll("^[^0-9]*", ""));
    if (!m.find()) {
      throw new LocalProcessException("cannot tell the PostgreSQL version from: " + out.strip());
    }
    return Integer.parseInt(m.group(1));
  }

  /** Whether the server can load the shared library {@code name} (its pkglibdir, beside bin in every layout we run). */
  public boolean hasLibrary(String name) {
    Path parent = binDir.toAbsolutePath().getParent();
    return parent != null && Files.isRegularFile(parent.resolve("lib").resolve(name + ".so"));
  }

  public String tool(String name) {
    return binDir.resolve(name).toString();
  }
}

package dev.pgopt.connect.internal;

import dev.pgopt.connect.Endpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The libpq password file: {@code hostname:port:database:username:password} lines, {@code *} matching anything,
 * {@code \:} and {@code \\} escapes, first match wins. Like libpq, a file that group or others can read is ignored.
 */
public final class PgPassFile {
  private PgPassFile() {}

  public record Lookup(Optional<String> password, Optional<String> warning) {}

  public static Lookup lookup(Path file, List<Endpoint> endpoints, String database, String user) {
    if (!Files.isRegularFile(file)) {
      return new Lookup(Optional.empty(), Optional.empty());
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
        return new Lookup(Optional.empty(), Optional.of("ignoring password file " + file
            + ": it has group or world access; run chmod 0600 " + file));
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (Endpoint e : endpoints) {
        for (String line : lines) {
          if (line.isBlank() || line.startsWith("#")) {
            continue;
          }
          List<String> f = fields(line);
          if (f.size() < 5) {
            continue;
          }
          if (matches(f.get(0), e.host()) && matches(f.get(1), Integer.toString(e.port()))
              && matches(f.get(2), database) && matches(f.get(3), user)) {
            return new Lookup(Optional.of(f.get(4)), Optional.empty());
          }
        }
      }
      return new Lookup(Optional.empty(), Optional.empty());
    } catch (IOException | UnsupportedOperationException e) {
      return new Lookup(Optional.empty(), Optional.of("cannot read password file " + file + ": " + e.getMessage()));
    }
  }

  private static boolean matches(String pattern, String value) {
    return pattern.equals("*") || pattern.equals(value);
  }

  /** Splits on unescaped ':'; the last field (the password) takes the rest of the line. */
  static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length()) {
        cur.append(line.charAt(++i));
      } else if (c == ':' && out.size() < 4) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }
}

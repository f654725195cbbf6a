package dev.pgopt.apply;

import dev.pgopt.advise.Finding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes findings' actions as Flyway versioned migrations, for teams who ship schema changes through review. A
 * migration with CONCURRENTLY gets a {@code .sql.conf} beside it with {@code executeInTransaction=false}, since
 * PostgreSQL refuses CONCURRENTLY inside a transaction.
 */
public final class MigrationWriter {
  private static final DateTimeFormatter VERSION = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  private MigrationWriter() {}

  public static List<Path> write(Path dir, List<Finding> findings, Instant now) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    String version = VERSION.format(now);
    for (int i = 0; i < findings.size(); i++) {
      Finding f = findings.get(i);
      String slug = f.id().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("(^_|_$)", "");
      if (slug.length() > 80) {
        slug = slug.substring(0, 80);
      }
      Path file = dir.resolve("V" + version + "." + (i + 1) + "__pgopt_" + slug + ".sql");
      StringBuilder sb = new StringBuilder();
      sb.append("-- pgopt finding ").append(f.id()).append('\n');
      sb.append("-- ").append(f.title().replace("\n", " ")).append('\n');
      if (f.action().undoSql() != null) {
        sb.append("-- undo: ").append(f.action().undoSql().replace("\n", " ")).append('\n');
      }
      sb.append("SET lock_timeout = '5s';\n");
      sb.append(f.action().sql()).append('\n');
      Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
      written.add(file);
      if (f.action().sql().toUpperCase(Locale.ROOT).contains("CONCURRENTLY") || f.action().sql().toUpperCase(Locale.ROOT).startsWith("VACUUM")
          || f.action().sql().toUpperCase(Locale.ROOT).contains("ALTER SYSTEM")) {
        Path conf = dir.resolve(file.getFileName() + ".conf");
        Files.writeString(conf, "executeInTransaction=false\n", StandardCharsets.UTF_8);
        written.add(conf);
      }
    }
    return written;
  }
}

package dev.pgopt.lifecycle;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.postgresql.PGConnection;

/**
 * Brings an archived partition back: attached to its table again with its bounds, or as a plain table in a scratch
 * schema to query on demand. One transaction: the table is created, loaded, checked against the manifest's row count
 * and checksum, and attached, or nothing happened.
 */
public final class ArchiveRestore {
  private ArchiveRestore() {}

  /**
   * @param intoSchema empty: attach to the table; else a schema to restore into as a plain table (created if absent)
   * @param maxBytes refuse archives whose partition was larger than this on the server (what the restore takes again)
   * @return the restored table, qualified
   */
  public static String restore(Connection c, Path archiveDir, String table, String partition, Optional<String> intoSchema,
                               long maxBytes, Duration lockTimeout) throws SQLException {
    int dot = table.indexOf('.');
    String schema = dot < 0 ? "public" : table.substring(0, dot);
    String name = dot < 0 ? table : table.substring(dot + 1);
    Path dir = archiveDir.resolve(schema + "." + name);
    Path manifestFile = dir.resolve(partition + ArchiveManifest.SUFFIX);
    if (partition.contains("/") || partition.startsWith(".") || !Files.isRegularFile(manifestFile)) {
      throw new LifecycleException("no archive of partition '" + partition + "' for " + schema + "." + name + " in " + dir
          + " (pgopt retention list shows what is there)");
    }
    ArchiveManifest m = ArchiveManifest.read(manifestFile);
    if (m.tableBytes() > maxBytes) {
      throw new LifecycleException(String.format("%s was %d MB on the server; restoring it takes that again, more than"
          + " --max-size (%d MB): raise --max-size if the room is there", partition, m.tableBytes() >> 20, maxBytes >> 20));
    }
    PartitionArchive.checkFile(m, dir.resolve(m.file()));
    String parent = Quoting.ident(m.schema()) + "." + Quoting.ident(m.table());
    if (Sql.list(c, "SELECT 1 FROM pg_class WHERE oid = to_regclass(?)", rs -> 1, parent).isEmpty()) {
      throw new LifecycleException("the archive's table " + parent + " is gone: it is needed for the columns' types");
    }
    String target = Quoting.ident(intoSchema.orElse(m.schema())) + "." + Quoting.ident(m.partition());
    if (!Sql.list(c, "SELECT 1 FROM pg_class WHERE oid = to_regclass(?)", rs -> 1, target).isEmpty()) {
      throw new LifecycleException(target + " already exists: drop or rename it, or restore into another --into-schema");
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      PartitionArchive.requireColumns(c, m, parent);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL lock_timeout = '" + lockTimeout.toMillis() + "ms'");
        if (intoSchema.isPresent()) {
          s.execute(Sql.OWN_MARK + "CREATE SCHEMA IF NOT EXISTS " + Quoting.ident(intoSchema.get()));
        }
        s.execute(Sql.OWN_MARK + "CREATE TABLE " + target + " (LIKE " + parent + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
      }
      try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(dir.resolve(m.file()))), 1 << 16)) {
        c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + target + " (" + PartitionArchive.columnList(m.columns())
            + ") FROM STDIN (FORMAT binary)", in);
      } catch (IOException e) {
        throw new LifecycleException("the archive " + m.file() + " cannot be read: " + e.getMessage(), e);
      }
      PartitionArchive.Checksum back = PartitionArchive.checksum(c, target, m.columns());
      if (back.rows() != m.rows() || !back.sum().equals(m.checksum())) {
        throw new LifecycleException("the archive " + m.file() + " restores " + back.rows() + " rows (checksum " + back.sum()
            + "), the manifest says " + m.rows() + " (" + m.checksum() + "): nothing restored");
      }
      if (intoSchema.isEmpty()) {
        try (Statement s = c.createStatement()) {
          s.execute(Sql.OWN_MARK + "ALTER TABLE " + parent + " ATTACH PARTITION " + target + " FOR VALUES FROM ('"
              + m.from().replace("'", "''") + "') TO ('" + m.to().replace("'", "''") + "')");
        }
      }
      c.commit();
      return target;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      if (e instanceof SQLException se && "55P03".equals(se.getSQLState())) {
        throw new LifecycleException("the lock to attach " + target + " was not granted within " + lockTimeout.toMillis()
            + " ms: try again when the table is quieter", e);
      }
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }
}

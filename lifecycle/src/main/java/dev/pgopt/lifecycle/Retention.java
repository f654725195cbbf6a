package dev.pgopt.lifecycle;

import dev.pgopt.apply.AuditLog;
import dev.pgopt.connect.Sql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Retention for a time-partitioned table: partitions wholly older than the cutoff are detached, archived, proven by
 * reading the archive back, and only then dropped. Each partition is its own audited action in {@code pgopt.actions};
 * a failure before the drop attaches the partition again and removes its half-made archive, so nothing is lost and
 * nothing is left half applied.
 *
 * <p>Locks: {@code DETACH PARTITION ... CONCURRENTLY} (SHARE UPDATE EXCLUSIVE on the parent: reads and writes go on)
 * unless the table has a default partition, where PostgreSQL allows only the plain form (ACCESS EXCLUSIVE on the
 * parent for the moment of the detach); SHARE on the detached partition while it is read; ACCESS EXCLUSIVE on it to
 * drop. Every lock waits at most {@code lockTimeout} and is tried {@code attempts} times.
 */
public final class Retention {
  /**
   * @param archiveOnly detach and archive, leave the detached partitions for {@link #drop} later
   * @param usableSpace the bytes free where archives go (the file store's; injectable for tests)
   */
  public record Options(Path archiveDir, boolean archiveOnly, Duration lockTimeout, int attempts,
                        ToLongFunction<Path> usableSpace) {
    public static ToLongFunction<Path> fileStoreSpace() {
      return p -> {
        try {
          Path existing = p;
          while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
          }
          return existing == null ? 0 : Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
          return 0;
        }
      };
    }
  }

  /** The partitions a policy reaches, and the cutoff it computed on the server. */
  public record Plan(PartitionedTable table, String cutoff, List<PartitionedTable.Partition> old, long bytes) {}

  /** @param outcome archived, dropped, or failed with the reason */
  public record Outcome(String partition, String outcome, ArchiveManifest manifest) {}

  private final Clock clock;

  public Retention(Clock clock) {
    this.clock = clock;
  }

  /** Which partitions end at or before now − keep (in the key's type), largest data first counted. */
  public static Plan plan(Connection c, String table, String keep) throws SQLException {
    PartitionedTable t = PartitionedTable.read(c, table);
    String cutoff;
    try {
      cutoff = Sql.one(c, "SELECT (now() - ?::interval)::" + t.keyType(), rs -> rs.getString(1), keep);
    } catch (SQLException e) {
      if ("22007".equals(e.getSQLState()) || "22008".equals(e.getSQLState())) {
        throw new LifecycleException("'" + keep + "' is not an interval: give e.g. '3 months' or '90 days'");
      }
      throw e;
    }
    boolean positive = Sql.one(c, "SELECT ?::interval > interval '0'", rs -> rs.getBoolean(1), keep);
    if (!positive) {
      throw new LifecycleException("keep '" + keep + "' must be longer than nothing: every partition would go");
    }
    List<PartitionedTable.Partition> old = new ArrayList<>();
    for (PartitionedTable.Partition p : t.partitions()) {
      if (p.isDefault() || p.to() == null) {
        continue;
      }
      boolean before = Sql.one(c, "SELECT ?::" + t.keyType() + " <= ?::" + t.keyType(), rs -> rs.getBoolean(1), p.to(), cutoff);
      if (before) {
        old.add(p);
      }
    }
    return new Plan(t, cutoff, old, old.stream().mapToLong(PartitionedTable.Partition::bytes).sum());
  }

  /**
   * Carries out {@code plan} on {@code c} (autocommit on; its transactions are the steps'). Stops at the first failure,
   * after undoing that partition's steps; partitions done before it stay done.
   */
  public List<Outcome> run(Connection c, Plan plan, Options o) throws SQLException {
    long free = o.usableSpace().applyAsLong(o.archiveDir());
    if (free < plan.bytes() + plan.bytes() / 10) {
      throw new LifecycleException(String.format("the archive directory %s has %d MB free; archiving %d partitions of %d MB"
          + " needs up to %d MB (their size on the server, a tenth to spare): free space or choose another --archive",
          o.archiveDir(), free >> 20, plan.old().size(), plan.bytes() >> 20, (plan.bytes() + plan.bytes() / 10) >> 20));
    }
    Path dir = tableDir(o.archiveDir(), plan.table());
    c.setAutoCommit(true);
    AuditLog.ensure(c);
    List<Outcome> out = new ArrayList<>();
    for (PartitionedTable.Partition p : plan.old()) {
      long action = AuditLog.start(c, "retention:" + p.schema() + "." + p.name(), "retention",
          "ALTER TABLE " + plan.table().qualified() + " DETACH PARTITION " + p.qualified() + "; COPY " + p.qualified()
              + " TO " + dir.resolve(p.name() + ".copy.gz") + (o.archiveOnly() ? "" : "; DROP TABLE " + p.qualified()),
          "pgopt retention restore --archive " + o.archiveDir() + " --table " + plan.table().schema() + "."
              + plan.table().table() + " --partition " + p.name(), null);
      ArchiveManifest m;
      try {
        detach(c, plan.table(), p, o);
        c.setAutoCommit(false);
        try {
          m = PartitionArchive.write(c, plan.table(), p, dir, clock);
          PartitionArchive.verify(c, m, dir, p.qualified());
        } finally {
          c.setAutoCommit(true);
        }
      } catch (SQLException | IOException | RuntimeException e) {
        String why = e.getMessage();
        undo(c, plan.table(), p, dir, o, e);
        AuditLog.finish(c, action, AuditLog.Status.FAILED, why);
        throw e instanceof LifecycleException le ? le : new LifecycleException("retention of " + p.qualified()
            + " failed and was undone (the partition is attached again): " + why, e);
      }
      if (o.archiveOnly()) {
        AuditLog.finish(c, action, AuditLog.Status.SUCCEEDED, null);
        out.add(new Outcome(p.name(), "archived and detached; drop it with pgopt retention drop", m));
        continue;
      }
      try {
        dropProven(c, p.qualified(), m, dir, o);
      } catch (SQLException | RuntimeException e) {
        AuditLog.finish(c, action, AuditLog.Status.FAILED, "archived and detached, not dropped: " + e.getMessage());
        throw e instanceof LifecycleException le ? le : new LifecycleException("the archive of " + p.qualified()
            + " is made and proven, the partition detached but not dropped: " + e.getMessage(), e);
      }
      AuditLog.finish(c, action, AuditLog.Status.SUCCEEDED, null);
      out.add(new Outcome(p.name(), "archived, proven and dropped", m));
    }
    return out;
  }

  /**
   * Drops the detached partitions of {@code table} whose archives are in {@code archiveDir}, each after proving its
   * archive again (file hash, then loaded back and compared): a corrupt archive stops the run before its drop.
   */
  public List<Outcome> drop(Connection c, String schema, String table, Path archiveDir, Options o) throws SQLException {
    Path dir = archiveDir.resolve(schema + "." + table);
    c.setAutoCommit(true);
    AuditLog.ensure(c);
    List<Outcome> out = new ArrayList<>();
    for (Path file : ArchiveManifest.list(dir)) {
      ArchiveManifest m = ArchiveManifest.read(file);
      if (!m.schema().equals(schema) || !m.table().equals(table)) {
        continue;
      }
      String rel = dev.pgopt.connect.Quoting.ident(schema) + "." + dev.pgopt.connect.Quoting.ident(m.partition());
      List<Boolean> state = Sql.list(c, "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid) FROM pg_class c"
          + " WHERE c.oid = to_regclass(?)", rs -> rs.getBoolean(1), rel);
      if (state.isEmpty()) {
        continue;
      }
      if (state.get(0)) {
        out.add(new Outcome(m.partition(), "still attached (restored?): left alone", m));
        continue;
      }
      long action = AuditLog.start(c, "retention:" + schema + "." + m.partition(), "retention", "DROP TABLE " + rel,
          "pgopt retention restore --archive " + archiveDir + " --table " + schema + "." + table + " --partition "
              + m.partition(), null);
      try {
        c.setAutoCommit(false);
        try {
          PartitionArchive.verify(c, m, dir, rel);
        } finally {
          c.setAutoCommit(true);
        }
        dropProven(c, rel, m, dir, o);
      } catch (SQLException | RuntimeException e) {
        AuditLog.finish(c, action, AuditLog.Status.FAILED, e.getMessage());
        throw e;
      }
      AuditLog.finish(c, action, AuditLog.Status.SUCCEEDED, null);
      out.add(new Outcome(m.partition(), "proven again and dropped", m));
    }
    return out;
  }

  /** Drops {@code rel} after its rows, under the drop's own lock, still match the manifest and the file its hash. */
  private static void dropProven(Connection c, String rel, ArchiveManifest m, Path dir, Options o) throws SQLException {
    PartitionArchive.checkFile(m, dir.resolve(m.file()));
    new LockRetry(o.lockTimeout(), o.attempts()).run(() -> {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL lock_timeout = '" + o.lockTimeout().toMillis() + "ms'");
        s.execute(Sql.OWN_MARK + "LOCK TABLE " + rel + " IN ACCESS EXCLUSIVE MODE");
        PartitionArchive.Checksum now = PartitionArchive.checksum(c, rel, m.columns());
        if (now.rows() != m.rows() || !now.sum().equals(m.checksum())) {
          c.rollback();
          throw new LifecycleException(rel + " has changed since it was archived (" + now.rows() + " rows, checksum "
              + now.sum() + "; the archive: " + m.rows() + ", " + m.checksum() + "): not dropped; archive it again");
        }
        s.execute(Sql.OWN_MARK + "DROP TABLE " + rel);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  private static void detach(Connection c, PartitionedTable t, PartitionedTable.Partition p, Options o) throws SQLException {
    // DETACH ... CONCURRENTLY is refused when the table has a default partition
    String how = t.defaultPartition().isPresent() ? "" : " CONCURRENTLY";
    new LockRetry(o.lockTimeout(), o.attempts()).run(() -> {
      try (Statement s = c.createStatement()) {
        s.execute("SET lock_timeout = '" + o.lockTimeout().toMillis() + "ms'");
        try {
          s.execute(Sql.OWN_MARK + "ALTER TABLE " + t.qualified() + " DETACH PARTITION " + p.qualified() + how);
        } finally {
          s.execute("RESET lock_timeout");
        }
      } catch (SQLException e) {
        // a concurrent detach cut short leaves the partition pending: finish it rather than start again
        if (!how.isEmpty() && pending(c, p)) {
          try (Statement s = c.createStatement()) {
            s.execute(Sql.OWN_MARK + "ALTER TABLE " + t.qualified() + " DETACH PARTITION " + p.qualified() + " FINALIZE");
          }
          return;
        }
        throw e;
      }
    });
  }

  private static boolean pending(Connection c, PartitionedTable.Partition p) throws SQLException {
    return !Sql.list(c, "SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(?) AND inhdetachpending", rs -> 1,
        p.qualified()).isEmpty();
  }

  /** Attaches {@code p} again with its bounds and removes its archive files, after a failure before the drop. */
  private static void undo(Connection c, PartitionedTable t, PartitionedTable.Partition p, Path dir, Options o, Exception cause) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
        c.setAutoCommit(true);
      }
      boolean attached = !Sql.list(c, "SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(?) AND NOT inhdetachpending",
          rs -> 1, p.qualified()).isEmpty();
      if (!attached && !Sql.list(c, "SELECT 1 FROM pg_class WHERE oid = to_regclass(?)", rs -> 1, p.qualified()).isEmpty()) {
        if (pending(c, p)) {
          try (Statement s = c.createStatement()) {
            s.execute(Sql.OWN_MARK + "ALTER TABLE " + t.qualified() + " DETACH PARTITION " + p.qualified() + " FINALIZE");
          }
        }
        new LockRetry(o.lockTimeout(), o.attempts()).run(() -> {
          try (Statement s = c.createStatement()) {
            s.execute(Sql.OWN_MARK + "ALTER TABLE " + t.qualified() + " ATTACH PARTITION " + p.qualified() + " FOR VALUES FROM ('"
                + p.from().replace("'", "''") + "') TO ('" + p.to().replace("'", "''") + "')");
          }
        });
      }
      Files.deleteIfExists(dir.resolve(p.name() + ".copy.gz"));
      Files.deleteIfExists(dir.resolve("." + p.name() + ".copy.gz.tmp"));
      Files.deleteIfExists(dir.resolve(p.name() + ArchiveManifest.SUFFIX));
    } catch (SQLException | IOException | RuntimeException e) {
      cause.addSuppressed(new LifecycleException("and the undo failed too: " + p.qualified() + " may be detached; attach it with"
          + " ALTER TABLE " + t.qualified() + " ATTACH PARTITION " + p.qualified() + " FOR VALUES FROM ('" + p.from()
          + "') TO ('" + p.to() + "'): " + e.getMessage(), e));
    }
  }

  /** Runs {@code step}, again after a lock timeout (55P03), up to the attempts, waiting 0.25, 0.5, 1 ... 10 s between. */

  static Path tableDir(Path archiveDir, PartitionedTable t) {
    return archiveDir.resolve(t.schema() + "." + t.table());
  }
}

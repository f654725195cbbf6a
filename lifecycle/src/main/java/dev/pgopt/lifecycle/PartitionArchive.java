package dev.pgopt.lifecycle;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.postgresql.PGConnection;

/**
 * Writes a partition to a compressed binary COPY file with its manifest, and proves an archive by loading it back into
 * a temporary table and comparing row count and checksum with the manifest. Both run in a transaction of the caller's
 * connection (autocommit off), which they end.
 */
public final class PartitionArchive {
  private PartitionArchive() {}

  /** Row count and checksum of a relation (see {@link ArchiveManifest#checksum()}). */
  public record Checksum(long rows, String sum) {}

  /**
   * Archives {@code p} (detached, or at least not written to: it is locked SHARE while it is read) into {@code dir}.
   */
  public static ArchiveManifest write(Connection c, PartitionedTable t, PartitionedTable.Partition p, Path dir, Clock clock)
      throws SQLException, IOException {
    Files.createDirectories(dir);
    String file = p.name() + ".copy.gz";
    Path tmp = dir.resolve("." + file + ".tmp");
    try (Statement s = c.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      s.execute(Sql.OWN_MARK + "LOCK TABLE " + p.qualified() + " IN SHARE MODE");
    }
    List<ArchiveManifest.Column> columns = columns(c, p.qualified());
    Checksum sum = checksum(c, p.qualified(), columns);
    MessageDigest sha = sha256();
    try (OutputStream out = new GZIPOutputStream(new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)), sha),
        1 << 16)) {
      c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + p.qualified() + " (" + columnList(columns)
          + ") TO STDOUT (FORMAT binary)", out);
    } catch (SQLException | IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    long tableBytes = Sql.one(c, "SELECT pg_total_relation_size(?::regclass)", rs -> rs.getLong(1), p.qualified());
    String version = Sql.one(c, "SELECT current_setting('server_version')", rs -> rs.getString(1));
    c.commit();
    Files.move(tmp, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    ArchiveManifest m = new ArchiveManifest(ArchiveManifest.VERSION, t.schema(), t.table(), p.name(), t.key(), t.keyType(),
        p.from(), p.to(), columns, sum.rows(), sum.sum(), file, HexFormat.of().formatHex(sha.digest()),
        Files.size(dir.resolve(file)), tableBytes, clock.instant().toString(), version);
    m.write(dir);
    return m;
  }

  /**
   * Proves the archive: the file's SHA-256 is the manifest's, and loaded into a temporary table shaped like
   * {@code like} (the partition, or its parent) its rows have the manifest's count and checksum. Costs a temporary
   * table as large as the partition, for the length of the check. The manifest's column types are compared with the
   * relation's, never executed: a manifest is a file anyone with access to the directory could have edited.
   */
  public static void verify(Connection c, ArchiveManifest m, Path dir, String like) throws SQLException {
    Path file = dir.resolve(m.file());
    checkFile(m, file);
    requireColumns(c, m, like);
    String tmp = "pgopt_verify_" + Long.toHexString(System.nanoTime());
    try (Statement s = c.createStatement()) {
      s.execute(Sql.OWN_MARK + "CREATE TEMP TABLE " + tmp + " (LIKE " + like + ") ON COMMIT DROP");
    }
    try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(file)), 1 << 16)) {
      c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + tmp + " (" + columnList(m.columns())
          + ") FROM STDIN (FORMAT binary)", in);
    } catch (IOException e) {
      c.rollback();
      throw new LifecycleException("the archive " + file + " cannot be read back: " + e.getMessage(), e);
    } catch (SQLException e) {
      c.rollback();
      throw new LifecycleException("the archive " + file + " does not load back: " + e.getMessage(), e);
    }
    Checksum back = checksum(c, tmp, m.columns());
    c.rollback();
    if (back.rows() != m.rows() || !back.sum().equals(m.checksum())) {
      throw new LifecycleException("the archive " + file + " loads back " + back.rows() + " rows (checksum " + back.sum()
          + ") where the partition had " + m.rows() + " (checksum " + m.checksum() + "): it is not a copy; nothing dropped");
    }
  }

  /** The relation has every column of the manifest, with the same type. */
  static void requireColumns(Connection c, ArchiveManifest m, String relation) throws SQLException {
    List<ArchiveManifest.Column> have = columns(c, relation);
    for (ArchiveManifest.Column col : m.columns()) {
      if (!have.contains(col)) {
        throw new LifecycleException(relation + " has no column " + col.name() + " of type " + col.type() + " as the archive "
            + m.partition() + " holds: the table changed since it was archived (restore into a scratch schema instead)");
      }
    }
  }

  /** The file is there and its SHA-256 is the manifest's. */
  static void checkFile(ArchiveManifest m, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new LifecycleException("the archive file " + file + " the manifest names is missing");
    }
    MessageDigest sha = sha256();
    try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(file)), sha)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new LifecycleException("cannot read the archive file " + file + ": " + e.getMessage(), e);
    }
    String got = HexFormat.of().formatHex(sha.digest());
    if (!got.equals(m.fileSha256())) {
      throw new LifecycleException("the archive file " + file + " has changed since it was written (SHA-256 " + got
          + ", manifest " + m.fileSha256() + "): it is corrupt or was replaced; nothing dropped");
    }
  }

  /** Row count and checksum of {@code relation}, with the output settings that make row text the same everywhere. */
  public static Checksum checksum(Connection c, String relation, List<ArchiveManifest.Column> columns) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL timezone = 'UTC'");
      s.execute("SET LOCAL datestyle = 'ISO, YMD'");
      s.execute("SET LOCAL intervalstyle = 'postgres'");
      s.execute("SET LOCAL extra_float_digits = 3");
      s.execute("SET LOCAL bytea_output = 'hex'");
    }
    String row = "ROW(" + columns.stream().map(col -> "r." + Quoting.ident(col.name())).collect(Collectors.joining(", ")) + ")::text";
    return Sql.one(c, Sql.OWN_MARK + "SELECT count(*), coalesce(sum(('x' || substr(md5(" + row + "), 1, 15))::bit(60)::bigint), 0)::text"
        + " FROM " + relation + " r", rs -> new Checksum(rs.getLong(1), rs.getString(2)));
  }

  static List<ArchiveManifest.Column> columns(Connection c, String relation) throws SQLException {
    return Sql.list(c, """
        SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum""",
        rs -> new ArchiveManifest.Column(rs.getString(1), rs.getString(2)), relation);
  }

  static String columnList(List<ArchiveManifest.Column> columns) {
    return columns.stream().map(col -> Quoting.ident(col.name())).collect(Collectors.joining(", "));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.pgopt.lifecycle;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A table range-partitioned on one time column, as the catalog shows it: its key, and its partitions with their
 * bounds as PostgreSQL prints them.
 *
 * @param keyType the key's type as {@code format_type} names it (date, timestamp, timestamptz)
 */
public record PartitionedTable(String schema, String table, String key, String keyType, List<Partition> partitions) {
  private static final Set<String> TIME_TYPES = Set.of("date", "timestamp without time zone", "timestamp with time zone");
  private static final Pattern RANGE = Pattern.compile("FOR VALUES FROM \\('([^']*)'\\) TO \\('([^']*)'\\)");

  /**
   * One partition; {@code from} and {@code to} are literals of the key's type (null for the default partition).
   *
   * @param bytes pg_total_relation_size
   */
  public record Partition(String schema, String name, String from, String to, boolean isDefault, long bytes) {
    public String qualified() {
      return Quoting.ident(schema) + "." + Quoting.ident(name);
    }
  }

  public PartitionedTable {
    partitions = List.copyOf(partitions);
  }

  public String qualified() {
    return Quoting.ident(schema) + "." + Quoting.ident(table);
  }

  public Optional<Partition> defaultPartition() {
    return partitions.stream().filter(Partition::isDefault).findFirst();
  }

  /** @param name {@code table} or {@code schema.table}, as the user wrote it */
  public static PartitionedTable read(Connection c, String name) throws SQLException {
    List<String[]> found;
    try {
      found = Sql.list(c, """
          SELECT n.nspname, t.relname, t.relkind::text, coalesce(p.partstrat::text, ''), coalesce(p.partnatts, 0)
          FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
          LEFT JOIN pg_partitioned_table p ON p.partrelid = t.oid
          WHERE t.oid = to_regclass(?)""", rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3),
          rs.getString(4), String.valueOf(rs.getInt(5))}, name);
    } catch (SQLException e) {
      if ("42602".equals(e.getSQLState()) || "42601".equals(e.getSQLState())) {
        throw new LifecycleException("no table '" + name + "': that is not a table name (give schema.table)");
      }
      throw e;
    }
    if (found.isEmpty()) {
      throw new LifecycleException("no table '" + name + "' (give schema.table; names are case-sensitive when quoted)");
    }
    String[] t = found.get(0);
    if (!t[2].equals("p")) {
      throw new LifecycleException(t[0] + "." + t[1] + " is not partitioned: partition it first (docs/partitioning.md)");
    }
    if (!t[3].equals("r") || !t[4].equals("1")) {
      throw new LifecycleException(t[0] + "." + t[1] + " is not range-partitioned on one column; retention and"
          + " maintenance handle time ranges only");
    }
    String[] key = Sql.one(c, """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
        WHERE p.partrelid = to_regclass(?)""", rs -> new String[] {rs.getString(1), rs.getString(2)}, name);
    if (key == null || key[0] == null) {
      throw new LifecycleException(t[0] + "." + t[1] + " is partitioned on an expression; retention handles a time column");
    }
    if (!TIME_TYPES.contains(key[1])) {
      throw new LifecycleException(t[0] + "." + t[1] + " is partitioned on " + key[0] + " (" + key[1] + "); retention"
          + " and maintenance need a date or timestamp key");
    }
    List<Partition> parts = Sql.list(c, """
        SELECT n.nspname, c.relname, pg_get_expr(c.relpartbound, c.oid), pg_total_relation_size(c.oid)
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = to_regclass(?)
        ORDER BY c.relname""", rs -> partition(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)), name);
    return new PartitionedTable(t[0], t[1], key[0], key[1], parts);
  }

  private static Partition partition(String schema, String name, String bound, long bytes) {
    if (bound.equals("DEFAULT")) {
      return new Partition(schema, name, null, null, true, bytes);
    }
    Matcher m = RANGE.matcher(bound);
    // MINVALUE / MAXVALUE bounds have no literal: such a partition is never old enough to archive
    return m.find() ? new Partition(schema, name, m.group(1), m.group(2), false, bytes)
        : new Partition(schema, name, null, null, false, bytes);
  }
}

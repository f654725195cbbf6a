package dev.pgopt.lifecycle;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps a time-partitioned table supplied: the partitions up to {@code premake} intervals past now exist, named
 * {@code <table>_p<start>}, with the interval the newest partition has (1 month, 1 week, 1 day, 1 hour or its exact
 * length). Reports what sits in the default partition, where rows land when no partition is ready for them. Tables
 * pg_partman manages are left to it.
 */
public final class PartitionMaintenance {
  /** Plans that would make more partitions than this are refused: a wrong interval, not a plan. */
  public static final int MAX_NEW = 10_000;
  private static final String[] INTERVALS = {"1 month", "7 days", "1 day", "1 hour", "1 year"};

  /**
   * @param interval what each new partition spans
   * @param create the partitions to make, as {@code CREATE TABLE} statements
   * @param defaultRows rows in the default partition (capped at a million counted), empty when there is none
   * @param managedBy "pg_partman" when it manages the table (then nothing is created here)
   * @param ahead partitions that start after now, before this plan's are made
   */
  public record Plan(PartitionedTable table, String interval, List<String> create, Optional<Long> defaultRows,
                     Optional<String> managedBy, int ahead) {}

  private PartitionMaintenance() {}

  public static Plan plan(Connection c, String table, int premake) throws SQLException {
    if (premake < 1 || premake > 1000) {
      throw new LifecycleException("premake must be from 1 to 1000 intervals, not " + premake);
    }
    PartitionedTable t = PartitionedTable.read(c, table);
    Optional<Long> defaultRows = Optional.empty();
    if (t.defaultPartition().isPresent()) {
      defaultRows = Optional.of(Sql.one(c, "SELECT count(*) FROM (SELECT 1 FROM " + t.defaultPartition().get().qualified()
          + " LIMIT 1000000) d", rs -> rs.getLong(1)));
    }
    if (partman(c, t)) {
      return new Plan(t, "", List.of(), defaultRows, Optional.of("pg_partman"), 0);
    }
    String kt = t.keyType();
    List<PartitionedTable.Partition> ranges = new ArrayList<>(t.partitions().stream().filter(p -> p.to() != null).toList());
    if (ranges.isEmpty()) {
      throw new LifecycleException(t.schema() + "." + t.table() + " has no range partition to take the interval from:"
          + " create the first one (CREATE TABLE ... PARTITION OF ... FOR VALUES FROM (...) TO (...))");
    }
    // the newest partition by its upper bound, compared on the server in the key's type
    PartitionedTable.Partition newest = ranges.get(0);
    for (PartitionedTable.Partition p : ranges) {
      if (Sql.one(c, "SELECT ?::" + kt + " > ?::" + kt, rs -> rs.getBoolean(1), p.to(), newest.to())) {
        newest = p;
      }
    }
    String interval = null;
    for (String candidate : INTERVALS) {
      if (Sql.one(c, "SELECT (?::" + kt + " + ?::interval)::" + kt + " = ?::" + kt, rs -> rs.getBoolean(1), newest.from(),
          candidate, newest.to())) {
        interval = candidate;
        break;
      }
    }
    if (interval == null) {
      interval = Sql.one(c, "SELECT (?::timestamp - ?::timestamp)::text", rs -> rs.getString(1), newest.to(), newest.from());
    }
    String until = Sql.one(c, "SELECT (now() + ?::interval * ?)::" + kt, rs -> rs.getString(1), interval, premake);
    List<String> create = new ArrayList<>();
    String from = newest.to();
    boolean hourly = Sql.one(c, "SELECT ?::interval < interval '1 day'", rs -> rs.getBoolean(1), interval);
    while (Sql.one(c, "SELECT ?::" + kt + " < ?::" + kt, rs -> rs.getBoolean(1), from, until)) {
      if (create.size() >= MAX_NEW) {
        throw new LifecycleException("premaking " + premake + " × " + interval + " from " + newest.to() + " would make more than "
            + MAX_NEW + " partitions: the newest partition's span is not the interval you want");
      }
      String to = Sql.one(c, "SELECT (?::" + kt + " + ?::interval)::" + kt, rs -> rs.getString(1), from, interval);
      String suffix = Sql.one(c, "SELECT to_char(?::timestamp, ?)", rs -> rs.getString(1), from, hourly ? "YYYYMMDD_HH24MI" : "YYYYMMDD");
      String base = t.table().length() > 50 ? t.table().substring(0, 50) : t.table();
      String name = Quoting.ident(t.schema()) + "." + Quoting.ident(base + "_p" + suffix);
      create.add("CREATE TABLE " + name + " PARTITION OF " + t.qualified() + " FOR VALUES FROM ('" + from.replace("'", "''")
          + "') TO ('" + to.replace("'", "''") + "')");
      from = to;
    }
    int ahead = 0;
    for (PartitionedTable.Partition p : ranges) {
      if (Sql.one(c, "SELECT ?::" + kt + " > now()::" + kt, rs -> rs.getBoolean(1), p.from())) {
        ahead++;
      }
    }
    return new Plan(t, interval, create, defaultRows, Optional.empty(), ahead);
  }

  /** Creates the plan's partitions, each in its own statement; a partition made meanwhile by someone else is skipped. */
  public static List<String> execute(Connection c, Plan plan, java.time.Duration lockTimeout) throws SQLException {
    List<String> made = new ArrayList<>();
    c.setAutoCommit(true);
    for (String ddl : plan.create()) {
      try (Statement s = c.createStatement()) {
        s.execute("SET lock_timeout = '" + lockTimeout.toMillis() + "ms'");
        s.execute(Sql.OWN_MARK + ddl);
        made.add(ddl);
      } catch (SQLException e) {
        if ("42P07".equals(e.getSQLState())) {
          continue;
        }
        if ("23514".equals(e.getSQLState())) {
          throw new LifecycleException("the default partition holds rows for the range of a partition to make ("
              + e.getMessage().lines().findFirst().orElse("") + "): move them out of it first (docs/partitioning.md)", e);
        }
        throw e;
      } finally {
        try (Statement s = c.createStatement()) {
          s.execute("RESET lock_timeout");
        }
      }
    }
    return made;
  }

  private static boolean partman(Connection c, PartitionedTable t) throws SQLException {
    List<String> schema = Sql.list(c, "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        + " WHERE e.extname = 'pg_partman'", rs -> rs.getString(1));
    if (schema.isEmpty()) {
      return false;
    }
    return !Sql.list(c, "SELECT 1 FROM " + Quoting.ident(schema.get(0)) + ".part_config WHERE parent_table = ?", rs -> 1,
        t.schema() + "." + t.table()).isEmpty();
  }
}

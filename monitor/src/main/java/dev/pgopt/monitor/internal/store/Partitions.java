package dev.pgopt.monitor.internal.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Creates the time partitions ahead of need and drops those wholly older than the retention. Daily partitions (UTC)
 * for raw samples, statements and tables; monthly ones for the hourly roll-up. Dropping a partition is instant and
 * leaves no dead tuples, which is why retention is done this way.
 */
final class Partitions {
  static final List<String> DAILY = List.of("samples", "statement_stats", "table_stats");
  static final String MONTHLY = "samples_hourly";
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
  private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM");
  private static final Pattern NAME = Pattern.compile("(\\w+)_p(\\d{6}|\\d{8})");

  private Partitions() {}

  /** Ensures partitions from {@code now - back} to {@code now + 2 days}. */
  static void ensure(Connection c, Instant now, Duration back) throws SQLException {
    LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    LocalDate first = LocalDate.ofInstant(now.minus(back), ZoneOffset.UTC);
    try (Statement st = c.createStatement()) {
      for (String table : DAILY) {
        for (LocalDate d = first; !d.isAfter(today.plusDays(2)); d = d.plusDays(1)) {
          String name = table + "_p" + DAY.format(d);
          st.executeUpdate("CREATE TABLE IF NOT EXISTS pgopt." + name + " PARTITION OF pgopt." + table
              + " FOR VALUES FROM ('" + d + " 00:00:00+00') TO ('" + d.plusDays(1) + " 00:00:00+00')");
        }
      }
      YearMonth firstMonth = YearMonth.from(first);
      YearMonth lastMonth = YearMonth.from(today.plusDays(2));
      for (YearMonth m = firstMonth; !m.isAfter(lastMonth); m = m.plusMonths(1)) {
        String name = MONTHLY + "_p" + MONTH.format(m);
        st.executeUpdate("CREATE TABLE IF NOT EXISTS pgopt." + name + " PARTITION OF pgopt." + MONTHLY
            + " FOR VALUES FROM ('" + m.atDay(1) + " 00:00:00+00') TO ('" + m.plusMonths(1).atDay(1) + " 00:00:00+00')");
      }
    }
  }

  /** Drops partitions whose whole range ends before the retention horizon; returns the names dropped. */
  static List<String> prune(Connection c, Instant now, Duration rawRetention, Duration hourlyRetention) throws SQLException {
    List<String> dropped = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (Statement st = c.createStatement();
         var rs = st.executeQuery("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
             + "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
             + "WHERE n.nspname = 'pgopt'")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    try (Statement st = c.createStatement()) {
      for (String name : names) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
          continue;
        }
        Instant end;
        Duration retention;
        if (m.group(1).equals(MONTHLY) && m.group(2).length() == 6) {
          end = YearMonth.parse(m.group(2), MONTH).plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
          retention = hourlyRetention;
        } else if (DAILY.contains(m.group(1)) && m.group(2).length() == 8) {
          end = LocalDate.parse(m.group(2), DAY).plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
          retention = rawRetention;
        } else {
          continue;
        }
        if (end.isBefore(now.minus(retention))) {
          st.executeUpdate("DROP TABLE IF EXISTS pgopt." + name);
          dropped.add(name);
        }
      }
    }
    return dropped;
  }
}

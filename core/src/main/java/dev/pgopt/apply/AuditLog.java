package dev.pgopt.apply;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

/**
 * {@code pgopt.actions}: every action pgopt applies — what, when, by whom, the SQL and its undo, the statistics of the
 * statements it should help as they were before, and later the verification. Created on first use.
 */
public final class AuditLog {
  public static final String TABLE = "pgopt.actions";

  private AuditLog() {}

  /** One row of the log. */
  public record Entry(long id, String findingId, String rule, String sql, String undoSql, String appliedBy, Instant startedAt,
                      Instant finishedAt, String status, String error, String statementsBefore, Instant verifiedAt, String verification) {}

  public static void ensure(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS pgopt");
      s.execute("""
          CREATE TABLE IF NOT EXISTS pgopt.actions (
            id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            finding_id        text        NOT NULL,
            rule              text        NOT NULL,
            sql               text        NOT NULL,
            undo_sql          text,
            applied_by        text        NOT NULL DEFAULT current_user,
            started_at        timestamptz NOT NULL DEFAULT now(),
            finished_at       timestamptz,
            status            text        NOT NULL CONSTRAINT actions_status_check
                                          CHECK (status IN ('running', 'succeeded', 'failed', 'unknown')),
            error             text,
            statements_before jsonb,
            verified_at       timestamptz,
            verification      jsonb)""");
      // logs made before 'unknown' existed: widen their check once (the ALTER takes a short exclusive lock)
      boolean old = Sql.one(c, """
          SELECT count(*) > 0 FROM pg_constraint WHERE conrelid = 'pgopt.actions'::regclass AND contype = 'c'
             AND pg_get_constraintdef(oid) LIKE '%status%' AND pg_get_constraintdef(oid) NOT LIKE '%unknown%'""",
          rs -> rs.getBoolean(1));
      if (old) {
        String name = Sql.one(c, """
            SELECT conname FROM pg_constraint WHERE conrelid = 'pgopt.actions'::regclass AND contype = 'c'
               AND pg_get_constraintdef(oid) LIKE '%status%'""", rs -> rs.getString(1));
        s.execute("ALTER TABLE pgopt.actions DROP CONSTRAINT " + dev.pgopt.connect.Quoting.ident(name)
            + ", ADD CONSTRAINT actions_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'unknown'))");
      }
    }
  }

  public static long start(Connection c, String findingId, String rule, String sql, String undoSql, String statementsBefore)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO pgopt.actions (finding_id, rule, sql, undo_sql, status, statements_before)
        VALUES (?, ?, ?, ?, 'running', ?::jsonb) RETURNING id""")) {
      ps.setString(1, findingId);
      ps.setString(2, rule);
      ps.setString(3, sql);
      ps.setString(4, undoSql);
      ps.setString(5, statementsBefore);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** How an action ended; {@code unknown} when pgopt could not tell from the catalog (the message says what to check). */
  public enum Status {
    SUCCEEDED, FAILED, UNKNOWN;

    String column() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static void finish(Connection c, long id, Status status, String error) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE pgopt.actions SET finished_at = now(), status = ?, error = ? WHERE id = ?")) {
      ps.setString(1, status.column());
      ps.setString(2, error);
      ps.setLong(3, id);
      ps.executeUpdate();
    }
  }

  /** Actions still marked running. */
  public static List<Entry> running(Connection c) throws SQLException {
    return list(c).stream().filter(e -> e.status().equals("running")).toList();
  }

  public static void verified(Connection c, long id, String verificationJson) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE pgopt.actions SET verified_at = now(), verification = ?::jsonb WHERE id = ?")) {
      ps.setString(1, verificationJson);
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  public static boolean exists(Connection c) throws SQLException {
    return Sql.one(c, "SELECT to_regclass('pgopt.actions') IS NOT NULL", rs -> rs.getBoolean(1));
  }

  public static List<Entry> list(Connection c) throws SQLException {
    return Sql.list(c, """
        SELECT id, finding_id, rule, sql, undo_sql, applied_by, started_at, finished_at, status, error,
               statements_before::text, verified_at, verification::text
          FROM pgopt.actions ORDER BY id""",
        rs -> new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
            instant(rs.getTimestamp(7)), instant(rs.getTimestamp(8)), rs.getString(9), rs.getString(10), rs.getString(11),
            instant(rs.getTimestamp(12)), rs.getString(13)));
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}

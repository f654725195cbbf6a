package dev.pgopt.client.cache;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/**
 * Database-driven invalidation: a trigger that NOTIFYs on every change to a table, so writes by any application (a
 * migration, a batch job, another service) invalidate the cache. Caches built with {@code
 * invalidateFromDatabase(primary)} listen. The notification carries the table's tag and, with a key column,
 * {@code tag:<value>} for each changed row; PostgreSQL folds identical notifications within a transaction.
 */
public final class DatabaseInvalidation {
  public static final String CHANNEL = "pgopt_cache";
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}(\\.[A-Za-z_][A-Za-z0-9_$]{0,62})?");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.:/-]{1,64}");

  private DatabaseInvalidation() {}

  /**
   * Creates (or replaces) the trigger on {@code table}.
   *
   * @param keyColumn a column whose value is appended to the tag per changed row, or null for the table tag only
   */
  public static void installTrigger(Connection c, String table, String tag, String keyColumn) throws SQLException {
    if (!IDENTIFIER.matcher(table).matches()) {
      throw new IllegalArgumentException("table must be a plain identifier, optionally schema-qualified: '" + table + "'");
    }
    if (!TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException("tag must be 1-64 letters, digits or . _ : / -: '" + tag + "'");
    }
    if (keyColumn != null && !IDENTIFIER.matcher(keyColumn).matches()) {
      throw new IllegalArgumentException("key column must be a plain identifier: '" + keyColumn + "'");
    }
    String name = "pgopt_cache_" + table.replace('.', '_');
    try (Statement s = c.createStatement()) {
      s.execute("""
          CREATE OR REPLACE FUNCTION pgopt_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            PERFORM pg_notify('%s', TG_ARGV[0]);
            IF TG_LEVEL = 'ROW' THEN
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM pg_notify('%s', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM pg_notify('%s', TG_ARGV[0] || ':' || (to_jsonb(NEW) ->> TG_ARGV[1]));
              END IF;
            END IF;
            RETURN NULL;
          END $$""".formatted(CHANNEL, CHANNEL, CHANNEL));
      s.execute("DROP TRIGGER IF EXISTS " + name + " ON " + table);
      s.execute("DROP TRIGGER IF EXISTS " + name + "_truncate ON " + table);
      if (keyColumn == null) {
        s.execute("CREATE TRIGGER " + name + " AFTER INSERT OR UPDATE OR DELETE ON " + table
            + " FOR EACH STATEMENT EXECUTE FUNCTION pgopt_cache_notify('" + tag + "')");
      } else {
        s.execute("CREATE TRIGGER " + name + " AFTER INSERT OR UPDATE OR DELETE ON " + table
            + " FOR EACH ROW EXECUTE FUNCTION pgopt_cache_notify('" + tag + "', '" + keyColumn + "')");
      }
      s.execute("CREATE TRIGGER " + name + "_truncate AFTER TRUNCATE ON " + table
          + " FOR EACH STATEMENT EXECUTE FUNCTION pgopt_cache_notify('" + tag + "')");
    }
  }
}

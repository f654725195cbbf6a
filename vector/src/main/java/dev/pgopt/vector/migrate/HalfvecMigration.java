package dev.pgopt.vector.migrate;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import dev.pgopt.vector.VectorRequestException;
import dev.pgopt.vector.inspect.PgvectorMissingException;
import dev.pgopt.vector.inspect.VectorColumn;
import dev.pgopt.vector.inspect.VectorIndex;
import dev.pgopt.vector.inspect.VectorInventory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Moves a {@code vector(n)} column to {@code halfvec(n)} online, in steps that can each be interrupted and resumed
 * (the state is read from the catalog every time):
 *
 * <ol>
 *   <li>refuse if any value is outside fp16's range (±65,504), where the cast would fail;
 *   <li>add {@code <col>_half halfvec(n)} and a trigger that fills it on every insert and update of the column, so
 *       writes during the migration are not lost;
 *   <li>backfill existing rows in committed batches by primary key;
 *   <li>build each ANN index again on the new column, CONCURRENTLY (by the caller, through the applier);
 *   <li>swap names in one short transaction under lock_timeout: the old column becomes {@code <col>_vector_old} (kept
 *       until you drop it), the new one takes the column's name, and the indexes swap names too.
 * </ol>
 */
public final class HalfvecMigration {
  private static final double FP16_MAX = 65504;

  private final Connection c;
  private final Consumer<String> log;

  public HalfvecMigration(Connection c, Consumer<String> log) {
    this.c = c;
    this.log = log;
  }

  /** Where a migration stands, read from the catalog. */
  public record State(VectorColumn column, String primaryKey, String newColumn, boolean newColumnExists, boolean triggerExists,
      long remaining, List<VectorIndex> oldIndexes, List<VectorIndex> newIndexes, boolean swapped) {}

  public State state(String schema, String table, String column) throws SQLException, VectorRequestException, PgvectorMissingException {
    VectorInventory inv = VectorInventory.readCatalog(c);
    String newColumn = column + "_half";
    VectorColumn col = inv.column(schema, table, column).orElseThrow(() -> new VectorRequestException("no vector column " + schema + "."
        + table + "." + column));
    boolean swapped = col.type().equals("halfvec") && inv.column(schema, table, column + "_vector_old").isPresent();
    if (!col.type().equals("vector") && !swapped) {
      throw new VectorRequestException(schema + "." + table + "." + column + " is " + col.type() + ", not vector: nothing to migrate");
    }
    if (col.dimensions() == null) {
      throw new VectorRequestException(schema + "." + table + "." + column + " has no fixed dimensions: declare it vector(n) first");
    }
    List<String> pk = Sql.list(c, """
        SELECT a.attname FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey)
         WHERE x.indrelid = format('%I.%I', ?::text, ?::text)::regclass AND x.indisprimary""",
        rs -> rs.getString(1), schema, table);
    if (pk.size() != 1) {
      throw new VectorRequestException(schema + "." + table + " needs a single-column primary key for a batched backfill");
    }
    boolean newExists = inv.column(schema, table, newColumn).isPresent();
    boolean trigger = !Sql.list(c, "SELECT 1 FROM pg_trigger WHERE tgrelid = format('%I.%I', ?::text, ?::text)::regclass"
        + " AND tgname = ?", rs -> 1, schema, table, triggerName(table, column)).isEmpty();
    long remaining = newExists ? Sql.one(c, "SELECT count(*) FROM " + qualified(schema, table) + " WHERE "
        + differs(column, newColumn, col.dimensions()), rs -> rs.getLong(1)) : -1;
    List<VectorIndex> oldIndexes = inv.indexes().stream()
        .filter(i -> i.schema().equals(schema) && i.table().equals(table) && column.equals(i.column())).toList();
    List<VectorIndex> newIndexes = inv.indexes().stream()
        .filter(i -> i.schema().equals(schema) && i.table().equals(table) && newColumn.equals(i.column())).toList();
    return new State(col, pk.get(0), newColumn, newExists, trigger, remaining, oldIndexes, newIndexes, swapped);
  }

  /** Rows whose values the halfvec cast would reject; 0 means the migration may go ahead. */
  public long outOfRange(State s) throws SQLException {
    return Sql.one(c, "SELECT count(*) FROM " + qualified(s.column()) + " WHERE " + Quoting.ident(s.column().column())
        + " IS NOT NULL AND EXISTS (SELECT 1 FROM unnest(" + Quoting.ident(s.column().column()) + "::real[]) x WHERE abs(x) > "
        + FP16_MAX + ")", rs -> rs.getLong(1));
  }

  /** Step 2: the new column and the trigger that keeps it in step with writes. Idempotent. */
  public void prepare(State s) throws SQLException {
    String t = qualified(s.column());
    String n = Integer.toString(s.column().dimensions());
    String col = Quoting.ident(s.column().column());
    String half = Quoting.ident(s.newColumn());
    try (Statement st = c.createStatement()) {
      st.execute("SET lock_timeout = '5s'");
      if (!s.newColumnExists()) {
        st.execute("ALTER TABLE " + t + " ADD COLUMN IF NOT EXISTS " + half + " halfvec(" + n + ")");
        log.accept("  added column " + s.newColumn() + " halfvec(" + n + ")");
      }
      st.execute("CREATE OR REPLACE FUNCTION " + Quoting.ident(s.column().schema()) + "." + Quoting.ident(triggerName(s.column().table(), s.column().column()))
          + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW." + half + " := NEW." + col + "::halfvec(" + n
          + "); RETURN NEW; END $$");
      if (!s.triggerExists()) {
        st.execute("CREATE TRIGGER " + Quoting.ident(triggerName(s.column().table(), s.column().column())) + " BEFORE INSERT OR UPDATE OF " + col
            + " ON " + t + " FOR EACH ROW EXECUTE FUNCTION " + Quoting.ident(s.column().schema()) + "."
            + Quoting.ident(triggerName(s.column().table(), s.column().column())) + "()");
        log.accept("  added trigger " + triggerName(s.column().table(), s.column().column()) + " (writes during the migration fill both columns)");
      }
      st.execute("RESET lock_timeout");
    }
  }

  /**
   * Step 3: backfills up to {@code maxBatches} batches (0: all), each committed, of at most {@code maxBatchRows} rows,
   * sized so each takes about {@code target} (see {@link BatchSizer}). Returns rows done.
   */
  public long backfill(State s, int maxBatchRows, Duration target, int maxBatches) throws SQLException {
    String t = qualified(s.column());
    String pk = Quoting.ident(s.primaryKey());
    String sql = "UPDATE " + t + " SET " + Quoting.ident(s.newColumn()) + " = " + Quoting.ident(s.column().column())
        + "::halfvec(" + s.column().dimensions() + ") WHERE " + pk + " IN (SELECT " + pk + " FROM " + t + " WHERE "
        + differs(s.column().column(), s.newColumn(), s.column().dimensions()) + " ORDER BY " + pk + " LIMIT ?)";
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    long done = 0;
    BatchSizer sizer = new BatchSizer(maxBatchRows, target);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int batch = 0; maxBatches == 0 || batch < maxBatches; batch++) {
        int rows = sizer.next();
        ps.setInt(1, rows);
        long start = System.nanoTime();
        int n = ps.executeUpdate();
        c.commit();
        long nanos = System.nanoTime() - start;
        if (n == 0) {
          break;
        }
        sizer.took(n, nanos);
        done += n;
        log.accept(String.format("  backfilled %,d rows (batch of %,d in %d ms)", done, n, nanos / 1_000_000));
      }
    } finally {
      c.setAutoCommit(auto);
    }
    return done;
  }

  /** Step 5: one short transaction renames columns and indexes; {@code newIndexNames} are the rebuilt indexes by old name. */
  public void swap(State s, List<String[]> renamedIndexes) throws SQLException {
    String t = qualified(s.column());
    String schema = Quoting.ident(s.column().schema());
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SET LOCAL lock_timeout = '5s'");
      st.execute("DROP TRIGGER IF EXISTS " + Quoting.ident(triggerName(s.column().table(), s.column().column())) + " ON " + t);
      st.execute("ALTER TABLE " + t + " RENAME COLUMN " + Quoting.ident(s.column().column()) + " TO "
          + Quoting.ident(s.column().column() + "_vector_old"));
      st.execute("ALTER TABLE " + t + " RENAME COLUMN " + Quoting.ident(s.newColumn()) + " TO " + Quoting.ident(s.column().column()));
      for (String[] r : renamedIndexes) {
        st.execute("ALTER INDEX " + schema + "." + Quoting.ident(r[0]) + " RENAME TO " + Quoting.ident(r[0] + "_vector_old"));
        st.execute("ALTER INDEX " + schema + "." + Quoting.ident(r[1]) + " RENAME TO " + Quoting.ident(r[0]));
      }
      st.execute("DROP FUNCTION IF EXISTS " + schema + "." + Quoting.ident(triggerName(s.column().table(), s.column().column())) + "()");
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /**
   * Rows whose new column does not hold the old column's value: not yet backfilled, or changed by a write the trigger
   * did not see. Every row is compared, so the swap never publishes a stale value.
   */
  private static String differs(String column, String newColumn, int dimensions) {
    return Quoting.ident(newColumn) + " IS DISTINCT FROM " + Quoting.ident(column) + "::halfvec(" + dimensions + ")";
  }

  /**
   * Compares every row of the two columns (count of values and of rows that differ) right before the swap. The swap
   * runs only when this finds none; the trigger keeps later writes in step until it is dropped in the same transaction.
   */
  public record Comparison(long rows, long values, long differing) {}

  public Comparison compare(State s) throws SQLException {
    String col = Quoting.ident(s.column().column());
    return Sql.one(c, "SELECT count(*), count(" + col + "), count(*) FILTER (WHERE "
        + differs(s.column().column(), s.newColumn(), s.column().dimensions()) + ") FROM " + qualified(s.column()),
        rs -> new Comparison(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
  }

  /**
   * The sync trigger's (and its function's) name: one per column, so migrating a second column of a table never
   * replaces the first one's. Long names are shortened with a hash, as PostgreSQL would cut them at 63 bytes.
   */
  public static String triggerName(String table, String column) {
    String name = "pgopt_halfvec_" + table + "_" + column;
    if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 63) {
      return name;
    }
    String hash = Integer.toHexString((table + "\u0000" + column).hashCode());
    return "pgopt_halfvec_" + hash;
  }

  private static String qualified(VectorColumn c) {
    return qualified(c.schema(), c.table());
  }

  private static String qualified(String schema, String table) {
    return Quoting.ident(schema) + "." + Quoting.ident(table);
  }

}

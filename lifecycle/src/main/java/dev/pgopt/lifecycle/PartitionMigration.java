package dev.pgopt.lifecycle;

import dev.pgopt.apply.AuditLog;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns a live table into a range-partitioned one while it is written to. A partitioned copy is built beside it; a
 * trigger on the table applies every insert, update and delete to the copy in the same transaction; batches copy the
 * rows that were there (keyset by primary key, each batch holding share locks on its rows only, progress saved in the
 * batch's transaction so a killed run resumes where it stopped); both tables are compared in one snapshot (row count
 * and checksum); then, under one short ACCESS EXCLUSIVE lock, the names are swapped and a trigger the other way keeps
 * the original in step, so {@code undo} stays possible until {@code finish} drops it. Every step is a row in
 * {@code pgopt.actions}; the progress is in {@code pgopt.partition_migrations}.
 */
public final class PartitionMigration {
  private static final Set<String> TIME_TYPES = Set.of("date", "timestamp without time zone", "timestamp with time zone");
  private static final Map<String, String> TRUNC = Map.of("1 year", "year", "1 month", "month", "7 days", "week",
      "1 day", "day", "1 hour", "hour");
  private static final String STATE = "pgopt.partition_migrations";
  private static final String SYNC_FLAG = "pgopt.partition_sync";

  /** Where a migration stands. */
  public record Progress(String step, List<String> lastPk, long rowsCopied) {}

  private final Duration lockTimeout;
  private final int attempts;

  public PartitionMigration(Duration lockTimeout, int attempts) {
    this.lockTimeout = lockTimeout;
    this.attempts = attempts;
  }

  /** Everything the migration would do and everything that stops it, read from the catalog; changes nothing. */
  public static MigrationPlan plan(Connection c, String table, String column, String interval, int premake) throws SQLException {
    List<String> refusals = new ArrayList<>();
    List<String> changes = new ArrayList<>();
    String[] t;
    try {
      t = Sql.list(c, """
          SELECT n.nspname, c.relname, c.relkind::text, c.reltuples::bigint, c.relrowsecurity
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(?)""",
          rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)}, table)
          .stream().findFirst().orElse(null);
    } catch (SQLException e) {
      if ("42602".equals(e.getSQLState()) || "42601".equals(e.getSQLState())) {
        throw new LifecycleException("no table '" + table + "': that is not a table name (give schema.table)");
      }
      throw e;
    }
    if (t == null) {
      throw new LifecycleException("no table '" + table + "' (give schema.table)");
    }
    String schema = t[0];
    String name = t[1];
    String rel = Quoting.ident(schema) + "." + Quoting.ident(name);
    if (t[2].equals("p")) {
      throw new LifecycleException(rel + " is partitioned already");
    }
    if (!t[2].equals("r")) {
      throw new LifecycleException(rel + " is not a table");
    }
    List<String[]> col = Sql.list(c, "SELECT format_type(atttypid, atttypmod), attnotnull FROM pg_attribute"
        + " WHERE attrelid = ?::regclass AND attname = ? AND attnum > 0 AND NOT attisdropped",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, rel, column);
    if (col.isEmpty()) {
      throw new LifecycleException(rel + " has no column '" + column + "'");
    }
    String keyType = col.get(0)[0];
    if (!TIME_TYPES.contains(keyType)) {
      throw new LifecycleException(rel + "." + column + " is " + keyType + "; partitioning by time needs a date or timestamp column");
    }
    boolean intervalOk;
    try {
      intervalOk = Sql.one(c, "SELECT ?::interval > interval '0'", rs -> rs.getBoolean(1), interval);
    } catch (SQLException e) {
      throw new LifecycleException("'" + interval + "' is not an interval: give e.g. '1 month', '7 days'");
    }
    if (!intervalOk) {
      throw new LifecycleException("the interval '" + interval + "' must be longer than nothing");
    }
    if (premake < 1 || premake > 1000) {
      throw new LifecycleException("premake must be from 1 to 1000 intervals, not " + premake);
    }
    String q = Quoting.ident(column);
    if (!"t".equals(col.get(0)[1])
        && Sql.one(c, "SELECT EXISTS (SELECT 1 FROM " + rel + " WHERE " + q + " IS NULL)", rs -> rs.getBoolean(1))) {
      refusals.add(column + " has NULLs: a row without a time has no partition (set them, or make the column NOT NULL)");
    }
    List<String[]> pk = Sql.list(c, """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY k.ord""",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, rel);
    List<String> pkCols = pk.stream().map(x -> x[0]).toList();
    List<String> pkTypes = pk.stream().map(x -> x[1]).toList();
    if (pk.isEmpty()) {
      refusals.add("a primary key is needed (the sync trigger and the batches find rows by it); " + rel + " has none");
    } else if (!pkCols.contains(column)) {
      String was = String.join(", ", pkCols);
      changes.add("primary key (" + was + ") becomes (" + was + ", " + column + "): a key of a partitioned table must"
          + " include the partition column; (" + was + ") stays unique as long as what fills it (a sequence) keeps it so");
    }
    for (String fk : Sql.list(c, "SELECT conname || ' on ' || conrelid::regclass::text FROM pg_constraint"
        + " WHERE contype = 'f' AND confrelid = ?::regclass", rs -> rs.getString(1), rel)) {
      refusals.add("foreign key " + fk + " points at it: a foreign key to a partitioned table must cover the whole new key;"
          + " drop it first and add it back against the new key");
    }
    for (String v : Sql.list(c, """
        SELECT DISTINCT r.ev_class::regclass::text FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
        WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = ?::regclass AND r.ev_class <> d.refobjid""",
        rs -> rs.getString(1), rel)) {
      refusals.add("view " + v + " reads it and would keep reading the old table after the swap: drop it first, create it again after");
    }
    for (String tr : Sql.list(c, "SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal",
        rs -> rs.getString(1), rel)) {
      refusals.add("trigger " + tr + " is on it and would not move to the partitioned table: drop it first, create it again after");
    }
    if ("t".equals(t[4]) || !Sql.list(c, "SELECT 1 FROM pg_policy WHERE polrelid = ?::regclass", rs -> 1, rel).isEmpty()) {
      refusals.add("row-level security is on it: its policies would not move; not handled yet");
    }
    if (!Sql.list(c, "SELECT 1 FROM pg_inherits WHERE inhrelid = ?::regclass OR inhparent = ?::regclass", rs -> 1, rel, rel).isEmpty()) {
      refusals.add("it takes part in table inheritance");
    }
    String newTable = shorten(name, "__pgopt_new");
    String oldTable = shorten(name, "__pgopt_old");
    List<String> indexes = new ArrayList<>();
    for (String[] ix : Sql.list(c, """
        SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique,
               EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k
                       WHERE a.attname = ?)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = ?::regclass AND NOT i.indisprimary ORDER BY c.relname""",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)}, column, rel)) {
      if ("t".equals(ix[2]) && !"t".equals(ix[3])) {
        refusals.add("unique index " + ix[0] + " does not include " + column + ": uniqueness cannot hold across partitions;"
            + " drop it or make it (…, " + column + ")");
        continue;
      }
      // HNSW and IVFFlat on the empty copy would be grown row by row during the copy, and IVFFlat's lists trained on
      // no rows: made ON ONLY the parent, they are built per partition after the copy (buildPartitionIndexes)
      boolean ann = ANN_INDEX.matcher(ix[1]).find();
      String def = ix[1].replaceFirst(" ON (ONLY )?" + java.util.regex.Pattern.quote(rel) + " ", " ON " + (ann ? "ONLY " : "")
          + Quoting.ident(schema) + "." + Quoting.ident(newTable) + " ");
      def = def.replaceFirst("INDEX " + java.util.regex.Pattern.quote(Quoting.ident(ix[0])) + " ", "INDEX "
          + Quoting.ident(shorten(ix[0], "_p")) + " ");
      indexes.add(def);
    }
    List<String> fks = Sql.list(c, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'"
        + " AND conrelid = ?::regclass ORDER BY conname", rs -> "ALTER TABLE " + Quoting.ident(schema) + "."
        + Quoting.ident(newTable) + " ADD CONSTRAINT " + Quoting.ident(shorten(rs.getString(1), "_p")) + " " + rs.getString(2), rel);
    // partitions from the oldest row's period to premake intervals past now (or past the newest row)
    List<String> partitions = new ArrayList<>();
    String[] range = Sql.one(c, "SELECT min(" + q + ")::text, max(" + q + ")::text FROM " + rel,
        rs -> new String[] {rs.getString(1), rs.getString(2)});
    String trunc = TRUNC.get(interval.strip().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT)
        .replace("1 week", "7 days"));
    String start = range[0] == null ? Sql.one(c, "SELECT now()::" + keyType + "::text", rs -> rs.getString(1)) : range[0];
    if (trunc != null) {
      start = Sql.one(c, "SELECT date_trunc(?, ?::" + keyType + ")::" + keyType + "::text", rs -> rs.getString(1), trunc, start);
    }
    String until = Sql.one(c, "SELECT greatest(now()::" + keyType + ", coalesce(?::" + keyType + ", now()::" + keyType + "))"
        + " + ?::interval * ?", rs -> rs.getString(1), range[1], interval, premake);
    String from = start;
    while (Sql.one(c, "SELECT ?::" + keyType + " < ?::" + keyType, rs -> rs.getBoolean(1), from, until)) {
      if (partitions.size() >= PartitionMaintenance.MAX_NEW) {
        throw new LifecycleException("partitioning " + rel + " by " + interval + " from " + start + " would make more than "
            + PartitionMaintenance.MAX_NEW + " partitions: choose a longer interval");
      }
      String to = Sql.one(c, "SELECT (?::" + keyType + " + ?::interval)::" + keyType + "::text", rs -> rs.getString(1), from, interval);
      boolean subDay = Sql.one(c, "SELECT ?::interval < interval '1 day'", rs -> rs.getBoolean(1), interval);
      String suffix = Sql.one(c, "SELECT to_char(?::timestamp, ?)", rs -> rs.getString(1), from, subDay ? "YYYYMMDD_HH24MI" : "YYYYMMDD");
      String part = shorten(name, "_p" + suffix);
      partitions.add("CREATE TABLE " + Quoting.ident(schema) + "." + Quoting.ident(part) + " PARTITION OF "
          + Quoting.ident(schema) + "." + Quoting.ident(newTable) + " FOR VALUES FROM ('" + from + "') TO ('" + to + "')");
      from = to;
    }
    partitions.add("CREATE TABLE " + Quoting.ident(schema) + "." + Quoting.ident(shorten(name, "_default")) + " PARTITION OF "
        + Quoting.ident(schema) + "." + Quoting.ident(newTable) + " DEFAULT");
    for (String candidate : List.of(newTable, oldTable, shorten(name, "_default"))) {
      if (!Sql.list(c, "SELECT 1 FROM pg_class WHERE relnamespace = ?::regnamespace AND relname = ?", rs -> 1,
          Quoting.ident(schema), candidate).isEmpty()) {
        refusals.add(schema + "." + candidate + " exists already (a migration under way? pgopt partition migrate --status)");
      }
    }
    return new MigrationPlan(schema, name, column, keyType, interval, pkCols, pkTypes, newTable, oldTable,
        Long.parseLong(t[3]), partitions, indexes, fks, changes, refusals);
  }

  /** The migration of {@code schema.table} under way, if any. */
  public static Optional<Progress> progress(Connection c, String schema, String table) throws SQLException {
    if (Sql.list(c, "SELECT 1 FROM pg_class WHERE oid = to_regclass(?)", rs -> 1, STATE).isEmpty()) {
      return Optional.empty();
    }
    return Sql.list(c, "SELECT step, last_pk, rows_copied FROM " + STATE + " WHERE schema_name = ? AND table_name = ?",
        rs -> new Progress(rs.getString(1), textArray(rs.getArray(2)), rs.getLong(3)), schema, table).stream().findFirst();
  }

  /**
   * Builds the partitioned copy, its partitions, indexes and foreign keys, and the trigger that keeps it in step, in
   * one transaction (all or nothing); the trigger's lock on the table is waited for {@code lockTimeout} per attempt.
   */
  public void prepare(Connection c, MigrationPlan p) throws SQLException {
    if (!p.refusals().isEmpty()) {
      throw new LifecycleException("cannot migrate " + p.qualified() + ": " + p.refusals().get(0));
    }
    c.setAutoCommit(true);
    AuditLog.ensure(c);
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + STATE + " (schema_name text NOT NULL, table_name text NOT NULL,"
          + " column_name text NOT NULL, new_table text NOT NULL, old_table text NOT NULL, pk text[] NOT NULL, pk_type text[] NOT NULL,"
          + " step text NOT NULL, last_pk text[], rows_copied bigint NOT NULL DEFAULT 0, started_at timestamptz NOT NULL DEFAULT now(),"
          + " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, table_name))");
    }
    long action = AuditLog.start(c, "partition:" + p.schema() + "." + p.table(), "partition.migrate",
        "prepare: CREATE TABLE " + p.newTable() + " PARTITION BY RANGE (" + p.column() + "), " + (p.partitions().size())
            + " partitions, sync trigger", "pgopt partition migrate --undo --table " + p.schema() + "." + p.table(), null);
    String rel = p.qualified();
    String target = Quoting.ident(p.schema()) + "." + Quoting.ident(p.newTable());
    String cols = insertColumns(c, rel);
    audited(c, action, () -> lockedTransaction(c, s -> {
      s.execute(Sql.OWN_MARK + "CREATE TABLE " + target + " (LIKE " + rel + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
          + " INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ("
          + Quoting.ident(p.column()) + ")");
      List<String> key = new ArrayList<>(p.pk());
      if (!key.contains(p.column())) {
        key.add(p.column());
      }
      s.execute(Sql.OWN_MARK + "ALTER TABLE " + target + " ADD PRIMARY KEY (" + key.stream().map(Quoting::ident)
          .collect(Collectors.joining(", ")) + ")");
      for (String ddl : p.partitions()) {
        s.execute(Sql.OWN_MARK + ddl);
      }
      for (String ddl : p.indexes()) {
        s.execute(Sql.OWN_MARK + ddl);
      }
      for (String ddl : p.foreignKeys()) {
        s.execute(Sql.OWN_MARK + ddl);
      }
      copyPrivileges(c, s, rel, target);
      s.execute(Sql.OWN_MARK + syncFunction(p.pk(), rel, target, "pgopt." + Quoting.ident(function(p, "sync")), cols, true));
      s.execute(Sql.OWN_MARK + "CREATE TRIGGER pgopt_partition_sync AFTER INSERT OR UPDATE OR DELETE ON " + rel
          + " FOR EACH ROW EXECUTE FUNCTION pgopt." + Quoting.ident(function(p, "sync")) + "()");
      // the trigger back to the original is made now, on the empty copy: made at the swap it would wait under the
      // table's lock for autovacuum on the copy's partitions. Until the swap every write to the copy comes from
      // the forward trigger or a batch, which set pgopt.partition_sync for their transaction; the trigger back
      // skips those (a flag, not a query per row)
      String old = Quoting.ident(p.schema()) + "." + Quoting.ident(p.oldTable());
      String back = "pgopt." + Quoting.ident(function(p, "back"));
      s.execute(Sql.OWN_MARK + syncFunction(p.pk(), target, old, back, cols, false));
      s.execute(Sql.OWN_MARK + "CREATE TRIGGER pgopt_partition_back AFTER INSERT OR UPDATE OR DELETE ON " + target
          + " FOR EACH ROW EXECUTE FUNCTION " + back + "()");
      Sql.list(c, "INSERT INTO " + STATE + " (schema_name, table_name, column_name, new_table, old_table, pk, pk_type, step)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, 'backfill') RETURNING 1", rs -> 1, p.schema(), p.table(), p.column(), p.newTable(),
          p.oldTable(), c.createArrayOf("text", p.pk().toArray()), c.createArrayOf("text", p.pkTypes().toArray()));
    }));
  }

  /**
   * Copies the rows that were there before the trigger, resuming after the last saved key. Each batch locks only its
   * own rows (FOR SHARE: a writer updating one of them waits for the batch) for its transaction, so batches are sized
   * by time: starting at {@code firstBatch} rows, each next one is scaled so it takes about {@code batchTime} (100 to
   * 100,000 rows). Stops after {@code maxBatches} (a run cut short on purpose) or when no row is left.
   */
  public Progress backfill(Connection c, String schema, String table, int firstBatch, Duration batchTime, long maxBatches)
      throws SQLException {
    int batch = Math.max(1, firstBatch);
    Progress pr = progress(c, schema, table).orElseThrow(() -> new LifecycleException("no migration of " + schema + "." + table
        + " under way: start one with pgopt partition migrate --execute"));
    if (!pr.step().equals("backfill")) {
      return pr;
    }
    record State(String newTable, List<String> pk, List<String> types) {}
    State st = Sql.one(c, "SELECT new_table, pk, pk_type FROM " + STATE + " WHERE schema_name = ? AND table_name = ?",
        rs -> new State(rs.getString(1), textArray(rs.getArray(2)), textArray(rs.getArray(3))), schema, table);
    String rel = Quoting.ident(schema) + "." + Quoting.ident(table);
    String target = Quoting.ident(schema) + "." + Quoting.ident(st.newTable());
    String keyCols = st.pk().stream().map(Quoting::ident).collect(Collectors.joining(", "));
    // qualified: a bare name in ORDER BY would mean the output column of the same name, the key as text
    String keyDesc = st.pk().stream().map(k -> "b." + Quoting.ident(k) + " DESC").collect(Collectors.joining(", "));
    String keyText = st.pk().stream().map(k -> Quoting.ident(k) + "::text").collect(Collectors.joining(", "));
    StringBuilder after = new StringBuilder();
    for (int i = 0; i < st.pk().size(); i++) {
      after.append(i == 0 ? "" : ", ").append("?::").append(st.types().get(i));
    }
    String cols = insertColumns(c, rel);
    List<String> last = pr.lastPk();
    long copied = pr.rowsCopied();
    c.setAutoCommit(false);
    try {
      for (long n = 0; n < maxBatches; n++) {
        // keyset: the rows after the last copied key, in key order; the newest key and the count come back
        String sql = "WITH b AS (SELECT * FROM " + rel + (last == null ? "" : " WHERE (" + keyCols + ") > (" + after + ")")
            + " ORDER BY " + keyCols + " LIMIT " + batch + " FOR SHARE), ins AS (INSERT INTO " + target + " (" + cols
            + ") OVERRIDING SYSTEM VALUE SELECT " + cols + " FROM b ON CONFLICT DO NOTHING) SELECT count(*) OVER (), " + keyText
            + " FROM b ORDER BY " + keyDesc + " LIMIT 1";
        long t0 = System.nanoTime();
        Sql.one(c, "SELECT set_config('" + SYNC_FLAG + "', 'on', true)", rs -> 1);
        int width = st.pk().size();
        List<List<String>> rows = Sql.list(c, Sql.OWN_MARK + sql, rs -> {
          List<String> row = new ArrayList<>();
          for (int i = 0; i <= width; i++) {
            row.add(rs.getString(i + 1));
          }
          return row;
        }, last == null ? new Object[0] : last.toArray());
        long got = rows.isEmpty() ? 0 : Long.parseLong(rows.get(0).get(0));
        if (got == 0) {
          Sql.list(c, "UPDATE " + STATE + " SET step = 'verify', updated_at = now() WHERE schema_name = ? AND table_name = ?"
              + " RETURNING 1", rs -> 1, schema, table);
          c.commit();
          return new Progress("verify", last, copied);
        }
        last = rows.get(0).subList(1, width + 1);
        copied += got;
        Sql.list(c, "UPDATE " + STATE + " SET last_pk = ?, rows_copied = ?, updated_at = now() WHERE schema_name = ?"
            + " AND table_name = ? RETURNING 1", rs -> 1, c.createArrayOf("text", last.toArray()), copied, schema, table);
        c.commit();
        double took = Math.max(1, (System.nanoTime() - t0) / 1e6);
        batch = (int) Math.max(100, Math.min(100_000, batch * batchTime.toMillis() / took));
      }
      return new Progress("backfill", last, copied);
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /**
   * Builds the partitions' indexes left for after the copy ({@link #buildPartitionIndexes}), then compares both tables
   * in one snapshot: the trigger changes them in the same transactions, so any snapshot sees them equal when the copy
   * is complete. Writers are not blocked.
   */
  public PartitionArchive.Checksum[] verify(Connection c, String schema, String table) throws SQLException {
    String[] st = Sql.one(c, "SELECT new_table, step FROM " + STATE + " WHERE schema_name = ? AND table_name = ?",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, schema, table);
    if (!st[1].equals("verify") && !st[1].equals("swap")) {
      throw new LifecycleException("the migration of " + schema + "." + table + " is at " + st[1] + ", not ready to verify");
    }
    buildPartitionIndexes(c, schema, table);
    String rel = Quoting.ident(schema) + "." + Quoting.ident(table);
    String target = Quoting.ident(schema) + "." + Quoting.ident(st[0]);
    c.setAutoCommit(false);
    try {
      try (Statement s = c.createStatement()) {
        s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      }
      List<ArchiveManifest.Column> cols = PartitionArchive.columns(c, rel);
      PartitionArchive.Checksum a = PartitionArchive.checksum(c, rel, cols);
      PartitionArchive.Checksum b = PartitionArchive.checksum(c, target, cols);
      c.commit();
      if (a.rows() != b.rows() || !a.sum().equals(b.sum())) {
        throw new LifecycleException(String.format("the partitioned copy differs from %s (%d rows, checksum %s; the"
            + " table: %d, %s): not swapped; pgopt partition migrate --undo, then start again", rel, b.rows(), b.sum(),
            a.rows(), a.sum()));
      }
      Sql.list(c, "UPDATE " + STATE + " SET step = 'swap', updated_at = now() WHERE schema_name = ? AND table_name = ?"
          + " RETURNING 1", rs -> 1, schema, table);
      return new PartitionArchive.Checksum[] {a, b};
    } catch (SQLException | RuntimeException e) {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /**
   * Swaps the names under one ACCESS EXCLUSIVE lock on the table (waited for {@code lockTimeout}, tried
   * {@code attempts} times): the copy takes the table's name, sequences and identity follow it, and the trigger back
   * (made idle at the start) keeps the original in step for {@link #undo}. Returns how long the lock was held, in milliseconds.
   */
  public long swap(Connection c, String schema, String table) throws SQLException {
    String[] st = Sql.one(c, "SELECT new_table, old_table, step, column_name FROM " + STATE
        + " WHERE schema_name = ? AND table_name = ?", rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3),
        rs.getString(4)}, schema, table);
    if (!st[2].equals("swap")) {
      throw new LifecycleException("the migration of " + schema + "." + table + " is at " + st[2] + ": verify it before the swap");
    }
    String rel = Quoting.ident(schema) + "." + Quoting.ident(table);
    String copy = Quoting.ident(schema) + "." + Quoting.ident(st[0]);
    long action = AuditLog.start(c, "partition:" + schema + "." + table, "partition.migrate", "swap: " + table + " -> "
        + st[1] + ", " + st[0] + " -> " + table, "pgopt partition migrate --undo --table " + schema + "." + table, null);
    long[] held = new long[1];
    long[] t0 = new long[1];
    audited(c, action, () -> {
      lockedTransaction(c, s -> {
        s.execute(Sql.OWN_MARK + "LOCK TABLE " + rel + " IN ACCESS EXCLUSIVE MODE");
        t0[0] = System.nanoTime();
        s.execute(Sql.OWN_MARK + "DROP TRIGGER pgopt_partition_sync ON " + rel);
        moveSequences(c, s, rel, copy);
        s.execute(Sql.OWN_MARK + "ALTER TABLE " + rel + " RENAME TO " + Quoting.ident(st[1]));
        s.execute(Sql.OWN_MARK + "ALTER TABLE " + copy + " RENAME TO " + Quoting.ident(table));
        Sql.list(c, "UPDATE " + STATE + " SET step = 'swapped', updated_at = now() WHERE schema_name = ? AND table_name = ?"
            + " RETURNING 1", rs -> 1, schema, table);
      });
      held[0] = (System.nanoTime() - t0[0]) / 1_000_000;
    });
    try (Statement s = c.createStatement()) {
      s.execute(Sql.OWN_MARK + "ANALYZE " + rel);
    }
    return held[0];
  }

  /** Back to where it started: before the swap the copy is dropped; after it the names go back and then it is. */
  public void undo(Connection c, String schema, String table) throws SQLException {
    Progress pr = progress(c, schema, table).orElseThrow(() -> new LifecycleException("no migration of " + schema + "." + table
        + " under way"));
    String[] st = Sql.one(c, "SELECT new_table, old_table FROM " + STATE + " WHERE schema_name = ? AND table_name = ?",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, schema, table);
    String rel = Quoting.ident(schema) + "." + Quoting.ident(table);
    long action = AuditLog.start(c, "partition:" + schema + "." + table, "partition.migrate", "undo at " + pr.step(), null, null);
    audited(c, action, () -> lockedTransaction(c, s -> {
      if (pr.step().equals("swapped")) {
        String old = Quoting.ident(schema) + "." + Quoting.ident(st[1]);
        s.execute(Sql.OWN_MARK + "LOCK TABLE " + rel + ", " + old + " IN ACCESS EXCLUSIVE MODE");
        s.execute(Sql.OWN_MARK + "DROP TRIGGER pgopt_partition_back ON " + rel);
        moveSequences(c, s, rel, old);
        s.execute(Sql.OWN_MARK + "ALTER TABLE " + rel + " RENAME TO " + Quoting.ident(st[0]));
        s.execute(Sql.OWN_MARK + "ALTER TABLE " + old + " RENAME TO " + Quoting.ident(table));
        s.execute(Sql.OWN_MARK + "DROP TABLE " + Quoting.ident(schema) + "." + Quoting.ident(st[0]));
        s.execute(Sql.OWN_MARK + "DROP FUNCTION IF EXISTS pgopt." + Quoting.ident(function(schema, table, "back")) + "()");
      } else {
        s.execute(Sql.OWN_MARK + "DROP TRIGGER IF EXISTS pgopt_partition_sync ON " + rel);
        s.execute(Sql.OWN_MARK + "DROP TABLE IF EXISTS " + Quoting.ident(schema) + "." + Quoting.ident(st[0]));
      }
      s.execute(Sql.OWN_MARK + "DROP FUNCTION IF EXISTS pgopt." + Quoting.ident(function(schema, table, "sync")) + "()");
      Sql.list(c, "DELETE FROM " + STATE + " WHERE schema_name = ? AND table_name = ? RETURNING 1", rs -> 1, schema, table);
    }));
  }

  /** After the swap: drops the original (kept in step until now) and its trigger; there is no undo after this. */
  public void finish(Connection c, String schema, String table) throws SQLException {
    Progress pr = progress(c, schema, table).orElseThrow(() -> new LifecycleException("no migration of " + schema + "." + table
        + " under way"));
    if (!pr.step().equals("swapped")) {
      throw new LifecycleException("the migration of " + schema + "." + table + " is at " + pr.step() + "; finish comes after the swap");
    }
    String old = Quoting.ident(schema) + "." + Quoting.ident(Sql.one(c, "SELECT old_table FROM " + STATE
        + " WHERE schema_name = ? AND table_name = ?", rs -> rs.getString(1), schema, table));
    String rel = Quoting.ident(schema) + "." + Quoting.ident(table);
    long action = AuditLog.start(c, "partition:" + schema + "." + table, "partition.migrate", "finish: DROP TABLE " + old, null, null);
    audited(c, action, () -> lockedTransaction(c, s -> {
      s.execute(Sql.OWN_MARK + "DROP TRIGGER pgopt_partition_back ON " + rel);
      s.execute(Sql.OWN_MARK + "DROP TABLE " + old);
      s.execute(Sql.OWN_MARK + "DROP FUNCTION IF EXISTS pgopt." + Quoting.ident(function(schema, table, "back")) + "()");
      // the names the original's key and indexes had are free now
      for (String[] ix : Sql.list(c, """
          SELECT c.relname, i.indisprimary FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = ?::regclass""", rs -> new String[] {rs.getString(1), rs.getString(2)}, rel)) {
        String want = "t".equals(ix[1]) ? shorten(table, "_pkey") : ix[0].endsWith("_p") ? ix[0].substring(0, ix[0].length() - 2) : null;
        if (want != null && !want.equals(ix[0]) && Sql.list(c, "SELECT 1 FROM pg_class WHERE relnamespace = ?::regnamespace"
            + " AND relname = ?", rs -> 1, Quoting.ident(schema), want).isEmpty()) {
          s.execute(Sql.OWN_MARK + "ALTER INDEX " + Quoting.ident(schema) + "." + Quoting.ident(ix[0]) + " RENAME TO "
              + Quoting.ident(want));
        }
      }
      s.execute(Sql.OWN_MARK + "DROP FUNCTION IF EXISTS pgopt." + Quoting.ident(function(schema, table, "sync")) + "()");
      Sql.list(c, "DELETE FROM " + STATE + " WHERE schema_name = ? AND table_name = ? RETURNING 1", rs -> 1, schema, table);
    }));
  }

  /** Serial sequences move to the table that takes the name; identity sequences are set past what the other gave. */
  private static void moveSequences(Connection c, Statement s, String from, String to) throws SQLException {
    for (String[] col : Sql.list(c, "SELECT attname, attidentity::text, pg_get_serial_sequence(?, attname) FROM pg_attribute"
        + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped AND pg_get_serial_sequence(?, attname) IS NOT NULL",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}, from, from, from)) {
      if (col[1].isEmpty()) {
        s.execute(Sql.OWN_MARK + "ALTER SEQUENCE " + col[2] + " OWNED BY " + to + "." + Quoting.ident(col[0]));
      } else {
        String toSeq = Sql.one(c, "SELECT pg_get_serial_sequence(?, ?)", rs -> rs.getString(1), to, col[0]);
        s.execute(Sql.OWN_MARK + "SELECT setval('" + toSeq.replace("'", "''") + "', greatest((SELECT last_value FROM " + col[2]
            + "), (SELECT last_value FROM " + toSeq + ")))");
      }
    }
  }

  /** The table's privileges granted on the copy too, and its owner. */
  private static void copyPrivileges(Connection c, Statement s, String from, String to) throws SQLException {
    String owner = Sql.one(c, "SELECT relowner::regrole::text FROM pg_class WHERE oid = ?::regclass", rs -> rs.getString(1), from);
    if (!owner.equals(Sql.one(c, "SELECT current_user::text", rs -> rs.getString(1)))) {
      s.execute(Sql.OWN_MARK + "ALTER TABLE " + to + " OWNER TO " + owner);
    }
    for (String[] g : Sql.list(c, "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, a.privilege_type"
        + " FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = ?::regclass AND a.grantee <> c.relowner",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, from)) {
      s.execute(Sql.OWN_MARK + "GRANT " + g[1] + " ON " + to + " TO " + g[0]);
    }
  }

  /** The columns an insert names: all but generated ones (the target computes them). */
  private static String insertColumns(Connection c, String rel) throws SQLException {
    return Sql.list(c, "SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
        + " AND attgenerated = '' ORDER BY attnum", rs -> Quoting.ident(rs.getString(1)), rel).stream()
        .collect(Collectors.joining(", "));
  }

  /**
   * A row trigger's function applying each change of {@code from} to {@code to}, by primary key. The forward one
   * marks its transaction ({@code pgopt.partition_sync}); the one back does nothing in a marked transaction.
   */
  private static String syncFunction(List<String> pk, String from, String to, String name, String cols, boolean forward) {
    String newCols = java.util.Arrays.stream(cols.split(", ")).map(col -> "NEW." + col).collect(Collectors.joining(", "));
    String match = pk.stream().map(k -> Quoting.ident(k) + " = OLD." + Quoting.ident(k)).collect(Collectors.joining(" AND "));
    String guard = forward ? "  PERFORM set_config('" + SYNC_FLAG + "', 'on', true);\n"
        : "  IF current_setting('" + SYNC_FLAG + "', true) = 'on' THEN\n    RETURN NULL;\n  END IF;\n";
    return "CREATE OR REPLACE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $pgopt$\nBEGIN\n" + guard
        + "  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n    DELETE FROM " + to + " WHERE " + match + ";\n  END IF;\n  IF TG_OP IN ('INSERT', 'UPDATE') THEN\n    INSERT INTO " + to + " (" + cols
        + ") OVERRIDING SYSTEM VALUE VALUES (" + newCols + ") ON CONFLICT DO NOTHING;\n  END IF;\n  RETURN NULL;\nEND\n$pgopt$";
  }

  private static String function(MigrationPlan p, String kind) {
    return function(p.schema(), p.table(), kind);
  }

  private static String function(String schema, String table, String kind) {
    return shorten("partition_" + kind + "_" + schema + "_" + table, "");
  }

  private static List<String> textArray(java.sql.Array a) throws SQLException {
    return a == null ? null : List.of((String[]) a.getArray());
  }

  /** {@code name + suffix} within PostgreSQL's 63 bytes. */
  static String shorten(String name, String suffix) {
    int room = 63 - suffix.length();
    String base = name;
    while (base.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > room) {
      base = base.substring(0, base.length() - 1);
    }
    return base + suffix;
  }

  /** An index a bulk build makes better than growing it row by row: pgvector's graph and list indexes. */
  private static final java.util.regex.Pattern ANN_INDEX = java.util.regex.Pattern.compile(" USING (hnsw|ivfflat) ");

  /**
   * Builds, for each index made ON ONLY the partitioned copy, its partitions' indexes that are missing, each CREATE
   * INDEX CONCURRENTLY (writers and the sync trigger go on) and attached; the parent index is valid once all are. An
   * index a failed run left invalid is dropped and built again. Returns the indexes built.
   */
  public List<String> buildPartitionIndexes(Connection c, String schema, String table) throws SQLException {
    String newTable = Sql.one(c, "SELECT new_table FROM " + STATE + " WHERE schema_name = ? AND table_name = ?",
        rs -> rs.getString(1), schema, table);
    String target = Quoting.ident(schema) + "." + Quoting.ident(newTable);
    record Missing(String parent, String definition, String partitionSchema, String partition) {}
    List<Missing> missing = Sql.list(c, """
        SELECT pi.relname, pg_get_indexdef(pi.oid), ln.nspname, l.relname
          FROM pg_index px JOIN pg_class pi ON pi.oid = px.indexrelid
          JOIN pg_inherits h ON h.inhparent = px.indrelid
          JOIN pg_class l ON l.oid = h.inhrelid JOIN pg_namespace ln ON ln.oid = l.relnamespace
         WHERE px.indrelid = ?::regclass AND NOT px.indisvalid
           AND NOT EXISTS (SELECT 1 FROM pg_inherits ih JOIN pg_index cx ON cx.indexrelid = ih.inhrelid
                            WHERE ih.inhparent = px.indexrelid AND cx.indrelid = l.oid)
         ORDER BY l.relname, pi.relname""",
        rs -> new Missing(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)), target);
    List<String> built = new ArrayList<>();
    if (missing.isEmpty()) {
      return built;
    }
    long action = AuditLog.start(c, "partition:" + schema + "." + table, "partition.migrate", "indexes: " + missing.size()
        + " partition indexes built CONCURRENTLY and attached", "pgopt partition migrate --undo --table " + schema + "." + table, null);
    audited(c, action, () -> {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        for (Missing m : missing) {
          String name = shorten(m.partition(), "_" + m.parent());
          String qualifiedName = Quoting.ident(m.partitionSchema()) + "." + Quoting.ident(name);
          // a run cut short left it built but not attached (valid), or half built (invalid)
          List<Boolean> left = Sql.list(c, "SELECT x.indisvalid FROM pg_index x WHERE x.indexrelid = to_regclass(?)",
              rs -> rs.getBoolean(1), qualifiedName);
          if (!left.isEmpty() && !left.get(0)) {
            s.execute(Sql.OWN_MARK + "DROP INDEX CONCURRENTLY " + qualifiedName);
          }
          String def = m.definition().replaceFirst("^CREATE INDEX " + java.util.regex.Pattern.quote(Quoting.ident(m.parent()))
              + " ON ONLY " + java.util.regex.Pattern.quote(target) + " ", "CREATE INDEX CONCURRENTLY " + Quoting.ident(name)
              + " ON " + Quoting.ident(m.partitionSchema()) + "." + Quoting.ident(m.partition()) + " ");
          if (!def.startsWith("CREATE INDEX CONCURRENTLY ")) {
            throw new LifecycleException("index " + m.parent() + " on " + target + " has a definition pgopt cannot rebuild per"
                + " partition: " + m.definition());
          }
          if (left.isEmpty() || !left.get(0)) {
            s.execute(Sql.OWN_MARK + def);
          }
          s.execute(Sql.OWN_MARK + "ALTER INDEX " + Quoting.ident(schema) + "." + Quoting.ident(m.parent()) + " ATTACH PARTITION "
              + qualifiedName);
          built.add(m.partitionSchema() + "." + name);
        }
      }
    });
    return built;
  }

  @FunctionalInterface
  private interface Step {
    void run() throws SQLException;
  }

  @FunctionalInterface
  private interface StatementWork {
    void run(Statement s) throws SQLException;
  }

  /** {@code work} in one transaction whose locks wait {@code lockTimeout}, tried again on a lock timeout. */
  private void lockedTransaction(Connection c, StatementWork work) throws SQLException {
    new LockRetry(lockTimeout, attempts).run(() -> {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL lock_timeout = '" + lockTimeout.toMillis() + "ms'");
        work.run(s);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  /** Runs {@code step} and ends the audited action as it went. */
  private static void audited(Connection c, long action, Step step) throws SQLException {
    try {
      step.run();
    } catch (SQLException | RuntimeException e) {
      AuditLog.finish(c, action, AuditLog.Status.FAILED, e.getMessage());
      throw e;
    }
    AuditLog.finish(c, action, AuditLog.Status.SUCCEEDED, null);
  }

}

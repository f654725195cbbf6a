package dev.pgopt.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.connect.Sql;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A live table of two million rows becomes range-partitioned while a writer inserts, updates (the partition column
 * too) and deletes without a pause: the run is cut short mid-copy and resumed, the copy is compared in one snapshot, the names are swapped under
 * a short lock, and every row is there with its last value; undo and finish both work afterwards.
 */
@ExtendWith(PostgresExtension.class)
class PartitionMigrationIT {
  private static final int ROWS = 2_000_000;
  private static final Duration BATCH_TIME = Duration.ofMillis(200);
  private TestDatabase db;

  @BeforeEach
  void database(TestCluster cluster) {
    db = cluster.createDatabase();
  }

  @AfterEach
  void dropDatabase() {
    db.close();
  }

  private void orders() {
    db.execute("CREATE TABLE accounts (id int PRIMARY KEY)", "INSERT INTO accounts SELECT generate_series(0, 99)",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, placed_at timestamptz NOT NULL, account int NOT NULL REFERENCES accounts,"
            + " amount numeric(12,2), note text, total_cents bigint GENERATED ALWAYS AS ((amount * 100)::bigint) STORED)",
        "CREATE INDEX orders_account ON orders (account, placed_at)",
        "INSERT INTO orders (placed_at, account, amount, note) SELECT now() - (g % 720) * interval '1 day' - g * interval '1 ms',"
            + " g % 100, (g % 10000) / 100.0, CASE WHEN g % 3 = 0 THEN 'n' || g END FROM generate_series(1, " + ROWS + ") g",
        "ANALYZE orders");
  }

  private static long one(Connection c, String sql) throws SQLException {
    return Sql.one(c, sql, rs -> rs.getLong(1));
  }

  private static PartitionArchive.Checksum sum(Connection c, String rel) throws SQLException {
    c.setAutoCommit(false);
    try {
      return PartitionArchive.checksum(c, rel, PartitionArchive.columns(c, rel));
    } finally {
      c.rollback();
      c.setAutoCommit(true);
    }
  }

  @Test
  void aLiveTableIsPartitionedWithWritesRunningAndACutShortRunResumes() throws Exception {
    orders();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ops = new AtomicLong();
    AtomicLong slowestMs = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try (Connection w = db.connect("writer");
           PreparedStatement ins = w.prepareStatement("INSERT INTO orders (placed_at, account, amount) VALUES (now(), ?, 1.5)");
           PreparedStatement upd = w.prepareStatement("UPDATE orders SET amount = amount + 1, note = 'updated' WHERE id = ?");
           PreparedStatement del = w.prepareStatement("DELETE FROM orders WHERE id = ?");
           // rows moved in time: the partition column itself changes while batches copy
           PreparedStatement move = w.prepareStatement("UPDATE orders SET placed_at = placed_at - interval '40 days' WHERE id = ?")) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (!stop.get()) {
          long t0 = System.nanoTime();
          ins.setInt(1, r.nextInt(100));
          ins.executeUpdate();
          upd.setLong(1, 1 + r.nextInt(ROWS));
          upd.executeUpdate();
          del.setLong(1, 1 + r.nextInt(ROWS));
          del.executeUpdate();
          move.setLong(1, 1 + r.nextInt(ROWS));
          move.executeUpdate();
          slowestMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
          ops.incrementAndGet();
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    try (Connection c = db.connect()) {
      MigrationPlan plan = PartitionMigration.plan(c, "orders", "placed_at", "1 month", 3);
      assertThat(plan.refusals()).isEmpty();
      assertThat(plan.changes()).singleElement().asString().contains("primary key (id) becomes (id, placed_at)");
      assertThat(plan.partitions()).hasSizeBetween(27, 29);
      writer.start();
      Probe.waitUntil(() -> ops.get() > 20);
      PartitionMigration m = new PartitionMigration(Duration.ofMillis(300), 20);
      m.prepare(c, plan);
      // cut short after five batches, as a killed process would be; a new run picks up after the saved key
      PartitionMigration.Progress cut = m.backfill(c, "public", "orders", 10_000, BATCH_TIME, 5);
      assertThat(cut.step()).isEqualTo("backfill");
      assertThat(cut.rowsCopied()).isPositive();
      assertThat(PartitionMigration.progress(c, "public", "orders")).contains(cut);
      PartitionMigration.Progress done = new PartitionMigration(Duration.ofMillis(300), 20)
          .backfill(c, "public", "orders", 10_000, BATCH_TIME, Long.MAX_VALUE);
      assertThat(done.step()).isEqualTo("verify");
      assertThat(done.rowsCopied()).isBetween((long) ROWS - ops.get() - 10, (long) ROWS + ops.get());
      PartitionArchive.Checksum[] same = m.verify(c, "public", "orders");
      assertThat(same[0]).isEqualTo(same[1]);
      long held = m.swap(c, "public", "orders");
      Probe.waitUntil(() -> ops.get() > 100);
      stop.set(true);
      writer.join();
      assertThat(failure.get()).as("no write failed").isNull();
      System.out.printf("migration of %d rows: swap lock held %d ms; writer ran %d rounds, slowest %d ms%n", ROWS, held,
          ops.get(), slowestMs.get());
      assertThat(one(c, "SELECT count(*) FROM pg_class WHERE relname = 'orders' AND relkind = 'p'")).isEqualTo(1);
      // every row, with its last value, in the partitioned table; the original kept in step behind it
      PartitionArchive.Checksum now = sum(c, "public.orders");
      assertThat(now).isEqualTo(sum(c, "public.orders__pgopt_old"));
      assertThat(one(c, "SELECT count(*) FROM orders WHERE note = 'updated'")).isPositive();
      // the sequence went with the name: new rows get new ids
      db.execute("INSERT INTO orders (placed_at, account, amount) VALUES (now(), 1, 2)");
      assertThat(one(c, "SELECT max(id) FROM orders")).isGreaterThan(ROWS);
      assertThat(one(c, "SELECT total_cents FROM orders ORDER BY id DESC LIMIT 1")).isEqualTo(200);
      assertThat(one(c, "SELECT count(*) FROM pgopt.actions WHERE rule = 'partition.migrate' AND status = 'succeeded'")).isEqualTo(2);

      m.undo(c, "public", "orders");
      assertThat(one(c, "SELECT count(*) FROM pg_class WHERE relname = 'orders' AND relkind = 'r'")).isEqualTo(1);
      assertThat(sum(c, "public.orders").rows()).isEqualTo(now.rows() + 1);
      assertThat(one(c, "SELECT count(*) FROM pg_class WHERE relname LIKE 'orders\\_\\_pgopt%'")).isZero();
    } finally {
      stop.set(true);
      writer.join();
    }
  }

  @Test
  void finishDropsTheOriginalAndGivesTheNamesBack() throws Exception {
    db.execute("CREATE TABLE logs (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at date NOT NULL, msg text)",
        "CREATE INDEX logs_at ON logs (at)",
        "INSERT INTO logs (at, msg) SELECT current_date - g % 60, 'm' || g FROM generate_series(1, 5000) g");
    try (Connection c = db.connect()) {
      PartitionMigration m = new PartitionMigration(Duration.ofSeconds(2), 3);
      MigrationPlan plan = PartitionMigration.plan(c, "public.logs", "at", "7 days", 2);
      m.prepare(c, plan);
      m.backfill(c, "public", "logs", 1000, BATCH_TIME, Long.MAX_VALUE);
      m.verify(c, "public", "logs");
      m.swap(c, "public", "logs");
      // identity: the partitioned table's own sequence continues after the original's
      db.execute("INSERT INTO logs (at, msg) VALUES (current_date, 'after')");
      assertThat(one(c, "SELECT id FROM logs WHERE msg = 'after'")).isGreaterThan(5000);
      m.finish(c, "public", "logs");
      assertThat(one(c, "SELECT count(*) FROM pg_class WHERE relname = 'logs__pgopt_old'")).isZero();
      assertThat(one(c, "SELECT count(*) FROM pg_class WHERE relname IN ('logs_pkey', 'logs_at') AND relkind = 'I'")).isEqualTo(2);
      assertThat(one(c, "SELECT count(*) FROM logs")).isEqualTo(5001);
      assertThat(PartitionMigration.progress(c, "public", "logs")).isEmpty();
    }
  }

  @Test
  void vectorIndexesAreBuiltPerPartitionAfterTheCopyNotGrownOnTheEmptyCopy() throws Exception {
    db.execute("CREATE TABLE docs (id int PRIMARY KEY, at timestamptz NOT NULL, embedding vector(8))",
        "INSERT INTO docs SELECT g, timestamptz '2026-01-01' + (g % 90) * interval '1 day',"
            + " (SELECT array_agg(random())::vector(8) FROM generate_series(1, 8) WHERE g > 0) FROM generate_series(1, 6000) g",
        "CREATE INDEX docs_hnsw ON docs USING hnsw (embedding vector_cosine_ops) WITH (m = 8)",
        "CREATE INDEX docs_ivf ON docs USING ivfflat (embedding vector_l2_ops) WITH (lists = 20)",
        "CREATE INDEX docs_at ON docs (at)");
    try (Connection c = db.connect()) {
      MigrationPlan plan = PartitionMigration.plan(c, "docs", "at", "1 month", 1);
      assertThat(plan.indexes()).filteredOn(d -> d.contains(" USING hnsw ") || d.contains(" USING ivfflat "))
          .hasSize(2).allMatch(d -> d.contains(" ON ONLY public.docs__pgopt_new "));
      assertThat(plan.indexes()).filteredOn(d -> d.contains("docs_at")).singleElement().asString().doesNotContain("ONLY");
      PartitionMigration m = new PartitionMigration(Duration.ofSeconds(2), 3);
      m.prepare(c, plan);
      // during the copy the partitions have no vector index to grow row by row
      assertThat(one(c, "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam"
          + " JOIN pg_inherits h ON h.inhrelid = x.indrelid WHERE h.inhparent = 'docs__pgopt_new'::regclass"
          + " AND a.amname IN ('hnsw', 'ivfflat')")).isZero();
      m.backfill(c, "public", "docs", 1000, BATCH_TIME, Long.MAX_VALUE);
      // a run cut short after one partition's index was built but before it was attached resumes from there
      String firstLeaf = Sql.one(c, "SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
          + " WHERE h.inhparent = 'docs__pgopt_new'::regclass ORDER BY c.relname LIMIT 1", rs -> rs.getString(1));
      db.execute("CREATE INDEX " + PartitionMigration.shorten(firstLeaf, "_docs_hnsw_p") + " ON " + firstLeaf
          + " USING hnsw (embedding vector_cosine_ops) WITH (m = 8)");
      m.verify(c, "public", "docs");
      long leaves = one(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'docs__pgopt_new'::regclass");
      m.swap(c, "public", "docs");
      assertThat(one(c, "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'docs'::regclass"
          + " AND NOT x.indisvalid")).isZero();
      for (String am : new String[] {"hnsw", "ivfflat"}) {
        assertThat(one(c, "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam"
            + " JOIN pg_inherits h ON h.inhrelid = x.indrelid WHERE h.inhparent = 'docs'::regclass AND a.amname = '" + am + "'"
            + " AND i.relispartition")).as(am + " on every partition, attached").isEqualTo(leaves);
      }
      assertThat(one(c, "SELECT count(*) FROM pgopt.actions WHERE rule = 'partition.migrate' AND status = 'succeeded'"
          + " AND sql LIKE 'indexes: %'")).isEqualTo(1);
      assertThat(one(c, "SELECT count(*) FROM docs")).isEqualTo(6000);
    }
  }

  @Test
  void aCompositeKeyThatHoldsTheColumnIsKeptAsItIs() throws Exception {
    // the sample dataset's analytics_events: an identity id and the time in the key already
    db.execute("CREATE TABLE analytics (id integer GENERATED BY DEFAULT AS IDENTITY, kind text NOT NULL,"
            + " created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at))",
        "INSERT INTO analytics (kind, created_at) SELECT 'k' || g % 7, now() - g * interval '10 minutes' FROM generate_series(1, 20000) g",
        "INSERT INTO analytics (id, kind, created_at) SELECT 1, 'same id, other time', now() - interval '1 day'");
    try (Connection c = db.connect()) {
      MigrationPlan plan = PartitionMigration.plan(c, "analytics", "created_at", "7 days", 2);
      assertThat(plan.refusals()).isEmpty();
      assertThat(plan.changes()).isEmpty();
      assertThat(plan.pk()).containsExactly("id", "created_at");
      PartitionMigration m = new PartitionMigration(Duration.ofSeconds(2), 3);
      m.prepare(c, plan);
      PartitionMigration.Progress cut = m.backfill(c, "public", "analytics", 500, BATCH_TIME, 3);
      assertThat(cut.lastPk()).hasSize(2);
      db.execute("UPDATE analytics SET kind = 'changed' WHERE id = 1");
      assertThat(m.backfill(c, "public", "analytics", 500, BATCH_TIME, Long.MAX_VALUE).rowsCopied()).isEqualTo(20001);
      m.verify(c, "public", "analytics");
      m.swap(c, "public", "analytics");
      assertThat(one(c, "SELECT count(*) FROM analytics WHERE kind = 'changed'")).isEqualTo(2);
      db.execute("INSERT INTO analytics (kind, created_at) VALUES ('after', now())");
      assertThat(one(c, "SELECT id FROM analytics WHERE kind = 'after'")).isGreaterThan(20000);
    }
  }

  @Test
  void whatCannotBeMigratedIsRefusedBeforeAnythingChanges() throws Exception {
    db.execute("CREATE TABLE parent (id int PRIMARY KEY, at timestamptz NOT NULL)",
        "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent)",
        "CREATE TABLE nulls (id int PRIMARY KEY, at timestamptz)", "INSERT INTO nulls VALUES (1, NULL)",
        "CREATE TABLE nokey (a int, at timestamptz NOT NULL)",
        "CREATE TABLE viewed (id int PRIMARY KEY, at timestamptz NOT NULL)", "CREATE VIEW v AS SELECT * FROM viewed",
        "CREATE TABLE wide (id int PRIMARY KEY, at timestamptz NOT NULL)",
        "INSERT INTO wide VALUES (1, now() - interval '3 years')",
        "CREATE TABLE uniq (id int PRIMARY KEY, at timestamptz NOT NULL, email text UNIQUE)");
    try (Connection c = db.connect()) {
      assertThat(PartitionMigration.plan(c, "parent", "at", "1 month", 2).refusals()).anySatisfy(r -> assertThat(r)
          .contains("foreign key child_parent_id_fkey on child points at it"));
      assertThat(PartitionMigration.plan(c, "nulls", "at", "1 month", 2).refusals()).anySatisfy(r -> assertThat(r).contains("has NULLs"));
      assertThat(PartitionMigration.plan(c, "nokey", "at", "1 month", 2).refusals()).anySatisfy(r -> assertThat(r)
          .contains("a primary key is needed"));
      assertThat(PartitionMigration.plan(c, "viewed", "at", "1 month", 2).refusals()).anySatisfy(r -> assertThat(r).contains("view v reads it"));
      assertThat(PartitionMigration.plan(c, "uniq", "at", "1 month", 2).refusals()).anySatisfy(r -> assertThat(r)
          .contains("unique index uniq_email_key does not include at"));
      assertThatThrownBy(() -> PartitionMigration.plan(c, "wide", "at", "1 hour", 2)).hasMessageContaining("more than 10000 partitions");
      assertThatThrownBy(() -> PartitionMigration.plan(c, "wide", "nope", "1 month", 2)).hasMessageContaining("has no column 'nope'");
      assertThatThrownBy(() -> PartitionMigration.plan(c, "wide", "id", "1 month", 2)).hasMessageContaining("needs a date or timestamp");
      assertThatThrownBy(() -> PartitionMigration.plan(c, "wide", "at", "monthly", 2)).hasMessageContaining("is not an interval");
      assertThatThrownBy(() -> PartitionMigration.plan(c, "v", "at", "1 month", 2)).hasMessageContaining("is not a table");
      MigrationPlan refused = PartitionMigration.plan(c, "parent", "at", "1 month", 2);
      assertThatThrownBy(() -> new PartitionMigration(Duration.ofSeconds(1), 1).prepare(c, refused))
          .hasMessageContaining("cannot migrate public.parent");
      assertThat(one(c, "SELECT count(*) FROM pg_class WHERE relname LIKE '%pgopt_new'")).isZero();
    }
  }
}

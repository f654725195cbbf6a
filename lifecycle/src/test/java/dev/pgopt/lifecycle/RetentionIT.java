package dev.pgopt.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention on a real server with a writer running: old monthly partitions are detached, archived, proven and dropped;
 * an archive restores to the same rows; a corrupted archive, a changed partition, a full archive directory and an
 * archive directory that cannot be written each stop before anything is lost.
 */
@ExtendWith(PostgresExtension.class)
class RetentionIT {
  private TestDatabase db;

  @org.junit.jupiter.api.BeforeEach
  void database(dev.pgopt.testkit.TestCluster cluster) {
    db = cluster.createDatabase();
  }

  @org.junit.jupiter.api.AfterEach
  void dropDatabase() {
    db.close();
  }

  private static final Duration LOCK = Duration.ofSeconds(2);

  @TempDir
  Path archive;

  /** 13 monthly partitions (12 months back to the current one), rows of several types in each, and a default. */
  private static void events(TestDatabase db, boolean withDefault) {
    db.execute("CREATE TABLE events (id bigserial, at timestamptz NOT NULL, account int, payload text, amount numeric(12,2),"
            + " tags text[], doc jsonb, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
        "CREATE INDEX events_account ON events (account, at)",
        """
        DO $$ DECLARE m date; BEGIN
          FOR i IN 0..13 LOOP
            m := date_trunc('month', now() - interval '12 months')::date + make_interval(months => i);
            EXECUTE format('CREATE TABLE events_p%s PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           to_char(m, 'YYYYMMDD'), m, m + interval '1 month');
          END LOOP;
        END $$""",
        "INSERT INTO events (at, account, payload, amount, tags, doc) SELECT now() - (g % 365) * interval '1 day' - g * interval '1 second',"
            + " g % 97, 'event ' || g || E' with \\'quotes\\' and tabs\\t', (g % 1000) / 7.0, ARRAY['a', g::text],"
            + " jsonb_build_object('n', g, 'f', g / 3.0) FROM generate_series(1, 60000) g",
        "ANALYZE events");
    if (withDefault) {
      db.execute("CREATE TABLE events_default PARTITION OF events DEFAULT");
    }
  }

  private Retention.Options options(boolean archiveOnly) {
    return new Retention.Options(archive, archiveOnly, LOCK, 3, Retention.Options.fileStoreSpace());
  }

  private static long count(Connection c, String sql) throws SQLException {
    return dev.pgopt.connect.Sql.one(c, sql, rs -> rs.getLong(1));
  }

  @Test
  void oldPartitionsAreArchivedProvenAndDroppedWhileWritesRunAndComeBackTheSame() throws Exception {
    events(db, false);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong written = new AtomicLong();
    AtomicReference<Throwable> writeFailure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try (Connection w = db.connect("writer"); PreparedStatement ins = w.prepareStatement(
          "INSERT INTO events (at, account, payload) VALUES (now(), ?, 'live')");
           PreparedStatement upd = w.prepareStatement("UPDATE events SET amount = amount + 1 WHERE account = ? AND at > now() - interval '1 day'")) {
        int i = 0;
        while (!stop.get()) {
          ins.setInt(1, i % 97);
          ins.executeUpdate();
          upd.setInt(1, i % 97);
          upd.executeUpdate();
          written.incrementAndGet();
          i++;
        }
      } catch (Throwable t) {
        writeFailure.set(t);
      }
    });
    long before;
    try (Connection c = db.connect()) {
      before = count(c, "SELECT count(*) FROM events");
      writer.start();
      Probe.waitUntil(() -> written.get() > 50);
      Retention.Plan plan = Retention.plan(c, "events", "3 months");
      // partitions ending at or before now - 3 months: 9 or 10 of them, depending on the day of the month
      assertThat(plan.old()).hasSizeBetween(9, 10);
      List<Retention.Outcome> done = new Retention(Clock.systemUTC()).run(c, plan, options(false));
      assertThat(done).hasSize(plan.old().size()).allSatisfy(o -> assertThat(o.outcome()).isEqualTo("archived, proven and dropped"));
      stop.set(true);
      writer.join();
      assertThat(writeFailure.get()).as("no write failed while partitions were detached").isNull();
      long archived = done.stream().mapToLong(o -> o.manifest().rows()).sum();
      assertThat(archived).isPositive();
      assertThat(count(c, "SELECT count(*) FROM events")).isEqualTo(before - archived + written.get());
      assertThat(count(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")).isEqualTo(14 - done.size());
      assertThat(count(c, "SELECT count(*) FROM pgopt.actions WHERE rule = 'retention' AND status = 'succeeded'")).isEqualTo(done.size());

      // one comes back, attached, row for row
      ArchiveManifest m = done.get(0).manifest();
      String restored = ArchiveRestore.restore(c, archive, "public.events", m.partition(), Optional.empty(), 1L << 30, LOCK);
      assertThat(restored).isEqualTo("public." + m.partition());
      c.setAutoCommit(false);
      PartitionArchive.Checksum back = PartitionArchive.checksum(c, restored, m.columns());
      c.rollback();
      c.setAutoCommit(true);
      assertThat(back.rows()).isEqualTo(m.rows());
      assertThat(back.sum()).isEqualTo(m.checksum());
      assertThat(count(c, "SELECT count(*) FROM events WHERE at >= '" + m.from() + "' AND at < '" + m.to() + "'")).isEqualTo(m.rows());
      // another into a scratch schema, to query without attaching; a size limit below it refuses
      ArchiveManifest m2 = done.get(1).manifest();
      assertThatThrownBy(() -> ArchiveRestore.restore(c, archive, "events", m2.partition(), Optional.of("scratch"), 1024, LOCK))
          .isInstanceOf(LifecycleException.class).hasMessageContaining("more than --max-size");
      assertThat(ArchiveRestore.restore(c, archive, "events", m2.partition(), Optional.of("scratch"), 1L << 30, LOCK))
          .isEqualTo("scratch." + m2.partition());
      assertThat(count(c, "SELECT count(*) FROM scratch." + m2.partition())).isEqualTo(m2.rows());
      assertThatThrownBy(() -> ArchiveRestore.restore(c, archive, "events", "../../etc/passwd", Optional.empty(), 1L << 30, LOCK))
          .hasMessageContaining("no archive of partition");
    } finally {
      stop.set(true);
      writer.join();
    }
  }

  @Test
  void aCorruptedArchiveOrAChangedPartitionIsCaughtBeforeTheDrop() throws Exception {
    events(db, true);
    try (Connection c = db.connect()) {
      Retention.Plan plan = Retention.plan(c, "events", "3 months");
      // with a default partition, DETACH CONCURRENTLY is not allowed: the plain form runs
      List<Retention.Outcome> detached = new Retention(Clock.systemUTC()).run(c, plan, options(true));
      assertThat(detached).allSatisfy(o -> assertThat(o.outcome()).startsWith("archived and detached"));
      Path dir = archive.resolve("public.events");
      ArchiveManifest first = detached.get(0).manifest();
      try (RandomAccessFile f = new RandomAccessFile(dir.resolve(first.file()).toFile(), "rw")) {
        f.seek(f.length() / 2);
        int b = f.read();
        f.seek(f.length() / 2);
        f.write(b ^ 0xff);
      }
      Retention retention = new Retention(Clock.systemUTC());
      assertThatThrownBy(() -> retention.drop(c, "public", "events", archive, options(false)))
          .isInstanceOf(LifecycleException.class).hasMessageContaining("has changed since it was written");
      assertThat(count(c, "SELECT count(*) FROM " + first.partition())).as("still there").isEqualTo(first.rows());

      // archive it again after the corruption... and then write into the detached partition: the drop refuses
      Files.delete(dir.resolve(first.file()));
      Files.delete(dir.resolve(first.partition() + ArchiveManifest.SUFFIX));
      db.execute("INSERT INTO " + first.partition() + " (at, account) VALUES ('" + first.from() + "', 1)");
      c.setAutoCommit(false);
      PartitionedTable t = PartitionedTable.read(c, "events");
      c.commit();
      ArchiveManifest again = PartitionArchive.write(c, t, new PartitionedTable.Partition("public", first.partition(), first.from(),
          first.to(), false, 0), dir, Clock.systemUTC());
      c.setAutoCommit(true);
      db.execute("DELETE FROM " + first.partition() + " WHERE account = 1 AND at = '" + first.from() + "'");
      assertThat(again.rows()).isEqualTo(first.rows() + 1);
      assertThatThrownBy(() -> retention.drop(c, "public", "events", archive, options(false)))
          .isInstanceOf(LifecycleException.class).hasMessageContaining("has changed since it was archived");
      assertThat(count(c, "SELECT count(*) FROM " + first.partition())).isEqualTo(first.rows());
    }
  }

  @Test
  void noRoomOrNoWritableArchiveChangesNothing() throws Exception {
    events(db, false);
    try (Connection c = db.connect()) {
      Retention.Plan plan = Retention.plan(c, "events", "3 months");
      Retention.Options full = new Retention.Options(archive, false, LOCK, 3, p -> 1024);
      assertThatThrownBy(() -> new Retention(Clock.systemUTC()).run(c, plan, full))
          .isInstanceOf(LifecycleException.class).hasMessageContaining("has 0 MB free");
      assertThat(count(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")).isEqualTo(14);

      // a file where the archive directory should be: the first partition is detached, cannot be written, attached again
      Path notADir = Files.writeString(archive.resolve("blocked"), "x");
      Retention.Options blocked = new Retention.Options(notADir, false, LOCK, 3, p -> Long.MAX_VALUE);
      long rows = count(c, "SELECT count(*) FROM events");
      assertThatThrownBy(() -> new Retention(Clock.systemUTC()).run(c, plan, blocked)).isInstanceOf(LifecycleException.class);
      assertThat(count(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")).isEqualTo(14);
      assertThat(count(c, "SELECT count(*) FROM events")).isEqualTo(rows);
      assertThat(count(c, "SELECT count(*) FROM pgopt.actions WHERE rule = 'retention' AND status = 'failed'")).isEqualTo(1);
    }
  }

  @Test
  void tablesAndPoliciesRetentionCannotServeAreRefusedWithTheReason() throws Exception {
    db.execute("CREATE TABLE plain (id int, at timestamptz)",
        "CREATE TABLE by_id (id bigint, at timestamptz) PARTITION BY RANGE (id)",
        "CREATE TABLE by_list (region text, at timestamptz) PARTITION BY LIST (region)");
    events(db, false);
    try (Connection c = db.connect()) {
      assertThatThrownBy(() -> Retention.plan(c, "nope", "3 months")).hasMessageContaining("no table 'nope'");
      assertThatThrownBy(() -> Retention.plan(c, "plain", "3 months")).hasMessageContaining("is not partitioned");
      assertThatThrownBy(() -> Retention.plan(c, "by_id", "3 months")).hasMessageContaining("need a date or timestamp key");
      assertThatThrownBy(() -> Retention.plan(c, "by_list", "3 months")).hasMessageContaining("not range-partitioned");
      assertThatThrownBy(() -> Retention.plan(c, "events", "soon")).hasMessageContaining("is not an interval");
      assertThatThrownBy(() -> Retention.plan(c, "events", "0 days")).hasMessageContaining("longer than nothing");
      assertThatThrownBy(() -> Retention.plan(c, "events; DROP TABLE plain", "3 months")).hasMessageContaining("no table");
      assertThat(count(c, "SELECT count(*) FROM pg_class WHERE relname = 'plain'")).isEqualTo(1);
    }
  }
}

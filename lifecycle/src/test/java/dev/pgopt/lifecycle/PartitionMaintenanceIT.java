package dev.pgopt.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.connect.Sql;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class PartitionMaintenanceIT {
  private TestDatabase db;

  @org.junit.jupiter.api.BeforeEach
  void database(dev.pgopt.testkit.TestCluster cluster) {
    db = cluster.createDatabase();
  }

  @org.junit.jupiter.api.AfterEach
  void dropDatabase() {
    db.close();
  }

  @Test
  void partitionsAheadAreMadeOnceWithTheNewestPartitionsInterval() throws Exception {
    db.execute("CREATE TABLE metrics (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at)",
        "CREATE TABLE metrics_cur PARTITION OF metrics FOR VALUES FROM (date_trunc('month', now())) TO"
            + " (date_trunc('month', now()) + interval '1 month')",
        "CREATE TABLE metrics_default PARTITION OF metrics DEFAULT");
    try (Connection c = db.connect()) {
      PartitionMaintenance.Plan plan = PartitionMaintenance.plan(c, "metrics", 3);
      assertThat(plan.interval()).isEqualTo("1 month");
      assertThat(plan.create()).hasSize(3).allSatisfy(s -> assertThat(s).contains("PARTITION OF public.metrics"));
      assertThat(plan.defaultRows()).contains(0L);
      assertThat(PartitionMaintenance.execute(c, plan, Duration.ofSeconds(2))).hasSize(3);
      assertThat(PartitionMaintenance.plan(c, "metrics", 3).create()).isEmpty();
      // a row in the default partition for a month still to be made: said, not silently moved
      db.execute("INSERT INTO metrics VALUES (now() + interval '4 months 1 day', 1)");
      PartitionMaintenance.Plan more = PartitionMaintenance.plan(c, "metrics", 5);
      assertThat(more.defaultRows()).contains(1L);
      assertThatThrownBy(() -> PartitionMaintenance.execute(c, more, Duration.ofSeconds(2)))
          .isInstanceOf(LifecycleException.class).hasMessageContaining("default partition holds rows");
    }
  }

  @Test
  void aPlanOfMoreThanTenThousandPartitionsIsRefused() throws Exception {
    db.execute("CREATE TABLE ticks (at timestamp NOT NULL) PARTITION BY RANGE (at)",
        "CREATE TABLE ticks_old PARTITION OF ticks FOR VALUES FROM ('2001-01-01 00:00') TO ('2001-01-01 01:00')");
    try (Connection c = db.connect()) {
      assertThatThrownBy(() -> PartitionMaintenance.plan(c, "ticks", 3)).isInstanceOf(LifecycleException.class)
          .hasMessageContaining("more than 10000 partitions");
      assertThatThrownBy(() -> PartitionMaintenance.plan(c, "ticks", 0)).hasMessageContaining("premake must be");
      int partitions = Sql.one(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'ticks'::regclass", rs -> rs.getInt(1));
      assertThat(partitions).isEqualTo(1);
    }
  }
}

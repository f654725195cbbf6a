package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A time-partitioned table watched by the monitor: no partition ready ahead fires partitions_ahead, the partitions
 * task makes them and the alert resolves; a row in the default partition fires default_partition_rows.
 */
@ExtendWith(PostgresExtension.class)
class PartitionMonitoringTest {
  @Test
  void partitionsRunningShortAreMadeAndRowsInTheDefaultPartitionAreSaid(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    db.execute("CREATE TABLE events (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at)",
        "CREATE TABLE events_now PARTITION OF events FOR VALUES FROM (date_trunc('month', now())) TO"
            + " (date_trunc('month', now()) + interval '1 month')",
        "CREATE TABLE events_default PARTITION OF events DEFAULT");
    try (MonitorFixture f = MonitorFixture.start(MonitorFixture.config(cluster, db.name(), store.name(), """
        maintenance:
          partition_tables: [public.events, public.not_here]
          partition_premake: 3
        alerts:
          rules:
            partitions_ahead: {for: 0s}
        """))) {
      Probe.waitUntil(() -> alert(f, "partitions_ahead") != null);
      assertThat(alert(f, "partitions_ahead").path("severity").asText()).isEqualTo("critical");
      HttpResponse<String> r = f.post("/api/targets/app/maintenance/partitions", MonitorFixture.ADMIN, "{}");
      JsonNode run = MonitorFixture.JSON.readTree(r.body());
      assertThat(run.path("status").asText()).as(r.body()).isEqualTo("succeeded");
      assertThat(run.path("summary").path("tables").get(0).path("made")).hasSize(3);
      assertThat(run.path("summary").path("tables").get(1).path("status").asText()).isEqualTo("not on this target");
      try (Connection c = cluster.connect(db.name())) {
        assertThat(Probe.count(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")).isEqualTo(5);
      }
      Probe.waitUntil(() -> alert(f, "partitions_ahead") == null);
      db.execute("INSERT INTO events VALUES (now() + interval '2 years', 1)");
      Probe.waitUntil(() -> alert(f, "default_partition_rows") != null);
    } finally {
      store.close();
    }
  }

  private static JsonNode alert(MonitorFixture f, String rule) {
    try {
      for (JsonNode a : f.json("/api/alerts").path("alerts")) {
        if (a.path("rule").asText().equals(rule)) {
          return a;
        }
      }
      return null;
    } catch (Exception e) {
      return null;
    }
  }
}

package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pgopt.advise.TableGrowth;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What commands read from a monitor's store: table growth for partition advice. */
@ExtendWith(PostgresExtension.class)
class StoredHistoryTest {
  @Test
  void tableGrowthIsTheSlopeOfTheKeptSizesPerTargetAndTable(TestCluster cluster) throws Exception {
    String schema = new String(getClass().getResourceAsStream("/db/monitor/V1__history.sql").readAllBytes(), StandardCharsets.UTF_8);
    try (TestDatabase store = cluster.createDatabase(); Connection c = store.connect()) {
      assertThat(StoredHistory.tableGrowth(c, "app", Duration.ofDays(30))).as("no store schema yet").isEmpty();
      store.execute("CREATE SCHEMA pgopt", "SET search_path = pgopt", schema,
          "CREATE TABLE pgopt.table_stats_default PARTITION OF pgopt.table_stats DEFAULT",
          // events: 1 GiB a day over four days, with noise of ±10 MB; logs: one size only; old: beyond the window
          "INSERT INTO pgopt.table_stats (target, ts, schema_name, table_name, live_tuples, dead_tuples, bytes, seq_scan, idx_scan)"
              + " SELECT 'app', now() - (4 - d) * interval '1 day', 'public', 'events', 0, 0,"
              + " (10 + d) * 1073741824::bigint + (CASE WHEN d % 2 = 0 THEN 10 ELSE -10 END) * 1048576, 0, 0"
              + " FROM generate_series(0, 4) d",
          "INSERT INTO pgopt.table_stats VALUES ('app', now(), 'public', 'logs', 0, 0, 5000, 0, 0)",
          "INSERT INTO pgopt.table_stats SELECT 'app', now() - interval '40 days' - d * interval '1 day', 'public', 'old', 0, 0,"
              + " d, 0, 0 FROM generate_series(0, 3) d",
          "INSERT INTO pgopt.table_stats SELECT 'other', now() - d * interval '1 day', 'public', 'events', 0, 0,"
              + " 1000 - d, 0, 0 FROM generate_series(0, 3) d");
      Map<String, TableGrowth.Measured> growth = StoredHistory.tableGrowth(c, "app", Duration.ofDays(30));
      assertThat(growth).containsOnlyKeys("public.events");
      TableGrowth.Measured events = growth.get("public.events");
      assertThat(events.bytesPerDay()).isCloseTo(1073741824.0, within(8e6));
      assertThat(events.days()).isCloseTo(4.0, within(0.01));
      assertThat(events.points()).isEqualTo(5);
      assertThat(events.source()).isEqualTo("monitor history of target app");
      assertThat(StoredHistory.tableGrowth(c, "other", Duration.ofDays(30)).get("public.events").bytesPerDay())
          .isCloseTo(1.0, within(0.01));
    }
  }
}

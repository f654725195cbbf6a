package dev.pgopt.collect.pooler;

import dev.pgopt.connect.AdminConsole;
import dev.pgopt.connect.DatabaseFailure;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads PgBouncer's admin console ({@link AdminConsole}: its {@code pgbouncer} database). Columns are read by name, so
 * the ones later versions add or rename (1.18 to 1.23) do not break the reading; a missing one reads as 0.
 */
public final class PgBouncerAdmin {
  private PgBouncerAdmin() {}

  public static PoolerSnapshot read(AdminConsole admin, Clock clock) throws DatabaseFailure {
    List<Map<String, String>> version = admin.query("SHOW VERSION");
    Map<String, String> config = new LinkedHashMap<>();
    for (Map<String, String> r : admin.query("SHOW CONFIG")) {
      config.put(text(r, "key"), text(r, "value"));
    }
    List<PoolerSnapshot.Pool> pools = new ArrayList<>();
    for (Map<String, String> r : admin.query("SHOW POOLS")) {
      pools.add(new PoolerSnapshot.Pool(text(r, "database"), text(r, "user"), number(r, "cl_active"), number(r, "cl_waiting"),
          number(r, "sv_active"), number(r, "sv_idle"), number(r, "sv_used"), number(r, "sv_tested") + number(r, "sv_login"),
          number(r, "maxwait") * 1_000_000 + number(r, "maxwait_us"), text(r, "pool_mode")));
    }
    List<PoolerSnapshot.PoolDatabase> databases = new ArrayList<>();
    for (Map<String, String> r : admin.query("SHOW DATABASES")) {
      databases.add(new PoolerSnapshot.PoolDatabase(text(r, "name"), text(r, "host"), (int) number(r, "port"), text(r, "database"),
          (int) number(r, "pool_size"), (int) number(r, "reserve_pool"), text(r, "pool_mode"), (int) number(r, "max_connections"),
          (int) number(r, "current_connections"), number(r, "paused") != 0, number(r, "disabled") != 0));
    }
    String v = version.isEmpty() ? "" : version.get(0).values().stream().findFirst().orElse("");
    return new PoolerSnapshot(clock.instant(), v == null ? "" : v, config, pools, databases);
  }

  private static String text(Map<String, String> row, String column) {
    String v = row.get(column);
    return v == null ? "" : v;
  }

  private static long number(Map<String, String> row, String column) {
    String v = text(row, column).strip();
    try {
      return v.isEmpty() ? 0 : Long.parseLong(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}

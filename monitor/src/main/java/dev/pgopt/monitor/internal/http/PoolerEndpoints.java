package dev.pgopt.monitor.internal.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pgopt.collect.pooler.PoolerSnapshot;
import dev.pgopt.monitor.internal.MonitorCore;
import dev.pgopt.monitor.internal.TargetRuntime;
import dev.pgopt.monitor.internal.collect.PoolerState;
import dev.pgopt.monitor.internal.collect.Series;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The PgBouncer in front of a target: the dashboard's pooler page. */
final class PoolerEndpoints {
  /**
   * @param pools the newest reading's pools, the admin console's own left out
   * @param error why the newest reading failed, when it did
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Pooler(String target, boolean configured, String version, String poolMode, String readAt, Map<String, Double> values,
                List<Map<String, Object>> pools, String error) {}

  private final MonitorCore core;

  PoolerEndpoints(MonitorCore core) {
    this.core = core;
  }

  Pooler pooler(Context ctx) {
    TargetRuntime rt = RequestParams.target(core, ctx);
    if (rt.pooler().isEmpty()) {
      return new Pooler(rt.name(), false, null, null, null, Map.of(), List.of(), null);
    }
    PoolerState p = rt.pooler().get();
    Map<String, Double> values = new LinkedHashMap<>();
    for (Series s : List.of(Series.PGBOUNCER_UP, Series.PGBOUNCER_CLIENTS_ACTIVE, Series.PGBOUNCER_CLIENTS_WAITING,
        Series.PGBOUNCER_MAXWAIT_SECONDS, Series.PGBOUNCER_SATURATION_PERCENT, Series.PGBOUNCER_SERVER_CONNECTIONS)) {
      Double v = rt.values().get(s);
      if (v != null) {
        values.put(s.key(), v);
      }
    }
    PoolerSnapshot s = p.latest();
    if (s == null) {
      return new Pooler(rt.name(), true, null, null, null, values, List.of(), p.lastError().isEmpty() ? null : p.lastError());
    }
    List<Map<String, Object>> pools = s.pools().stream().filter(x -> !x.database().equals("pgbouncer")).map(x -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("database", x.database());
      m.put("user", x.user());
      m.put("clients_active", x.clientsActive());
      m.put("clients_waiting", x.clientsWaiting());
      m.put("servers_active", x.serversActive());
      m.put("servers_idle", x.serversIdle() + x.serversUsed());
      m.put("pool_size", s.poolSize(x.database()));
      m.put("maxwait_seconds", x.maxWaitMicros() / 1e6);
      m.put("pool_mode", x.poolMode());
      return m;
    }).toList();
    return new Pooler(rt.name(), true, s.version(), s.setting("pool_mode").orElse(null), s.at().toString(), values, pools,
        p.lastError().isEmpty() ? null : p.lastError());
  }
}

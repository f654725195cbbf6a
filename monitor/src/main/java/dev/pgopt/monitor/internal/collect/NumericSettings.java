package dev.pgopt.monitor.internal.collect;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.Sql;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every numeric server setting with its unit, for the opt-in {@code pgopt_setting} metric. */
public final class NumericSettings {
  private NumericSettings() {}

  /** name -> (unit, value); the unit is pg_settings' ("8kB", "ms", ...) or "" for plain numbers. */
  public static Map<String, Map.Entry<String, Double>> read(TargetCollector collector) throws DatabaseFailure {
    Map<String, Map.Entry<String, Double>> out = new LinkedHashMap<>();
    collector.useSession(s -> s.readOnly(c -> Sql.list(c, """
        SELECT name, coalesce(unit, ''), setting::float8 FROM pg_settings
         WHERE vartype IN ('integer', 'real') ORDER BY name""",
        rs -> out.put(rs.getString(1), new AbstractMap.SimpleImmutableEntry<>(rs.getString(2), rs.getDouble(3))))));
    return out;
  }
}

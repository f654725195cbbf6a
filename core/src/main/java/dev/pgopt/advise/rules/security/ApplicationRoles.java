package dev.pgopt.advise.rules.security;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.collect.StatementEntry;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The roles the application uses: those with client sessions now (other than pgopt's own) and those that ran a real
 * share of the workload's statements (pg_stat_statements: at least 1,000 calls, or 100 calls that are 10 % of all,
 * so an administrator's occasional session does not count). What counts as "used by the application" for the role rules.
 */
final class ApplicationRoles {
  private static final long MIN_CALLS = 1000;
  private static final long MIN_SHARED_CALLS = 100;

  private ApplicationRoles() {}

  static Set<String> of(AdviceContext ctx) throws SQLException {
    Set<String> roles = new TreeSet<>(Sql.list(ctx.connection(), """
        SELECT DISTINCT usename FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND usename IS NOT NULL
           AND coalesce(application_name, '') NOT LIKE 'pgopt%'""", rs -> rs.getString(1)));
    if (ctx.workload().isPresent()) {
      Map<String, Long> calls = new HashMap<>();
      long total = 0;
      for (StatementEntry e : ctx.workload().get().entries()) {
        if (e.user() != null && !Sql.isOwn(e.query())) {
          calls.merge(e.user(), e.counters().calls(), Long::sum);
          total += e.counters().calls();
        }
      }
      for (Map.Entry<String, Long> c : calls.entrySet()) {
        if (c.getValue() >= MIN_CALLS || c.getValue() >= MIN_SHARED_CALLS && c.getValue() * 10 >= total) {
          roles.add(c.getKey());
        }
      }
    }
    return roles;
  }
}

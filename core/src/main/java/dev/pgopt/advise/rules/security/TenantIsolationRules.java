package dev.pgopt.advise.rules.security;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Action;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Multi-tenant data: {@code security.tenant_rls} (a table with a tenant-like column and no row-level security: one
 * missing WHERE shows every tenant's rows), {@code security.rls_not_forced} (policies that the table's owner skips)
 * and {@code security.policy_no_setting} (a policy that does not depend on who is asking isolates nobody).
 */
public final class TenantIsolationRules extends SecurityRule {
  /** The columns that mark a tenant, most specific first; {@code user_id} alone is only worth a note. */
  public static final List<String> DEFAULT_COLUMNS = List.of("tenant_id", "organization_id", "org_id", "workspace_id",
      "account_id", "team_id", "user_id");
  static final String SETTING = "app.tenant_id";
  private static final Set<String> WEAK = Set.of("user_id");
  private static final Pattern SESSION_CONTEXT = Pattern.compile(
      "current_setting|current_user|session_user|current_role|pg_has_role|auth\\.(uid|jwt|role)", Pattern.CASE_INSENSITIVE);

  private final List<String> columns;

  /** @param columns column names that mark a tenant (lower case), most specific first */
  public TenantIsolationRules(List<String> columns) {
    this.columns = columns.stream().map(c -> c.toLowerCase(Locale.ROOT)).toList();
  }

  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<Finding> out = new ArrayList<>();
    Set<String> app = ApplicationRoles.of(ctx);
    record Table(String schema, String table, String owner, boolean rls, boolean forced, String column, String type) {}
    List<Table> tables = Sql.list(ctx.connection(), """
        SELECT DISTINCT ON (c.oid) n.nspname, c.relname, pg_get_userbyid(c.relowner), c.relrowsecurity, c.relforcerowsecurity,
               a.attname, format_type(a.atttypid, a.atttypmod)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attname = ANY (?)
           AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgopt') AND n.nspname NOT LIKE 'pg\\_%'
         ORDER BY c.oid, array_position(?, a.attname::text)""",
        rs -> new Table(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getBoolean(5),
            rs.getString(6), rs.getString(7)),
        ctx.connection().createArrayOf("text", columns.toArray()), ctx.connection().createArrayOf("text", columns.toArray()));
    for (Table t : tables) {
      String name = Quoting.ident(t.schema()) + "." + Quoting.ident(t.table());
      String col = Quoting.ident(t.column());
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("table", t.schema() + "." + t.table());
      evidence.put("tenant_column", t.column());
      evidence.put("owner", t.owner());
      if (!t.rls()) {
        String check = col + " = current_setting('" + SETTING + "', true)::" + t.type();
        evidence.put("row_level_security", false);
        evidence.put("how_to_test", "BEGIN; SET LOCAL ROLE <application role>; SET LOCAL " + SETTING + " = '<a tenant>';"
            + " SELECT count(DISTINCT " + col + ") FROM " + name + "; -- 1 ROLLBACK;");
        out.add(new Finding("security.tenant_rls:" + t.schema() + "." + t.table(), "security.tenant_rls",
            WEAK.contains(t.column()) ? Severity.INFO : Severity.WARNING, DbObject.table(t.schema(), t.table()),
            name + " holds rows of many " + (WEAK.contains(t.column()) ? "users" : "tenants") + " (" + t.column()
                + ") and has no row-level security: one query without its WHERE shows all of them. The policy below isolates them by the setting " + SETTING
                + ", which the application must SET LOCAL in every transaction before it is applied",
            evidence, Map.of(), Confidence.HEURISTIC,
            new Action("ALTER TABLE " + name + " ENABLE ROW LEVEL SECURITY; ALTER TABLE " + name
                + " FORCE ROW LEVEL SECURITY; CREATE POLICY tenant_isolation ON " + name + " USING (" + check
                + ") WITH CHECK (" + check + ");",
                "DROP POLICY IF EXISTS tenant_isolation ON " + name + "; ALTER TABLE " + name + " NO FORCE ROW LEVEL SECURITY;"
                    + " ALTER TABLE " + name + " DISABLE ROW LEVEL SECURITY;",
                false, "ACCESS EXCLUSIVE (briefly)", "high")));
      } else if (!t.forced()) {
        boolean ownerIsApp = app.contains(t.owner());
        out.add(new Finding("security.rls_not_forced:" + t.schema() + "." + t.table(), "security.rls_not_forced",
            ownerIsApp ? Severity.WARNING : Severity.INFO, DbObject.table(t.schema(), t.table()),
            name + " has row-level security but its owner " + t.owner() + " skips the policies"
                + (ownerIsApp ? ", and the application connects as that owner" : ""),
            evidence, Map.of(), Confidence.MEASURED, new Action("ALTER TABLE " + name + " FORCE ROW LEVEL SECURITY;",
                "ALTER TABLE " + name + " NO FORCE ROW LEVEL SECURITY;", false, "ACCESS EXCLUSIVE (briefly)", "medium")));
      }
    }
    record Policy(String schema, String table, String name, String using, String check) {}
    for (Policy p : Sql.list(ctx.connection(), """
        SELECT schemaname, tablename, policyname, coalesce(qual, ''), coalesce(with_check, '') FROM pg_policies
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3""",
        rs -> new Policy(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)))) {
      if (SESSION_CONTEXT.matcher(p.using() + " " + p.check()).find()) {
        continue;
      }
      out.add(new Finding("security.policy_no_setting:" + p.schema() + "." + p.table() + "." + p.name(),
          "security.policy_no_setting", Severity.WARNING, DbObject.table(p.schema(), p.table()),
          "policy " + p.name() + " on " + p.schema() + "." + p.table() + " does not depend on who is asking (no"
              + " current_setting, current_user or session_user in it): every role it applies to sees the same rows",
          Map.of("policy", p.name(), "using", p.using(), "with_check", p.check()), Map.of(), Confidence.HEURISTIC, null));
    }
    return out;
  }
}

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
import java.util.List;
import java.util.Map;

/**
 * Privileges: {@code security.public_create} (anyone may create objects in a schema: the classic search_path trap),
 * {@code security.public_write} (tables anyone may change) and {@code security.definer_search_path} (SECURITY DEFINER
 * functions whose search_path the caller controls, so the caller's objects run with the owner's rights).
 */
public final class PrivilegeRules extends SecurityRule {
  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<Finding> out = new ArrayList<>();
    for (String schema : Sql.list(ctx.connection(), """
        SELECT n.nspname FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
         WHERE a.grantee = 0 AND a.privilege_type = 'CREATE' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1""", rs -> rs.getString(1))) {
      String s = Quoting.ident(schema);
      out.add(new Finding("security.public_create:" + schema, "security.public_create", Severity.WARNING,
          new DbObject(schema, null, null, null), "every role may create objects in schema " + schema + ": one of them"
              + " can plant a function or operator that another role's query picks up through search_path",
          Map.of("schema", schema, "grantee", "PUBLIC", "privilege", "CREATE"), Map.of(), Confidence.MEASURED,
          new Action("REVOKE CREATE ON SCHEMA " + s + " FROM PUBLIC;", "GRANT CREATE ON SCHEMA " + s + " TO PUBLIC;",
              true, "none", "low")));
    }
    record Writable(String schema, String table, String privileges) {}
    for (Writable w : Sql.list(ctx.connection(), """
        SELECT n.nspname, c.relname, string_agg(DISTINCT a.privilege_type, ', ' ORDER BY a.privilege_type)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.grantee = 0
           AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
         GROUP BY 1, 2 ORDER BY 1, 2""", rs -> new Writable(rs.getString(1), rs.getString(2), rs.getString(3)))) {
      String t = Quoting.ident(w.schema()) + "." + Quoting.ident(w.table());
      out.add(new Finding("security.public_write:" + w.schema() + "." + w.table(), "security.public_write", Severity.WARNING,
          DbObject.table(w.schema(), w.table()), "every role may " + w.privileges() + " on " + t + ": grant these to"
              + " the roles that need them instead",
          Map.of("table", w.schema() + "." + w.table(), "grantee", "PUBLIC", "privileges", w.privileges()), Map.of(),
          Confidence.MEASURED, new Action("REVOKE " + w.privileges() + " ON " + t + " FROM PUBLIC;",
              "GRANT " + w.privileges() + " ON " + t + " TO PUBLIC;", true, "none", "medium")));
    }
    record Definer(String schema, String signature, String owner) {}
    for (Definer d : Sql.list(ctx.connection(), """
        SELECT n.nspname, quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '('
               || pg_get_function_identity_arguments(p.oid) || ')', pg_get_userbyid(p.proowner)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
           AND NOT EXISTS (SELECT FROM unnest(p.proconfig) s WHERE s LIKE 'search\\_path=%')
           AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
         ORDER BY 2""", rs -> new Definer(rs.getString(1), rs.getString(2), rs.getString(3)))) {
      // the signature is schema-qualified and quoted: the fix must not depend on the search_path it runs with
      String path = "pg_catalog, " + Quoting.ident(d.schema()) + ", pg_temp";
      out.add(new Finding("security.definer_search_path:" + d.signature(), "security.definer_search_path", Severity.WARNING,
          new DbObject(d.schema(), null, null, null), "SECURITY DEFINER function " + d.signature() + " runs with "
              + d.owner() + "'s rights but the caller's search_path: a caller who can create objects can make it run"
              + " theirs; fix its search_path",
          Map.of("function", d.signature(), "owner", d.owner()), Map.of(), Confidence.MEASURED,
          new Action("ALTER FUNCTION " + d.signature() + " SET search_path = " + path + ";",
              "ALTER FUNCTION " + d.signature() + " RESET search_path;", true, "none", "low")));
    }
    return out;
  }
}

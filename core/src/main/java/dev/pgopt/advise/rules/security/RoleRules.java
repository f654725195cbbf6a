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
import java.util.Map;
import java.util.Set;

/**
 * Roles: {@code security.superuser} (login superusers besides the bootstrap one, or any superuser the application
 * uses), {@code security.bypassrls} (login roles that skip every row-level policy), {@code security.createrole}
 * (application roles that may create roles), {@code security.password} (MD5 hashes, login roles without a password
 * where a password rule would let them in), {@code security.app_owner} (the application connects as the owner of its
 * tables: it can drop them, and policies do not apply to it unless forced).
 */
public final class RoleRules extends SecurityRule {
  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<Finding> out = new ArrayList<>();
    Set<String> app = ApplicationRoles.of(ctx);
    record Role(String name, boolean superuser, boolean bypassRls, boolean createRole, boolean bootstrap) {}
    List<Role> roles = Sql.list(ctx.connection(), """
        SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, oid = 10 FROM pg_roles
         WHERE rolcanlogin AND rolname !~ '^pg_' ORDER BY rolname""",
        rs -> new Role(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5)));
    for (Role r : roles) {
      String role = Quoting.ident(r.name());
      boolean used = app.contains(r.name());
      if (r.superuser() && (!r.bootstrap() || used)) {
        out.add(finding("security.superuser", r.name(), Severity.WARNING, used
                ? "the application uses the superuser " + r.name() + ": any SQL injection owns the server (files, programs,"
                  + " every database); give it a role with only the privileges it needs"
                : "login role " + r.name() + " is a superuser besides the bootstrap superuser: remove the attribute unless"
                  + " an administrator logs in with it",
            Map.of("role", r.name(), "used_by_application", used, "bootstrap", r.bootstrap()),
            r.bootstrap() ? null : new Action("ALTER ROLE " + role + " NOSUPERUSER;", "ALTER ROLE " + role + " SUPERUSER;",
                true, "none", "medium")));
      } else if (r.bypassRls() && !r.superuser()) {
        out.add(finding("security.bypassrls", r.name(), used ? Severity.WARNING : Severity.INFO,
            "login role " + r.name() + " bypasses every row-level security policy" + (used ? " and the application uses it" : ""),
            Map.of("role", r.name(), "used_by_application", used),
            new Action("ALTER ROLE " + role + " NOBYPASSRLS;", "ALTER ROLE " + role + " BYPASSRLS;", true, "none", "medium")));
      }
      if (r.createRole() && !r.superuser() && used) {
        out.add(finding("security.createrole", r.name(), Severity.WARNING, "the application's role " + r.name()
                + " may create roles (on PostgreSQL 15 and older, that includes granting itself most predefined roles)",
            Map.of("role", r.name()),
            new Action("ALTER ROLE " + role + " NOCREATEROLE;", "ALTER ROLE " + role + " CREATEROLE;", true, "none", "low")));
      }
    }
    passwords(ctx, out);
    owners(ctx, app, out);
    return out;
  }

  private static void passwords(AdviceContext ctx, List<Finding> out) throws SQLException {
    if (!Sql.one(ctx.connection(), "SELECT has_table_privilege('pg_authid', 'SELECT')", rs -> rs.getBoolean(1))) {
      ctx.notes().add("security.password not checked: reading password hashes (pg_authid) needs a superuser;"
          + " run pgopt check --security as one to include it");
      return;
    }
    record Secret(String role, String kind) {}
    for (Secret s : Sql.list(ctx.connection(), """
        SELECT rolname, CASE WHEN rolpassword IS NULL THEN 'none' WHEN rolpassword LIKE 'md5%' THEN 'md5'
                             WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram' ELSE 'other' END
          FROM pg_authid WHERE rolcanlogin AND rolname !~ '^pg_' AND oid <> 10 ORDER BY rolname""",
        rs -> new Secret(rs.getString(1), rs.getString(2)))) {
      if (s.kind().equals("md5")) {
        out.add(finding("security.password", s.role(), Severity.WARNING, "role " + s.role() + " has an MD5 password hash:"
                + " MD5 hashes are weak and can be replayed; set password_encryption = 'scram-sha-256' and set the"
                + " password again (\\password " + s.role() + " in psql)",
            Map.of("role", s.role(), "hash", "md5"), null));
      } else if (s.kind().equals("none")) {
        out.add(finding("security.password", s.role(), Severity.INFO, "login role " + s.role() + " has no password: it"
                + " can only log in through trust, peer or certificate rules; make sure none lets it in from the network",
            Map.of("role", s.role(), "hash", "none"), null));
      }
    }
  }

  private static void owners(AdviceContext ctx, Set<String> app, List<Finding> out) throws SQLException {
    record Owned(String owner, long tables, String example) {}
    for (Owned o : Sql.list(ctx.connection(), """
        SELECT pg_get_userbyid(c.relowner), count(*), min(quote_ident(n.nspname) || '.' || quote_ident(c.relname))
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgopt')
           AND n.nspname NOT LIKE 'pg\\_%'
         GROUP BY c.relowner ORDER BY 1""", rs -> new Owned(rs.getString(1), rs.getLong(2), rs.getString(3)))) {
      if (!app.contains(o.owner())) {
        continue;
      }
      out.add(finding("security.app_owner", o.owner(), Severity.WARNING, "the application connects as " + o.owner()
              + ", which owns " + o.tables() + " of its tables: it can drop or alter them, and row-level policies do not"
              + " apply to it unless forced; own the tables with a role nobody logs in as and grant the application role"
              + " only what it uses",
          Map.of("role", o.owner(), "tables_owned", o.tables(), "example", o.example()), null));
    }
  }

  static Finding finding(String rule, String role, Severity severity, String title, Map<String, Object> evidence,
                         Action action) {
    return new Finding(rule + ":" + role, rule, severity, new DbObject(null, null, null, null), title,
        new LinkedHashMap<>(evidence), Map.of(), Confidence.MEASURED, action);
  }
}

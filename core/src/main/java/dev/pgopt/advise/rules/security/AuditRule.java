package dev.pgopt.advise.rules.security;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code security.audit}: whether anything records who changed the schema and the roles. pgaudit (Debian:
 * {@code postgresql-15-pgaudit}) must be preloaded, so the finding says what to change and that it needs a restart.
 */
public final class AuditRule extends SecurityRule {
  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    String preload = Sql.one(ctx.connection(), "SELECT current_setting('shared_preload_libraries')", rs -> rs.getString(1));
    boolean loaded = Arrays.stream(preload.split(",")).map(String::strip).anyMatch(l -> l.equals("pgaudit"));
    DbObject server = new DbObject(null, null, null, null);
    if (!loaded) {
      return List.of(new Finding("security.audit:pgaudit", "security.audit", Severity.INFO, server,
          "nothing records who changed the schema or the roles: install pgaudit (Debian: postgresql-15-pgaudit), add it"
              + " to shared_preload_libraries (a restart), CREATE EXTENSION pgaudit, and set pgaudit.log = 'ddl, role'",
          Map.of("shared_preload_libraries", preload), Map.of(), Confidence.MEASURED, null));
    }
    String log = Sql.one(ctx.connection(), "SELECT coalesce(current_setting('pgaudit.log', true), 'none')", rs -> rs.getString(1));
    if (log.isBlank() || log.strip().equalsIgnoreCase("none")) {
      return List.of(new Finding("security.audit:pgaudit.log", "security.audit", Severity.INFO, server,
          "pgaudit is loaded but logs nothing (pgaudit.log = none): ALTER SYSTEM SET pgaudit.log = 'ddl, role' and"
              + " SELECT pg_reload_conf()",
          Map.of("pgaudit.log", log), Map.of(), Confidence.MEASURED, null));
    }
    return List.of();
  }
}

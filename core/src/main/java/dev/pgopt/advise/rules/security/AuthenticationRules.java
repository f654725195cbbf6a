package dev.pgopt.advise.rules.security;

import dev.pgopt.advise.AdviceContext;
import dev.pgopt.advise.Finding;
import dev.pgopt.advise.Finding.Confidence;
import dev.pgopt.advise.Finding.DbObject;
import dev.pgopt.advise.Finding.Severity;
import dev.pgopt.connect.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Authentication: {@code security.hba_trust} (rules that let anyone in without a password), {@code security.hba_password}
 * (passwords sent in clear text), {@code security.hba_md5} (MD5 rules), {@code security.hba_open} (rules open to any
 * address), {@code security.hba_nossl} (remote rules that allow connections without SSL), {@code security.ssl_off}
 * (a server listening beyond loopback without SSL) and {@code security.session_nossl} (remote sessions right now
 * without SSL). pg_hba.conf is edited by hand, so these findings say what to change rather than carry SQL.
 */
public final class AuthenticationRules extends SecurityRule {
  @Override
  public List<Finding> evaluate(AdviceContext ctx) throws SQLException {
    List<Finding> out = new ArrayList<>();
    boolean ssl = Sql.one(ctx.connection(), "SELECT current_setting('ssl') = 'on'", rs -> rs.getBoolean(1));
    String listen = Sql.one(ctx.connection(), "SELECT current_setting('listen_addresses')", rs -> rs.getString(1));
    boolean remote = !List.of("", "localhost", "127.0.0.1", "::1").contains(listen.strip())
        && !listen.matches("\\s*(localhost|127\\.0\\.0\\.1|::1)(\\s*,\\s*(localhost|127\\.0\\.0\\.1|::1))*\\s*");
    if (!ssl && remote) {
      out.add(finding("security.ssl_off", "server", Severity.WARNING, "the server listens on '" + listen + "' with"
              + " ssl = off: passwords (with password rules) and all data cross the network in clear text; configure a"
              + " certificate (ssl_cert_file, ssl_key_file) and set ssl = on, then require it with hostssl rules",
          Map.of("ssl", "off", "listen_addresses", listen)));
    }
    hba(ctx, ssl, out);
    record Session(String user, String address, long sessions) {}
    for (Session s : Sql.list(ctx.connection(), """
        SELECT a.usename, host(a.client_addr), count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid
         WHERE a.client_addr IS NOT NULL AND NOT s.ssl AND NOT (a.client_addr << '127.0.0.0/8' OR a.client_addr = '::1')
           AND a.backend_type = 'client backend'
         GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""", rs -> new Session(rs.getString(1), rs.getString(2), rs.getLong(3)))) {
      out.add(finding("security.session_nossl", s.user() + "@" + s.address(), ssl ? Severity.WARNING : Severity.INFO,
          s.sessions() + " session(s) of " + s.user() + " from " + s.address() + " are connected without SSL"
              + (ssl ? " although the server offers it: require it with hostssl rules (and sslmode=verify-full in the"
                + " client)" : ""),
          Map.of("role", String.valueOf(s.user()), "address", s.address(), "sessions", s.sessions())));
    }
    return out;
  }

  private static void hba(AdviceContext ctx, boolean ssl, List<Finding> out) throws SQLException {
    if (!Sql.one(ctx.connection(), "SELECT has_table_privilege('pg_hba_file_rules', 'SELECT')", rs -> rs.getBoolean(1))) {
      ctx.notes().add("security.hba_* not checked: reading pg_hba_file_rules needs a superuser or"
          + " GRANT SELECT ON pg_hba_file_rules TO <role> (and EXECUTE ON FUNCTION pg_hba_file_rules())");
      return;
    }
    record HbaRule(int line, String type, String databases, String users, String address, String netmask, String method,
                   String error) {}
    List<HbaRule> rules = Sql.list(ctx.connection(), """
        SELECT line_number, type, array_to_string(database, ','), array_to_string(user_name, ','), address, netmask,
               auth_method, error FROM pg_hba_file_rules ORDER BY line_number""",
        rs -> new HbaRule(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7), rs.getString(8)));
    for (HbaRule r : rules) {
      if (r.error() != null) {
        continue;
      }
      String where = "pg_hba.conf line " + r.line() + " (" + r.type() + " " + r.databases() + " " + r.users()
          + (r.address() == null ? "" : " " + r.address() + (r.netmask() == null ? "" : "/" + r.netmask())) + " " + r.method() + ")";
      boolean network = !r.type().equals("local");
      boolean loopback = r.address() != null && (r.address().startsWith("127.") || r.address().equals("::1")
          || r.address().equals("localhost"));
      // 0.0.0.0/0 and ::/0 appear as address and netmask of all zeros
      boolean open = r.address() != null && (r.address().equals("all") || r.address().equals("0.0.0.0") && "0.0.0.0".equals(r.netmask())
          || r.address().equals("::") && "::".equals(r.netmask()));
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("line", r.line());
      evidence.put("type", r.type());
      evidence.put("database", r.databases());
      evidence.put("user", r.users());
      evidence.put("address", r.address() == null ? null : r.address() + (r.netmask() == null ? "" : "/" + r.netmask()));
      evidence.put("method", r.method());
      String key = "line" + r.line();
      switch (r.method()) {
        case "trust" -> out.add(finding("security.hba_trust", key, network && !loopback ? Severity.CRITICAL : Severity.WARNING,
            where + " lets anyone in without a password" + (network && !loopback ? " from the network" : " on this machine")
                + ": use scram-sha-256 (or peer for local connections)", evidence));
        case "password" -> out.add(finding("security.hba_password", key, Severity.WARNING, where + " sends passwords in"
            + " clear text: use scram-sha-256", evidence));
        case "md5" -> out.add(finding("security.hba_md5", key, Severity.INFO, where + " accepts MD5 authentication:"
            + " once every role has a SCRAM password, change the method to scram-sha-256", evidence));
        default -> { }
      }
      if (open && !r.method().equals("reject")) {
        out.add(finding("security.hba_open", key, Severity.WARNING, where + " accepts connections from any address:"
            + " narrow it to the application's networks", evidence));
      }
      if (network && !loopback && (r.type().equals("host") || r.type().equals("hostnossl")) && !r.method().equals("reject")) {
        out.add(finding("security.hba_nossl", key, ssl ? Severity.WARNING : Severity.INFO, where + " allows remote"
            + " connections without SSL" + (ssl ? ": change host to hostssl" : " (the server has ssl = off)"), evidence));
      }
    }
  }

  private static Finding finding(String rule, String key, Severity severity, String title, Map<String, Object> evidence) {
    return new Finding(rule + ":" + key, rule, severity, new DbObject(null, null, null, null), title,
        new LinkedHashMap<>(evidence), Map.of(), Confidence.MEASURED, null);
  }
}

package dev.pgopt.backup.internal;

import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Endpoint;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A {@link DatabaseTarget} as libpq tools take it: a conninfo string without the password (it would show in
 * {@code ps}), and an environment with the password and no stray PG* variables of ours.
 */
public final class LibpqTarget {
  private LibpqTarget() {}

  /** {@code host=... port=... dbname=... user=... sslmode=...}, every value quoted as libpq requires. */
  public static String conninfo(DatabaseTarget target) {
    Map<String, String> kv = new LinkedHashMap<>();
    kv.put("host", target.endpoints().stream().map(Endpoint::host).collect(Collectors.joining(",")));
    kv.put("port", target.endpoints().stream().map(e -> Integer.toString(e.port())).collect(Collectors.joining(",")));
    kv.put("dbname", target.database());
    kv.put("user", target.user());
    target.settings().forEach((k, v) -> {
      if (!k.equals("password")) {
        kv.putIfAbsent(k, v);
      }
    });
    return kv.entrySet().stream().map(e -> e.getKey() + "=" + quote(e.getValue())).collect(Collectors.joining(" "));
  }

  /** The child's environment: the password when pgopt has one (else libpq reads the password file as usual). */
  public static Map<String, String> environment(DatabaseTarget target) {
    Map<String, String> env = new HashMap<>();
    target.password().ifPresent(p -> env.put("PGPASSWORD", p));
    env.put("PGPASSFILE", target.passwordFile());
    env.put("PGCONNECT_TIMEOUT", target.setting("connect_timeout").orElse("10"));
    return env;
  }

  /** A conninfo value in single quotes, backslashes and quotes escaped as libpq reads them. */
  public static String quote(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}

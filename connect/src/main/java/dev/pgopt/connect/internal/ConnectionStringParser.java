package dev.pgopt.connect.internal;

import dev.pgopt.connect.Endpoint;
import dev.pgopt.connect.InvalidTargetException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses the three forms users paste: libpq URLs, libpq keyword/value strings and JDBC URLs. Error messages
 * never quote the input, which may hold a password.
 */
public final class ConnectionStringParser {
  /** libpq keywords pgopt understands (besides host, port, dbname, user, password). */
  static final Set<String> LIBPQ_SETTINGS = Set.of("sslmode", "sslrootcert", "sslcert", "sslkey", "channel_binding",
      "connect_timeout", "application_name", "options", "target_session_attrs", "passfile", "load_balance_hosts");
  /** libpq keywords accepted for compatibility that change nothing for pgopt's short sessions. */
  static final Set<String> LIBPQ_NO_EFFECT = Set.of("keepalives", "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "gssencmode", "sslcompression", "client_encoding", "sslnegotiation",
      "sslsni", "krbsrvname", "requirepeer", "fallback_application_name");
  /** Parameters ORMs add to URLs (Prisma, Supabase's Prisma URLs); libpq would reject them, we skip them. */
  static final Set<String> ORM_PARAMS = Set.of("pgbouncer", "schema", "connection_limit", "pool_timeout",
      "statement_cache_size", "socket_timeout");
  private static final Set<String> SSLMODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
  private static final Set<String> SESSION_ATTRS = Set.of("any", "read-write", "read-only", "primary", "standby", "prefer-standby");

  private ConnectionStringParser() {}

  /** What the string itself says; the environment fills the rest. */
  public record Parsed(List<Endpoint> endpoints, String database, String user, String password,
                       Map<String, String> settings, Map<String, String> jdbcProperties) {}

  public static Parsed parse(String input) throws InvalidTargetException {
    if (input == null || input.isBlank()) {
      throw new InvalidTargetException("empty connection string: pass --url postgres://user@host:5432/dbname");
    }
    String s = input.strip();
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
      return parseUrl(s.substring(s.indexOf("://") + 3), false);
    }
    if (lower.startsWith("jdbc:postgresql:")) {
      String rest = s.substring("jdbc:postgresql:".length());
      if (rest.startsWith("//")) {
        return parseUrl(rest.substring(2), true);
      }
      // jdbc:postgresql:dbname or jdbc:postgresql:/ (local defaults)
      return parseUrl("/" + (rest.startsWith("/") ? rest.substring(1) : rest), true);
    }
    if (s.contains("=") && !s.contains("://")) {
      return parseKeywordValue(s);
    }
    int scheme = s.indexOf("://");
    if (scheme > 0) {
      throw new InvalidTargetException("unsupported URL scheme '" + s.substring(0, scheme)
          + "://': use postgres://, postgresql:// or jdbc:postgresql://");
    }
    throw new InvalidTargetException(
        "not a connection URL: expected postgres://user@host:5432/dbname, a JDBC URL, or host=... dbname=...");
  }

  private static Parsed parseUrl(String rest, boolean jdbc) throws InvalidTargetException {
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    String path = null;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      path = rest.substring(slash + 1);
      rest = rest.substring(0, slash);
    }
    String user = null;
    String password = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      if (jdbc) {
        throw new InvalidTargetException("JDBC URLs take the user and password as ?user=...&password=..., not user@host");
      }
      String userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int colon = userInfo.indexOf(':');
      if (colon >= 0) {
        user = decode(userInfo.substring(0, colon), "user name");
        password = decode(userInfo.substring(colon + 1), "password");
      } else {
        user = decode(userInfo, "user name");
      }
      if (user.isEmpty()) {
        user = null;
      }
    }
    List<Endpoint> endpoints = new ArrayList<>();
    if (!rest.isEmpty()) {
      for (String hostPort : rest.split(",", -1)) {
        endpoints.add(endpoint(hostPort));
      }
    }
    String database = path == null || path.isEmpty() ? null : decode(path, "database name");

    Map<String, String> settings = new LinkedHashMap<>();
    Map<String, String> jdbcProps = new LinkedHashMap<>();
    String hostParam = null;
    String portParam = null;
    if (!query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new InvalidTargetException("malformed URL parameter (expected key=value) in the query string");
        }
        String key = decode(pair.substring(0, eq), "parameter name");
        String value = decode(pair.substring(eq + 1), "value of '" + key + "'");
        if (jdbc) {
          switch (key) {
            case "user" -> user = value;
            case "password" -> password = value;
            case "sslmode", "sslrootcert", "sslcert", "sslkey", "options" -> settings.put(key, value);
            case "ssl" -> {
              // pgjdbc: ssl=true without sslmode means verify-full
              if (Boolean.parseBoolean(value)) {
                settings.putIfAbsent("sslmode", "verify-full");
              }
            }
            case "connectTimeout" -> settings.put("connect_timeout", value);
            case "ApplicationName" -> settings.put("application_name", value);
            case "channelBinding" -> settings.put("channel_binding", value);
            case "targetServerType" -> settings.put("target_session_attrs", fromTargetServerType(value));
            default -> jdbcProps.put(key, value);
          }
          continue;
        }
        switch (key) {
          case "host", "hostaddr" -> hostParam = value;
          case "port" -> portParam = value;
          case "dbname" -> database = value;
          case "user" -> user = value;
          case "password" -> password = value;
          default -> acceptSetting(settings, key, value);
        }
      }
    }
    if (hostParam != null || portParam != null) {
      endpoints = endpointsFromParams(hostParam, portParam, endpoints);
    }
    return new Parsed(endpoints, database, user, password, settings, jdbcProps);
  }

  private static void acceptSetting(Map<String, String> settings, String key, String value) throws InvalidTargetException {
    if (LIBPQ_SETTINGS.contains(key)) {
      settings.put(key, value);
    } else if (!LIBPQ_NO_EFFECT.contains(key) && !ORM_PARAMS.contains(key)) {
      throw new InvalidTargetException("unknown connection parameter '" + key
          + "': remove it, or see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS");
    }
  }

  private static Parsed parseKeywordValue(String s) throws InvalidTargetException {
    Map<String, String> kv = new LinkedHashMap<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int eq = s.indexOf('=', i);
      if (eq < 0) {
        throw new InvalidTargetException("malformed keyword/value connection string: expected key=value pairs");
      }
      String key = s.substring(i, eq).strip();
      if (key.isEmpty() || key.chars().anyMatch(Character::isWhitespace)) {
        throw new InvalidTargetException("malformed keyword/value connection string: expected key=value pairs");
      }
      i = eq + 1;
      while (i < n && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      StringBuilder value = new StringBuilder();
      if (i < n && s.charAt(i) == '\'') {
        i++;
        boolean closed = false;
        while (i < n) {
          char c = s.charAt(i++);
          if (c == '\\' && i < n) {
            value.append(s.charAt(i++));
          } else if (c == '\'') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          throw new InvalidTargetException("unterminated quoted value for '" + key + "' in the connection string");
        }
      } else {
        while (i < n && !Character.isWhitespace(s.charAt(i))) {
          char c = s.charAt(i++);
          if (c == '\\' && i < n) {
            value.append(s.charAt(i++));
          } else {
            value.append(c);
          }
        }
      }
      kv.put(key, value.toString());
    }
    String user = null;
    String password = null;
    String database = null;
    String host = null;
    String port = null;
    Map<String, String> settings = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : kv.entrySet()) {
      switch (e.getKey()) {
        case "host", "hostaddr" -> host = e.getValue();
        case "port" -> port = e.getValue();
        case "dbname" -> database = e.getValue();
        case "user" -> user = e.getValue();
        case "password" -> password = e.getValue();
        default -> acceptSetting(settings, e.getKey(), e.getValue());
      }
    }
    List<Endpoint> endpoints = host == null && port == null ? List.of() : endpointsFromParams(host, port, List.of());
    return new Parsed(endpoints, database, user, password, settings, Map.of());
  }

  private static List<Endpoint> endpointsFromParams(String hosts, String ports, List<Endpoint> fromAuthority)
      throws InvalidTargetException {
    String[] h = hosts != null ? hosts.split(",", -1)
        : fromAuthority.isEmpty() ? new String[] {"localhost"} : fromAuthority.stream().map(Endpoint::host).toArray(String[]::new);
    String[] p = ports != null ? ports.split(",", -1) : new String[0];
    if (p.length > 1 && p.length != h.length) {
      throw new InvalidTargetException("connection string names " + h.length + " hosts but " + p.length + " ports");
    }
    List<Endpoint> out = new ArrayList<>();
    for (int i = 0; i < h.length; i++) {
      String host = h[i].strip();
      checkHost(host.isEmpty() ? "localhost" : host);
      int port = p.length == 0 ? (i < fromAuthority.size() ? fromAuthority.get(i).port() : 5432)
          : port(p.length == 1 ? p[0] : p[i], "port");
      out.add(new Endpoint(host.isEmpty() ? "localhost" : host, port));
    }
    return out;
  }

  private static Endpoint endpoint(String hostPort) throws InvalidTargetException {
    String host;
    String port = null;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw new InvalidTargetException("unclosed '[' in an IPv6 host of the URL");
      }
      host = hostPort.substring(1, close);
      String after = hostPort.substring(close + 1);
      if (after.startsWith(":")) {
        port = after.substring(1);
      } else if (!after.isEmpty()) {
        throw new InvalidTargetException("unexpected characters after an IPv6 host in the URL");
      }
    } else {
      int colon = hostPort.lastIndexOf(':');
      host = colon >= 0 ? hostPort.substring(0, colon) : hostPort;
      port = colon >= 0 ? hostPort.substring(colon + 1) : null;
    }
    host = decode(host, "host");
    if (host.isEmpty()) {
      host = "localhost";
    }
    checkHost(host);
    return new Endpoint(host, port == null || port.isEmpty() ? 5432 : port(port, "port"));
  }

  private static void checkHost(String host) throws InvalidTargetException {
    if (host.startsWith("/")) {
      throw new InvalidTargetException("Unix-domain sockets are not supported: use a TCP host such as localhost");
    }
    for (char c : host.toCharArray()) {
      if (Character.isWhitespace(c) || c == '@' || c == '/' || c == '?' || c == '#') {
        throw new InvalidTargetException("invalid character in host name: check the host part of the URL");
      }
    }
  }

  public static int port(String value, String what) throws InvalidTargetException {
    try {
      int p = Integer.parseInt(value.strip());
      if (p < 1 || p > 65535) {
        throw new NumberFormatException();
      }
      return p;
    } catch (NumberFormatException e) {
      throw new InvalidTargetException("invalid " + what + " '" + value + "': expected a number from 1 to 65535");
    }
  }

  public static void validate(Map<String, String> settings) throws InvalidTargetException {
    String sslmode = settings.get("sslmode");
    if (sslmode != null && !SSLMODES.contains(sslmode)) {
      throw new InvalidTargetException("invalid sslmode '" + sslmode + "': use one of " + String.join(", ", sorted(SSLMODES)));
    }
    String attrs = settings.get("target_session_attrs");
    if (attrs != null && !SESSION_ATTRS.contains(attrs)) {
      throw new InvalidTargetException("invalid target_session_attrs '" + attrs + "': use one of " + String.join(", ", sorted(SESSION_ATTRS)));
    }
    String cb = settings.get("channel_binding");
    if (cb != null && !Set.of("disable", "prefer", "require").contains(cb)) {
      throw new InvalidTargetException("invalid channel_binding '" + cb + "': use disable, prefer or require");
    }
    String timeout = settings.get("connect_timeout");
    if (timeout != null) {
      try {
        if (Integer.parseInt(timeout.strip()) < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new InvalidTargetException("invalid connect_timeout '" + timeout + "': expected whole seconds");
      }
    }
    String lb = settings.get("load_balance_hosts");
    if (lb != null && !Set.of("disable", "random").contains(lb)) {
      throw new InvalidTargetException("invalid load_balance_hosts '" + lb + "': use disable or random");
    }
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }

  private static String fromTargetServerType(String value) {
    return switch (value) {
      case "primary", "master" -> "primary";
      case "secondary", "slave", "standby" -> "standby";
      case "preferSecondary", "preferSlave", "preferStandby" -> "prefer-standby";
      default -> "any";
    };
  }

  /** Percent-decoding as libpq does it: '+' stays '+', bad escapes are errors. */
  static String decode(String s, String what) throws InvalidTargetException {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < s.length()) {
      int pct = s.indexOf('%', i);
      int end = pct < 0 ? s.length() : pct;
      out.writeBytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
      if (pct < 0) {
        break;
      }
      int hi = pct + 1 < s.length() ? Character.digit(s.charAt(pct + 1), 16) : -1;
      int lo = pct + 2 < s.length() ? Character.digit(s.charAt(pct + 2), 16) : -1;
      if (hi < 0 || lo < 0) {
        throw new InvalidTargetException("invalid percent-encoding in the " + what + ": '%' must be followed by two hex digits");
      }
      out.write(hi * 16 + lo);
      i = pct + 3;
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}

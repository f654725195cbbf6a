package dev.pgopt.connect;

import dev.pgopt.connect.internal.ConnectionStringParser;
import dev.pgopt.connect.internal.PgPassFile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where and how to connect: parsed from a libpq URL ({@code postgres://…}), a libpq keyword/value string
 * ({@code host=… dbname=…}) or a JDBC URL, completed with the libpq environment ({@code PGHOST}, {@code PGUSER},
 * {@code PGPASSWORD}, {@code ~/.pgpass}, …) the way libpq does it.
 *
 * <p>The password is never part of {@link #toString()} or {@link #display()}.
 */
public final class DatabaseTarget {
  /** Where the password came from, for messages that must not show the password itself. */
  public enum PasswordSource { URL, PGPASSWORD, PGPASS_FILE, NONE }

  private final List<Endpoint> endpoints;
  private final String database;
  private final String user;
  private final String password;
  private final PasswordSource passwordSource;
  private final Map<String, String> settings;
  private final Map<String, String> jdbcProperties;
  private final List<String> warnings;
  private final String passwordFile;

  private DatabaseTarget(List<Endpoint> endpoints, String database, String user, String password,
      PasswordSource passwordSource, Map<String, String> settings, Map<String, String> jdbcProperties, List<String> warnings,
      String passwordFile) {
    this.passwordFile = passwordFile;
    this.endpoints = List.copyOf(endpoints);
    this.database = database;
    this.user = user;
    this.password = password;
    this.passwordSource = passwordSource;
    this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    this.jdbcProperties = Collections.unmodifiableMap(new LinkedHashMap<>(jdbcProperties));
    this.warnings = List.copyOf(warnings);
  }

  public static DatabaseTarget parse(String connectionString, Environment env) throws InvalidTargetException {
    ConnectionStringParser.Parsed p = ConnectionStringParser.parse(connectionString);
    Map<String, String> s = new LinkedHashMap<>(p.settings());
    List<String> warnings = new ArrayList<>();

    List<Endpoint> endpoints = p.endpoints();
    if (endpoints.isEmpty()) {
      String host = env.get("PGHOST").orElse("localhost");
      if (host.startsWith("/")) {
        host = "localhost";
        warnings.add("PGHOST is a Unix-socket directory, which pgopt cannot use: connecting to localhost over TCP");
      }
      int port = ConnectionStringParser.port(env.get("PGPORT").orElse("5432"), "PGPORT");
      List<Endpoint> fromEnv = new ArrayList<>();
      for (String h : host.split(",")) {
        fromEnv.add(new Endpoint(h.trim(), port));
      }
      endpoints = fromEnv;
    }
    String user = p.user() != null ? p.user() : env.get("PGUSER").orElse(env.userName());
    String database = p.database() != null ? p.database() : env.get("PGDATABASE").orElse(user);
    envDefault(s, "sslmode", env, "PGSSLMODE");
    envDefault(s, "sslrootcert", env, "PGSSLROOTCERT");
    envDefault(s, "connect_timeout", env, "PGCONNECT_TIMEOUT");
    envDefault(s, "channel_binding", env, "PGCHANNELBINDING");
    envDefault(s, "target_session_attrs", env, "PGTARGETSESSIONATTRS");
    envDefault(s, "application_name", env, "PGAPPNAME");
    ConnectionStringParser.validate(s);

    String password = p.password();
    PasswordSource source = PasswordSource.URL;
    String passfile = s.getOrDefault("passfile", env.get("PGPASSFILE").orElse(env.home().resolve(".pgpass").toString()));
    if (password == null) {
      Optional<String> fromEnv = env.get("PGPASSWORD");
      if (fromEnv.isPresent()) {
        password = fromEnv.get();
        source = PasswordSource.PGPASSWORD;
      } else {
        PgPassFile.Lookup found = PgPassFile.lookup(java.nio.file.Path.of(passfile), endpoints, database, user);
        found.warning().ifPresent(warnings::add);
        password = found.password().orElse(null);
        source = password != null ? PasswordSource.PGPASS_FILE : PasswordSource.NONE;
      }
    }
    s.remove("passfile");
    return new DatabaseTarget(endpoints, database, user, password, source, s, p.jdbcProperties(), warnings, passfile);
  }

  private static void envDefault(Map<String, String> s, String key, Environment env, String var) {
    if (!s.containsKey(key)) {
      env.get(var).ifPresent(v -> s.put(key, v));
    }
  }

  /**
   * The same server, user, password and settings, another database of it (a monitor's discovered targets). The
   * password is the one found for this target; a ~/.pgpass entry for that other database only is not looked up.
   */
  public DatabaseTarget withDatabase(String otherDatabase) {
    return new DatabaseTarget(endpoints, otherDatabase, user, password, passwordSource, settings, jdbcProperties, warnings,
        passwordFile);
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  public String database() {
    return database;
  }

  public String user() {
    return user;
  }

  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** The password file pgopt reads when neither the URL nor PGPASSWORD has the password. */
  public String passwordFile() {
    return passwordFile;
  }

  public PasswordSource passwordSource() {
    return passwordSource;
  }

  /** libpq settings given or taken from the environment: sslmode, sslrootcert, connect_timeout, … */
  public Optional<String> setting(String key) {
    return Optional.ofNullable(settings.get(key));
  }

  public Map<String, String> settings() {
    return settings;
  }

  /** Properties from a JDBC URL that have no libpq equivalent; passed to pgjdbc as given. */
  public Map<String, String> jdbcProperties() {
    return jdbcProperties;
  }

  /** Things the user should know, e.g. a {@code ~/.pgpass} that was ignored for its permissions. */
  public List<String> warnings() {
    return warnings;
  }

  /** A libpq URL for messages: the password is never in it. */
  public String display() {
    String hosts = endpoints.stream().map(Endpoint::toString).collect(Collectors.joining(","));
    String query = settings.entrySet().stream()
        .filter(e -> !e.getKey().equals("options"))
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining("&"));
    return "postgres://" + user + (passwordSource == PasswordSource.URL ? ":****" : "") + "@" + hosts + "/" + database
        + (query.isEmpty() ? "" : "?" + query);
  }

  @Override
  public String toString() {
    return display();
  }
}

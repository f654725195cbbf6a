package dev.pgopt.cli.internal;

import dev.pgopt.client.PgoptDataSource;
import dev.pgopt.client.cache.CacheStats;
import dev.pgopt.client.cache.CacheStrategy;
import dev.pgopt.client.cache.QueryCache;
import dev.pgopt.client.cache.ValueType;
import dev.pgopt.load.LoadRun;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * {@code pgopt bench --through-client}: each request as an application built on pgopt-client sends it, a read through
 * {@link PgoptDataSource} (pooled, routed to a replica within the lag limit, circuit breakers and retries) and, with a
 * cache, answered by {@link QueryCache} under a key made of the statement and its values, its rows loaded on a miss.
 *
 * <p>Every physical session is made read-only the first time a request borrows it (pooled sessions keep their
 * settings), so the belt the run's own sessions wear costs one statement per session, not one per request.
 */
public final class ClientPath implements LoadRun.RequestPath {
  private static final ValueType<List<List<String>>> ROWS = new ValueType<>() {};
  /** Keys up to this long are the values themselves (readable in Redis); longer ones a digest of them. */
  private static final int PLAIN_KEY = 200;

  private final PgoptDataSource dataSource;
  private final QueryCache cache;
  private final CacheStrategy strategy;
  private final Set<Object> readOnly = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  /** @param cache null to send every request to the database */
  public ClientPath(PgoptDataSource dataSource, QueryCache cache, Duration ttl) {
    this.dataSource = dataSource;
    this.cache = cache;
    this.strategy = cache == null ? null : CacheStrategy.of("bench", ttl);
  }

  @Override
  public void run(int statement, String sql, String[] values) throws SQLException {
    if (cache == null) {
      dataSource.read("bench", c -> rows(c, sql, values, false));
      return;
    }
    cache.get(key(statement, values), strategy, ROWS, () -> dataSource.read("bench", c -> rows(c, sql, values, true)));
  }

  /** Cache hits and misses so far, or null without a cache. */
  public CacheStats cacheStats() {
    return cache == null ? null : cache.stats();
  }

  private List<List<String>> rows(Connection c, String sql, String[] values, boolean keep) throws SQLException {
    Object session = c.unwrap(org.postgresql.PGConnection.class);
    if (!readOnly.contains(session)) {
      try (Statement s = c.createStatement()) {
        s.execute("SET default_transaction_read_only = on");
      }
      readOnly.add(session);
    }
    List<List<String>> out = keep ? new ArrayList<>() : null;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      LoadRun.RequestPath.bind(ps, values);
      if (!ps.execute()) {
        return out;
      }
      try (ResultSet rs = ps.getResultSet()) {
        int columns = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          if (keep) {
            List<String> row = new ArrayList<>(columns);
            for (int i = 1; i <= columns; i++) {
              row.add(rs.getString(i));
            }
            out.add(row);
          }
        }
      }
    }
    return out;
  }

  /**
   * The statement's place and its values, joined by a unit separator; a digest of them (each prefixed with its length,
   * so no two lists collide) when that is long, or a value holds a line break (the cache refuses those) or the separator.
   */
  static String key(int statement, String[] values) {
    String joined = String.join("\u001f", values);
    boolean plain = joined.length() <= PLAIN_KEY;
    for (int i = 0; plain && i < values.length; i++) {
      plain = values[i].indexOf('\n') < 0 && values[i].indexOf('\r') < 0 && values[i].indexOf('\u001f') < 0;
    }
    if (plain) {
      return "s" + statement + ":" + joined;
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String v : values) {
        sha.update((v.length() + ":").getBytes(StandardCharsets.UTF_8));
        sha.update(v.getBytes(StandardCharsets.UTF_8));
      }
      return "s" + statement + "#" + Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

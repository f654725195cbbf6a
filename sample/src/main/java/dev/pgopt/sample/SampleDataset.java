package dev.pgopt.sample;

import dev.pgopt.sample.internal.CopyText;
import dev.pgopt.sample.internal.DatasetGenerator;
import dev.pgopt.sample.internal.DebianPackage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The sample AI-platform dataset: schema, loading (COPY, in one transaction, so a failed load leaves nothing
 * behind) and what is installed. Shared by {@code pgopt demo}, the tests and the benchmarks.
 */
public final class SampleDataset {
  public static final int FORMAT_VERSION = 1;
  public static final List<String> TABLES = List.of("users", "repositories", "opportunities", "projects", "messages",
      "token_usage", "analytics_events");

  private SampleDataset() {}

  /** @param scale 1.0 loads about 1.4 million rows; repositories are capped at the ~63k Debian packages. */
  public record Options(double scale, long seed, boolean replace) {
    public Options {
      if (!(scale > 0) || scale > 100) {
        throw new IllegalArgumentException("scale must be > 0 and at most 100, got " + scale);
      }
    }

    public static Options defaults() {
      return new Options(1.0, 42, false);
    }
  }

  public record Info(int formatVersion, double scale, long seed, Map<String, Long> rowCounts, Instant loadedAt) {
    public long totalRows() {
      return rowCounts.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  public record LoadResult(Info info, boolean alreadyLoaded, Duration took) {}

  /** Reports each step of a load; the no-op default costs nothing. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = message -> { };

    void step(String message);
  }

  /** What is loaded in this database, if anything. */
  public static Optional<Info> installed(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('public.pgopt_sample_info') IS NOT NULL")) {
      rs.next();
      if (!rs.getBoolean(1)) {
        return Optional.empty();
      }
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT key, value::int8 FROM (SELECT row_counts FROM pgopt_sample_info "
             + "ORDER BY loaded_at DESC LIMIT 1) i, jsonb_each_text(i.row_counts)")) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(
             "SELECT format_version, scale, seed, loaded_at FROM pgopt_sample_info ORDER BY loaded_at DESC LIMIT 1")) {
      if (!rs.next()) {
        return Optional.empty();
      }
      return Optional.of(new Info(rs.getInt(1), rs.getDouble(2), rs.getLong(3), counts, rs.getTimestamp(4).toInstant()));
    }
  }

  /**
   * Loads the dataset unless the same one is already there. A different scale or seed is left alone unless
   * {@code options.replace()}. Tables of the same names that pgopt did not create are never touched.
   */
  public static LoadResult load(Connection c, Options options, Clock clock, Progress progress) throws SQLException {
    long started = System.nanoTime();
    Optional<Info> existing = installed(c);
    if (existing.isPresent() && !options.replace()) {
      return new LoadResult(existing.get(), true, Duration.ZERO);
    }
    if (existing.isEmpty()) {
      try (Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT string_agg(t, ', ') FROM unnest('{" + String.join(",", TABLES)
               + "}'::text[]) t WHERE to_regclass('public.' || t) IS NOT NULL")) {
        rs.next();
        if (rs.getString(1) != null) {
          throw new SQLException("tables " + rs.getString(1) + " already exist and are not pgopt's sample dataset: "
              + "load it into an empty database", "42P07");
        }
      }
    }
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION IF NOT EXISTS vector");
        if (existing.isPresent()) {
          progress.step("dropping the previous sample dataset");
          s.execute("DROP TABLE IF EXISTS pgopt_sample_info, " + String.join(", ", TABLES) + " CASCADE");
        }
        s.execute(resource("/pgopt/sample/schema.sql"));
      }
      Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
      DatasetGenerator gen = new DatasetGenerator(DebianPackage.loadAll(), options.scale(), options.seed(), now);
      Map<String, Long> counts = new LinkedHashMap<>();
      CopyIn[] copy = new CopyIn[1];
      Consumer<CopyText> sink = buf -> write(copy[0], buf);
      CopyText out = new CopyText();

      List<String> usernames = gen.usernames();
      counts.put("users", copy(c, copy, "users (id, username, email, display_name, plan, is_active, created_at, last_seen_at)",
          progress, () -> gen.users(usernames, sink, out), out));
      counts.put("repositories", copy(c, copy, "repositories (id, owner_id, name, full_name, description, language, topics, section, "
          + "stars, forks, size_kb, homepage, created_at, updated_at)", progress, () -> gen.repositories(usernames, sink, out), out));
      int repos = counts.get("repositories").intValue();
      counts.put("opportunities", copy(c, copy, "opportunities (id, repository_id, title, kind, status, visibility, difficulty, "
          + "created_at, updated_at)", progress, () -> gen.opportunities(repos, sink, out), out));
      counts.put("projects", copy(c, copy, "projects (id, owner_id, name, visibility, created_at, updated_at)", progress,
          () -> gen.projects(usernames.size(), sink, out), out));
      long[] owners = projectOwners(c, counts.get("projects").intValue());
      counts.put("messages", copy(c, copy, "messages (id, project_id, user_id, role, content, tokens, created_at)", progress,
          () -> gen.messages(owners, sink, out), out));
      counts.put("token_usage", copy(c, copy, "token_usage (id, user_id, model, endpoint, prompt_tokens, completion_tokens, "
          + "cost_usd, created_at)", progress, () -> gen.tokenUsage(usernames.size(), sink, out), out));
      counts.put("analytics_events", copy(c, copy, "analytics_events (id, user_id, event_type, properties, created_at)", progress,
          () -> gen.analyticsEvents(usernames.size(), repos, sink, out), out));

      progress.step("adding foreign keys and analyzing");
      try (Statement s = c.createStatement()) {
        s.execute(resource("/pgopt/sample/constraints.sql"));
        for (String t : TABLES) {
          // identity sequences continue after the explicit ids COPY wrote
          s.execute("SELECT setval(pg_get_serial_sequence('" + t + "', 'id'), (SELECT max(id) FROM " + t + "))");
          s.execute("ANALYZE " + t);
        }
      }
      String json = counts.entrySet().stream().map(e -> "\"" + e.getKey() + "\": " + e.getValue())
          .collect(java.util.stream.Collectors.joining(", ", "{", "}"));
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO pgopt_sample_info (format_version, scale, seed, row_counts, loaded_at) VALUES (?, ?, ?, ?::jsonb, now())")) {
        ps.setInt(1, FORMAT_VERSION);
        ps.setDouble(2, options.scale());
        ps.setLong(3, options.seed());
        ps.setString(4, json);
        ps.execute();
      }
      c.commit();
      Info info = installed(c).orElseThrow();
      return new LoadResult(info, false, Duration.ofNanos(System.nanoTime() - started));
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  private static long[] projectOwners(Connection c, int projects) throws SQLException {
    long[] owners = new long[projects];
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, owner_id FROM projects ORDER BY id")) {
      while (rs.next()) {
        owners[(int) rs.getLong(1) - 1] = rs.getLong(2);
      }
    }
    return owners;
  }

  private static long copy(Connection c, CopyIn[] holder, String target, Progress progress, Runnable generate, CopyText out)
      throws SQLException {
    String table = target.substring(0, target.indexOf(' '));
    progress.step("loading " + table);
    holder[0] = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + target + " FROM STDIN");
    try {
      generate.run();
      write(holder[0], out);
      return holder[0].endCopy();
    } catch (RuntimeException e) {
      if (holder[0].isActive()) {
        holder[0].cancelCopy();
      }
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      throw e;
    }
  }

  private static void write(CopyIn copy, CopyText buf) {
    byte[] bytes = buf.drain().getBytes(StandardCharsets.UTF_8);
    try {
      copy.writeToCopy(bytes, 0, bytes.length);
    } catch (SQLException e) {
      throw new IllegalStateException("COPY failed: " + e.getMessage(), e);
    }
  }

  static String resource(String path) {
    try (InputStream in = SampleDataset.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

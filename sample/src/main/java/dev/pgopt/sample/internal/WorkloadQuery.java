package dev.pgopt.sample.internal;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * The statements of the sample workload, with their default share of the mix. Several need indexes the sample
 * schema lacks on purpose (see docs/sample-dataset.md).
 */
public enum WorkloadQuery {
  REPO_BY_ID(18, "SELECT id, full_name, description, stars FROM repositories WHERE id = ?") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, d.popularRepository(r));
    }
  },
  USER_LOGIN(8, "SELECT id, username, plan FROM users WHERE email = ? AND is_active") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setString(1, d.email(r));
    }
  },
  REPOS_BY_LANGUAGE(8, "SELECT id, full_name, stars FROM repositories WHERE language = ? ORDER BY stars DESC LIMIT 20") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setString(1, d.language(r));
    }
  },
  REPO_SEARCH(6, "SELECT id, full_name, ts_rank(search_vector, q) AS rank FROM repositories, "
      + "websearch_to_tsquery('english', ?) q WHERE search_vector @@ q ORDER BY rank DESC LIMIT 20") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setString(1, d.searchTerms(r));
    }
  },
  OPEN_OPPORTUNITIES(6, "SELECT o.id, o.title, r.full_name FROM opportunities o JOIN repositories r ON r.id = o.repository_id "
      + "WHERE o.status = 'open' AND o.visibility = 'public' AND o.kind = ? ORDER BY o.created_at DESC LIMIT 20") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setString(1, DatasetGenerator.KINDS[r.nextInt(DatasetGenerator.KINDS.length)]);
    }
  },
  PROJECT_MESSAGES(12, "SELECT id, role, content, created_at FROM messages WHERE project_id = ? AND created_at < ? "
      + "ORDER BY created_at DESC LIMIT 50") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, d.busyProject(r));
      ps.setTimestamp(2, Timestamp.from(Instant.now().minusSeconds(r.nextInt(86400 * 30))));
    }
  },
  USER_TOKEN_USAGE(5, "SELECT model, sum(prompt_tokens + completion_tokens) AS tokens, sum(cost_usd) AS cost FROM token_usage "
      + "WHERE user_id = ? AND created_at >= now() - interval '30 days' GROUP BY model") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, d.activeUser(r));
    }
  },
  DAILY_COST(1, "SELECT date_trunc('day', created_at) AS day, model, sum(cost_usd) FROM token_usage "
      + "WHERE created_at >= ? GROUP BY 1, 2 ORDER BY 1") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setTimestamp(1, Timestamp.from(Instant.now().minusSeconds(86400L * (1 + r.nextInt(7)))));
    }
  },
  USER_PROJECTS(6, "SELECT id, name, updated_at FROM projects WHERE owner_id = ? ORDER BY updated_at DESC LIMIT 20") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, d.activeUser(r));
    }
  },
  INSERT_MESSAGE(10, "INSERT INTO messages (project_id, user_id, role, content, tokens, created_at) "
      + "VALUES (?, ?, 'user', ?, ?, now())") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, d.busyProject(r));
      ps.setLong(2, d.activeUser(r));
      String text = "Can you explain " + d.searchTerms(r) + "?";
      ps.setString(3, text);
      ps.setInt(4, text.length() / 4);
    }
  },
  INSERT_TOKEN_USAGE(8, "INSERT INTO token_usage (user_id, model, endpoint, prompt_tokens, completion_tokens, cost_usd, created_at) "
      + "VALUES (?, ?, ?, ?, ?, ?, now())") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      int m = r.nextInt(DatasetGenerator.MODELS.length);
      int prompt = 200 + r.nextInt(4000);
      int completion = r.nextInt(800);
      ps.setLong(1, d.activeUser(r));
      ps.setString(2, DatasetGenerator.MODELS[m]);
      ps.setString(3, DatasetGenerator.ENDPOINTS[r.nextInt(DatasetGenerator.ENDPOINTS.length)]);
      ps.setInt(4, prompt);
      ps.setInt(5, completion);
      ps.setBigDecimal(6, java.math.BigDecimal.valueOf((prompt * DatasetGenerator.MODEL_PRICES[m][0]
          + completion * DatasetGenerator.MODEL_PRICES[m][1]) / 1_000_000).setScale(6, java.math.RoundingMode.HALF_UP));
    }
  },
  INSERT_EVENT(8, "INSERT INTO analytics_events (user_id, event_type, properties, created_at) VALUES (?, ?, ?::jsonb, now())") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, d.activeUser(r));
      ps.setString(2, "page_view");
      ps.setString(3, "{\"path\": \"/repositories/" + d.popularRepository(r) + "\"}");
    }
  },
  STAR_REPOSITORY(3, "UPDATE repositories SET stars = stars + 1, updated_at = now() WHERE id = ?") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, d.popularRepository(r));
    }
  },
  CLAIM_OPPORTUNITY(1, "UPDATE opportunities SET status = 'claimed', updated_at = now() WHERE id = ? AND status = 'open'") {
    @Override
    void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
      ps.setLong(1, 1 + r.nextLong(d.maxOpportunity()));
    }
  };

  private final int defaultWeight;
  private final String sql;

  WorkloadQuery(int defaultWeight, String sql) {
    this.defaultWeight = defaultWeight;
    this.sql = sql;
  }

  public int defaultWeight() {
    return defaultWeight;
  }

  public String sql() {
    return sql;
  }

  /** The name used in --mix: e.g. repo-by-id. */
  public String label() {
    return name().toLowerCase().replace('_', '-');
  }

  public boolean writes() {
    return sql.startsWith("INSERT") || sql.startsWith("UPDATE");
  }

  abstract void bind(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException;

  /** Binds fresh parameters and executes. */
  public void execute(PreparedStatement ps, WorkloadData d, SplittableRandom r) throws SQLException {
    bind(ps, d, r);
    if (writes()) {
      ps.executeUpdate();
    } else {
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          // read every row, as an application would
        }
      }
    }
  }
}

package dev.pgopt.sample.internal;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * The statements of the sample workload, with their default share of the mix. Several need indexes the sample
 * schema lacks on purpose (see docs/sample-dataset.md).
 */
public enum WorkloadQuery {
  REPO_BY_ID(18, "SELECT id, full_name, description, stars FROM repositories WHERE id = ?") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.popularRepository(r)};
    }
  },
  USER_LOGIN(8, "SELECT id, username, plan FROM users WHERE email = ? AND is_active") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.email(r)};
    }
  },
  REPOS_BY_LANGUAGE(8, "SELECT id, full_name, stars FROM repositories WHERE language = ? ORDER BY stars DESC LIMIT 20") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.language(r)};
    }
  },
  REPO_SEARCH(6, "SELECT id, full_name, ts_rank(search_vector, q) AS rank FROM repositories, "
      + "websearch_to_tsquery('english', ?) q WHERE search_vector @@ q ORDER BY rank DESC LIMIT 20") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.searchTerms(r)};
    }
  },
  OPEN_OPPORTUNITIES(6, "SELECT o.id, o.title, r.full_name FROM opportunities o JOIN repositories r ON r.id = o.repository_id "
      + "WHERE o.status = 'open' AND o.visibility = 'public' AND o.kind = ? ORDER BY o.created_at DESC LIMIT 20") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {DatasetGenerator.KINDS[r.nextInt(DatasetGenerator.KINDS.length)]};
    }
  },
  PROJECT_MESSAGES(12, "SELECT id, role, content, created_at FROM messages WHERE project_id = ? AND created_at < ? "
      + "ORDER BY created_at DESC LIMIT 50") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.busyProject(r), Timestamp.from(Instant.now().minusSeconds(r.nextInt(86400 * 30)))};
    }
  },
  USER_TOKEN_USAGE(5, "SELECT model, sum(prompt_tokens + completion_tokens) AS tokens, sum(cost_usd) AS cost FROM token_usage "
      + "WHERE user_id = ? AND created_at >= now() - interval '30 days' GROUP BY model") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.activeUser(r)};
    }
  },
  DAILY_COST(1, "SELECT date_trunc('day', created_at) AS day, model, sum(cost_usd) FROM token_usage "
      + "WHERE created_at >= ? GROUP BY 1, 2 ORDER BY 1") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {Timestamp.from(Instant.now().minusSeconds(86400L * (1 + r.nextInt(7))))};
    }
  },
  USER_PROJECTS(6, "SELECT id, name, updated_at FROM projects WHERE owner_id = ? ORDER BY updated_at DESC LIMIT 20") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.activeUser(r)};
    }
  },
  INSERT_MESSAGE(10, "INSERT INTO messages (project_id, user_id, role, content, tokens, created_at) "
      + "VALUES (?, ?, 'user', ?, ?, now())") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      String text = "Can you explain " + d.searchTerms(r) + "?";
      return new Object[] {d.busyProject(r), d.activeUser(r), text, text.length() / 4};
    }
  },
  INSERT_TOKEN_USAGE(8, "INSERT INTO token_usage (user_id, model, endpoint, prompt_tokens, completion_tokens, cost_usd, created_at) "
      + "VALUES (?, ?, ?, ?, ?, ?, now())") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      int m = r.nextInt(DatasetGenerator.MODELS.length);
      int prompt = 200 + r.nextInt(4000);
      int completion = r.nextInt(800);
      return new Object[] {d.activeUser(r), DatasetGenerator.MODELS[m],
          DatasetGenerator.ENDPOINTS[r.nextInt(DatasetGenerator.ENDPOINTS.length)], prompt, completion,
          java.math.BigDecimal.valueOf((prompt * DatasetGenerator.MODEL_PRICES[m][0]
              + completion * DatasetGenerator.MODEL_PRICES[m][1]) / 1_000_000).setScale(6, java.math.RoundingMode.HALF_UP)};
    }
  },
  INSERT_EVENT(8, "INSERT INTO analytics_events (user_id, event_type, properties, created_at) VALUES (?, ?, ?::jsonb, now())") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.activeUser(r), "page_view", "{\"path\": \"/repositories/" + d.popularRepository(r) + "\"}"};
    }
  },
  STAR_REPOSITORY(3, "UPDATE repositories SET stars = stars + 1, updated_at = now() WHERE id = ?") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {d.popularRepository(r)};
    }
  },
  CLAIM_OPPORTUNITY(1, "UPDATE opportunities SET status = 'claimed', updated_at = now() WHERE id = ? AND status = 'open'") {
    @Override
    Object[] values(WorkloadData d, RandomGenerator r) {
      return new Object[] {1 + r.nextLong(d.maxOpportunity())};
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

  /** One call's parameter values, in order: Long, Integer, String, Timestamp or BigDecimal. */
  abstract Object[] values(WorkloadData d, RandomGenerator r);

  /** The same values as text, for a client that sends them untyped (the server takes each column's type). */
  public String[] text(WorkloadData d, RandomGenerator r) {
    Object[] v = values(d, r);
    String[] out = new String[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] instanceof Timestamp t ? t.toInstant().toString()
          : v[i] instanceof java.math.BigDecimal b ? b.toPlainString() : String.valueOf(v[i]);
    }
    return out;
  }

  /** Binds fresh parameters and executes. */
  public void execute(PreparedStatement ps, WorkloadData d, RandomGenerator r) throws SQLException {
    Object[] v = values(d, r);
    for (int i = 0; i < v.length; i++) {
      ps.setObject(i + 1, v[i]);
    }
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

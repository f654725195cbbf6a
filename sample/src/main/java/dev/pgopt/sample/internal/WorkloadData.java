package dev.pgopt.sample.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** What the workload draws parameters from, read once from the loaded dataset. Skewed like real traffic. */
public final class WorkloadData {
  static final String[] SEARCH_TERMS = {"python library", "image editor", "network monitoring", "font", "database driver",
      "machine learning", "web server", "compression", "music player", "spell checker", "bioinformatics", "game engine",
      "json parser", "pdf viewer", "terminal emulator", "kernel module", "encryption", "http client", "markdown", "backup"};

  private final long maxOpportunity;
  private final List<String> emails;
  private final List<String> languages;
  private final Zipf repositories;
  private final Zipf users;
  private final Zipf projects;

  private WorkloadData(long maxRepository, long maxUser, long maxProject, long maxOpportunity, List<String> emails, List<String> languages) {
    this.maxOpportunity = maxOpportunity;
    this.emails = emails;
    this.languages = languages;
    this.repositories = new Zipf((int) Math.min(maxRepository, 100_000), 0.9);
    this.users = new Zipf((int) Math.min(maxUser, 100_000), 1.0);
    this.projects = new Zipf((int) Math.min(maxProject, 100_000), 1.0);
  }

  public static WorkloadData read(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      long[] max = new long[4];
      try (ResultSet rs = s.executeQuery("SELECT (SELECT max(id) FROM repositories), (SELECT max(id) FROM users), "
          + "(SELECT max(id) FROM projects), (SELECT max(id) FROM opportunities)")) {
        rs.next();
        for (int i = 0; i < 4; i++) {
          max[i] = Math.max(1, rs.getLong(i + 1));
        }
      }
      List<String> emails = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT email FROM users ORDER BY id LIMIT 2000")) {
        while (rs.next()) {
          emails.add(rs.getString(1));
        }
      }
      List<String> languages = new ArrayList<>();
      try (ResultSet rs = s.executeQuery(
          "SELECT language FROM repositories WHERE language IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 30")) {
        while (rs.next()) {
          languages.add(rs.getString(1));
        }
      }
      if (languages.isEmpty()) {
        languages.add("c");
      }
      return new WorkloadData(max[0], max[1], max[2], max[3], emails, languages);
    }
  }

  long popularRepository(RandomGenerator r) {
    return 1 + repositories.next(r);
  }

  long activeUser(RandomGenerator r) {
    return 1 + users.next(r);
  }

  long busyProject(RandomGenerator r) {
    return 1 + projects.next(r);
  }

  long maxOpportunity() {
    return maxOpportunity;
  }

  String email(RandomGenerator r) {
    return emails.isEmpty() ? "nobody@example.com" : emails.get(r.nextInt(emails.size()));
  }

  String language(RandomGenerator r) {
    // popular languages are asked for more often
    return languages.get(Math.min(languages.size() - 1, (int) Math.abs(r.nextGaussian() * languages.size() / 3)));
  }

  String searchTerms(RandomGenerator r) {
    return SEARCH_TERMS[r.nextInt(SEARCH_TERMS.length)];
  }
}

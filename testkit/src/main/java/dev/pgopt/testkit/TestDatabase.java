package dev.pgopt.testkit;

import java.sql.Connection;
import java.sql.SQLException;

/** A database of its own in the shared test cluster; closing it drops it. */
public record TestDatabase(TestCluster cluster, String name) implements AutoCloseable {
  public String url() {
    return cluster.url(name);
  }

  public String jdbcUrl() {
    return cluster.jdbcUrl(name);
  }

  public Connection connect() throws SQLException {
    return cluster.connect(name);
  }

  /** A connection under {@code applicationName}, e.g. a victim session a hostile-input test watches. */
  public Connection connect(String applicationName) throws SQLException {
    return cluster.connect(name, applicationName);
  }

  public void execute(String... statements) {
    cluster.execute(name, statements);
  }

  /**
   * Empties pg_stat_statements for this database only, so that a test's statement window starts after its data load
   * (other tests' databases keep theirs).
   */
  public void resetStatements() {
    execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
  }

  public void drop() {
    cluster.execute("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  @Override
  public void close() {
    drop();
  }
}

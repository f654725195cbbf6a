package dev.pgopt.advise.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.connect.Quoting;
import dev.pgopt.connect.Sql;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Estimated B-tree sizes against the same indexes built for real. */
@ExtendWith(PostgresExtension.class)
class BtreeSizeIT {
  @BeforeAll
  static void data(TestDatabase db) {
    db.execute("CREATE TABLE items (id int, account int, skewed int, placed timestamptz, code text, price numeric(12,2),"
            + " deleted_at timestamptz, label text, region int)",
        // 200,000 rows: 2,000 accounts; a column where one value is half the rows and 1,000 others share the rest; a
        // 32-character unique text; numeric (no deduplication); 10 % not deleted; 12 labels; 20 regions, each account's
        // region fixed (account and region together: 2,000 pairs, not the 40,000 the columns' counts multiply to)
        "INSERT INTO items SELECT g, g % 2000, CASE WHEN g % 2 = 0 THEN 0 ELSE g % 1000 + 1 END,"
            + " now() - g * interval '1 minute',"
            + " md5(g::text), (g % 5000) / 7.0, CASE WHEN abs(hashint4(g)) % 10 = 0 THEN NULL ELSE now() END,"
            + " 'label-' || (g % 12), (g % 2000) / 100"
            + " FROM generate_series(1, 200000) g",
        "ANALYZE items");
  }

  private static IndexCandidate on(String predicate, String... columns) {
    List<Boolean> asc = new ArrayList<>();
    for (String ignored : columns) {
      asc.add(false);
    }
    return new IndexCandidate("public", "items", List.of(columns), asc, predicate);
  }

  @Test
  void estimatesAreWithinAQuarterOfTheBuiltSize(TestDatabase db) throws Exception {
    List<IndexCandidate> candidates = List.of(on(null, "id"), on(null, "account"), on(null, "skewed"),
        on(null, "code"), on(null, "price"), on(null, "label"), on(null, "account", "placed"),
        on("deleted_at IS NULL", "account"), on(null, "account", "region"), on(null, "region", "label"));
    List<String> report = new ArrayList<>();
    try (Connection c = db.connect()) {
      for (IndexCandidate candidate : candidates) {
        long estimate = BtreeSize.estimate(c, candidate);
        c.createStatement().execute(candidate.definition(true).create(false));
        long built = Sql.one(c, "SELECT pg_relation_size(?::regclass)", rs -> rs.getLong(1),
            "public." + Quoting.ident(candidate.indexName()));
        c.createStatement().execute("DROP INDEX public." + Quoting.ident(candidate.indexName()));
        double ratio = (double) estimate / built;
        report.add(candidate.key() + ": estimate " + estimate / 1024 + " kB, built " + built / 1024 + " kB, ratio "
            + String.format(java.util.Locale.ROOT, "%.2f", ratio));
      }
    }
    System.out.println(String.join("\n", report));
    assertThat(report).allSatisfy(line -> {
      double ratio = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      assertThat(ratio).as(line).isBetween(0.75, 1.25);
    });
  }

  @Test
  void hypopgOverestimatesADeduplicatedIndexAndThisDoesNot(TestDatabase db) throws Exception {
    IndexCandidate account = on(null, "account");
    try (Connection c = db.connect()) {
      c.createStatement().execute("CREATE EXTENSION IF NOT EXISTS hypopg");
      long hypopg = Sql.one(c, "SELECT hypopg_relation_size(indexrelid) FROM hypopg_create_index(?)",
          rs -> rs.getLong(1), account.definition(false).create(false));
      c.createStatement().execute("SELECT hypopg_reset()");
      c.createStatement().execute(account.definition(true).create(false));
      long built = Sql.one(c, "SELECT pg_relation_size(?::regclass)", rs -> rs.getLong(1),
          "public." + Quoting.ident(account.indexName()));
      c.createStatement().execute("DROP INDEX public." + Quoting.ident(account.indexName()));
      System.out.println("items(account): HypoPG " + hypopg / 1024 + " kB, built " + built / 1024 + " kB, estimate "
          + BtreeSize.estimate(c, account) / 1024 + " kB");
      assertThat((double) hypopg / built).as("HypoPG ignores deduplication").isGreaterThan(2);
      assertThat((double) BtreeSize.estimate(c, account) / built).isBetween(0.75, 1.25);
    }
  }

  @Test
  void withoutStatisticsThereIsNoEstimate(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE fresh (a int)");
    try (Connection c = db.connect()) {
      assertThat(BtreeSize.estimate(c, new IndexCandidate("public", "fresh", List.of("a"), List.of(false)))).isEqualTo(-1);
      assertThat(BtreeSize.estimate(c, new IndexCandidate("public", "nosuch", List.of("a"), List.of(false)))).isEqualTo(-1);
    }
  }
}

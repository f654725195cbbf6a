package dev.pgopt.bench;

import dev.pgopt.advise.whatif.BtreeSize;
import dev.pgopt.advise.whatif.IndexCandidate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * pgopt's B-tree size estimate and HypoPG's against the size of the index built for real, for given indexes
 * (docs/benchmarks/advisor-evaluation.md). Each index is built, measured and dropped; the database is otherwise
 * unchanged.
 *
 * <p>Usage: {@code IndexSizeAccuracy JDBC-URL SPEC...} with SPEC {@code table:col[,col...][+include[,include...]]}
 * ({@code orders:o_orderdate+o_custkey,o_orderkey}).
 */
public final class IndexSizeAccuracy {
  private IndexSizeAccuracy() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: IndexSizeAccuracy JDBC-URL table:col[,col][+include,...] ...");
      System.exit(64);
    }
    System.out.println("| index | pgopt's estimate | HypoPG's | built | pgopt / built | HypoPG / built |");
    System.out.println("|---|---|---|---|---|---|");
    double worst = 0;
    try (Connection c = DriverManager.getConnection(args[0]); Statement st = c.createStatement()) {
      for (String spec : Arrays.asList(args).subList(1, args.length)) {
        String table = spec.substring(0, spec.indexOf(':'));
        String rest = spec.substring(spec.indexOf(':') + 1);
        List<String> cols = List.of(rest.split("\\+")[0].split(","));
        List<String> include = rest.contains("+") ? List.of(rest.split("\\+")[1].split(",")) : List.of();
        List<Boolean> asc = new ArrayList<>(cols.stream().map(x -> false).toList());
        IndexCandidate candidate = new IndexCandidate("public", table, cols, asc).including(include);
        long estimate = BtreeSize.estimate(c, candidate);
        long hypo;
        try (ResultSet rs = st.executeQuery("SELECT hypopg_relation_size(indexrelid) FROM hypopg_create_index('"
            + candidate.definition(false).create(false).replace("'", "''") + "')")) {
          rs.next();
          hypo = rs.getLong(1);
        }
        st.execute("SELECT hypopg_reset()");
        st.execute(candidate.definition(true).create(false));
        long built;
        try (ResultSet rs = st.executeQuery("SELECT pg_relation_size('public." + candidate.indexName() + "')")) {
          rs.next();
          built = rs.getLong(1);
        }
        st.execute("DROP INDEX public." + candidate.indexName());
        double ratio = (double) estimate / built;
        worst = Math.max(worst, Math.abs(ratio - 1));
        System.out.printf(Locale.ROOT, "| %s | %.1f MB | %.1f MB | %.1f MB | %.2f | %.2f |%n", candidate.describe(),
            estimate / 1048576.0, hypo / 1048576.0, built / 1048576.0, ratio, (double) hypo / built);
      }
    }
    System.out.printf(Locale.ROOT, "%nlargest error of pgopt's estimate: %.0f %%%n", worst * 100);
  }
}

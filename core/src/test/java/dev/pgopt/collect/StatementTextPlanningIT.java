package dev.pgopt.collect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestDatabase;
import java.sql.Connection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Statement texts as pg_stat_statements stores TPC-H queries: constants turned into parameters where PostgreSQL
 * requires a literal or cannot infer a type. Each must plan.
 */
@ExtendWith(PostgresExtension.class)
class StatementTextPlanningIT {
  @BeforeAll
  static void schema(TestDatabase db) {
    db.execute("CREATE TABLE lineitem (l_orderkey int, l_partkey int, l_shipdate date, l_extendedprice numeric(15,2),"
        + " l_discount numeric(15,2), l_quantity numeric(15,2), p_type text)", "ANALYZE lineitem");
  }

  private static PlanCollector.Attempt attempt(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      int version = c.unwrap(org.postgresql.PGConnection.class) == null ? 0
          : Integer.parseInt(dev.pgopt.connect.Sql.one(c, "SHOW server_version_num", rs -> rs.getString(1)));
      PlanCollector.Attempt a = PlanCollector.attempt(c, PlanGuard.strict(), sql, version, true);
      c.rollback();
      return a;
    }
  }

  @Test
  void extractFieldsIntervalQualifiersAndAmbiguousArithmeticPlan(TestDatabase db) throws Exception {
    String[] texts = {
        // Q7/Q8/Q9: extract(year from ...) becomes extract($1 from ...)
        "select extract($1 from l_shipdate) as l_year, sum(l_extendedprice * ($2 - l_discount)) from lineitem"
            + " where l_shipdate between date $3 and date $4 group by l_year",
        // Q1: interval '90' day (3)
        "select count(*) from lineitem where l_shipdate <= date $1 - interval $2 day (3)",
        // Q14: sum(case when ... then $1 else $2 end) would resolve to sum(text)
        "select $1 * sum(case when p_type like $2 then l_extendedprice * ($3 - l_discount) else $4 end)"
            + " / sum(l_extendedprice * ($5 - l_discount)) from lineitem where l_shipdate >= date $6"
            + " and l_shipdate < date $7 + interval $8 month",
        // a generated key: 1 + $1 % 1000, all three constants unknown
        "select l_quantity from lineitem where l_partkey = $1 + $2 % $3",
    };
    for (String sql : texts) {
      PlanCollector.Attempt a = attempt(db, sql);
      assertThat(a.error()).as(sql).isNull();
      assertThat(a.planned()).isTrue();
    }
  }

  @Test
  void whatCannotBePlannedSaysWhy(TestDatabase db) throws Exception {
    PlanCollector.Attempt a = attempt(db, "select nosuchcolumn from lineitem where l_partkey = $1");
    assertThat(a.planned()).isFalse();
    assertThat(a.error()).contains("nosuchcolumn");
  }
}

package dev.pgopt.apply;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.Finding;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plan apply checks before it runs anything: plain findings, no server. */
class PlanContradictionTest {
  private static Finding f(String id, String sql) {
    return new Finding(id, id.substring(0, id.indexOf(':')), Finding.Severity.WARNING, new Finding.DbObject("public", "t", null, List.of()),
        id, Map.of(), Map.of(), Finding.Confidence.MEASURED, new Finding.Action(sql, null, true, "SHARE UPDATE EXCLUSIVE", "low"));
  }

  @Test
  void theSameIndexBuiltTwiceUnderTwoNamesIsAContradiction() {
    assertThat(Applier.contradiction(List.of(
        f("index.fk_missing:public.child(parent_id)", "CREATE INDEX CONCURRENTLY child_parent_id_idx ON public.child (parent_id);"),
        f("index.missing:public.child(parent_id)", "CREATE INDEX CONCURRENTLY child_parent_idx ON public.child  (parent_id);"))))
        .contains("both create an index ON public.child (parent_id)");
  }

  @Test
  void droppingAndRebuildingOneIndexIsAContradiction() {
    assertThat(Applier.contradiction(List.of(
        f("index.redundant:public.t_a", "DROP INDEX CONCURRENTLY public.t_a;"),
        f("index.bloat:public.t_a", "REINDEX INDEX CONCURRENTLY public.t_a;"))))
        .isEqualTo("index.bloat:public.t_a rebuilds public.t_a, which index.redundant:public.t_a drops");
    assertThat(Applier.contradiction(List.of(
        f("index.redundant:public.t_a", "DROP INDEX CONCURRENTLY public.t_a;"),
        f("index.unused:public.t_a", "DROP INDEX CONCURRENTLY \"public\".\"t_a\";")))).contains("both drop public.t_a");
  }

  @Test
  void aConsistentPlanPasses() {
    assertThat(Applier.contradiction(List.of(
        f("index.invalid:public.u", "CREATE UNIQUE INDEX CONCURRENTLY u_pgopt_new ON public.t USING btree (a);\n"
            + "DROP INDEX CONCURRENTLY public.u;\nALTER INDEX public.u_pgopt_new RENAME TO u;"),
        f("index.missing:public.t(b)", "CREATE INDEX CONCURRENTLY t_b_idx ON public.t (b);"),
        f("index.bloat:public.t_c", "REINDEX INDEX CONCURRENTLY public.t_c;")))).isNull();
  }
}

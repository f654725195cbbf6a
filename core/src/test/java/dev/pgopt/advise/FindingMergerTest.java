package dev.pgopt.advise;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How findings become one plan: plain findings, no server. */
class FindingMergerTest {
  private static Finding f(String id, String sql) {
    return new Finding(id, id.substring(0, id.indexOf(':')), Finding.Severity.WARNING, new Finding.DbObject("public", "t", null, List.of()),
        id, Map.of(), Map.of(), Finding.Confidence.MEASURED, new Finding.Action(sql, null, true, "SHARE UPDATE EXCLUSIVE", "low"));
  }

  private static List<String> ids(List<Finding> findings) {
    return findings.stream().map(Finding::id).toList();
  }

  @Test
  void aForeignKeyIndexThatACompositeBeginsWithIsTheCompositesJob() {
    List<Finding> merged = FindingMerger.merge(List.of(
        f("index.fk_missing:public.messages(project_id)", "CREATE INDEX CONCURRENTLY messages_project_id_idx ON public.messages (project_id);"),
        f("index.missing:public.messages(project_id,created_at)",
            "CREATE INDEX CONCURRENTLY messages_project_id_created_at_idx ON public.messages (project_id, created_at);")),
        new ArrayList<>());
    assertThat(merged).singleElement().satisfies(x -> {
      assertThat(x.id()).isEqualTo("index.missing:public.messages(project_id,created_at)");
      assertThat(x.title()).endsWith("; also index.fk_missing");
      assertThat(x.evidence().get("also").toString()).contains("index.fk_missing:public.messages(project_id)");
    });
  }

  @Test
  void theFindingThatTakesInAMoreSevereOneTakesItsSeverityAndPlace() {
    Finding fk = f("index.fk_missing:public.t(a)", "CREATE INDEX CONCURRENTLY t_a_idx ON public.t (a);");
    Finding vacuum = f("table.vacuum:public.u", "VACUUM public.u;");
    Finding other = new Finding(vacuum.id(), vacuum.rule(), Finding.Severity.INFO, vacuum.object(), vacuum.title(),
        vacuum.evidence(), vacuum.impact(), vacuum.confidence(), vacuum.action());
    Finding composite = f("index.missing:public.t(a,b)", "CREATE INDEX CONCURRENTLY t_a_b_idx ON public.t (a, b);");
    Finding info = new Finding(composite.id(), composite.rule(), Finding.Severity.INFO, composite.object(), composite.title(),
        composite.evidence(), composite.impact(), composite.confidence(), composite.action());
    List<Finding> merged = FindingMerger.merge(List.of(fk, other, info), new ArrayList<>());
    assertThat(ids(merged)).containsExactly("index.missing:public.t(a,b)", "table.vacuum:public.u");
    assertThat(merged.get(0).severity()).isEqualTo(Finding.Severity.WARNING);
  }

  @Test
  void aForeignKeyOfTwoColumnsIsServedInEitherOrderButAPlainPrefixOnlyInOrder() {
    assertThat(ids(FindingMerger.merge(List.of(
        f("index.fk_missing:public.t(a,b)", "CREATE INDEX CONCURRENTLY t_a_b_idx ON public.t (a, b);"),
        f("index.missing:public.t(b,a,c)", "CREATE INDEX CONCURRENTLY t_b_a_c_idx ON public.t (b, a, c);")), new ArrayList<>())))
        .containsExactly("index.missing:public.t(b,a,c)");
    assertThat(ids(FindingMerger.merge(List.of(
        f("index.missing:public.t(a,b)", "CREATE INDEX CONCURRENTLY t_a_b_idx ON public.t (a, b);"),
        f("index.missing:public.t(b,a,c)", "CREATE INDEX CONCURRENTLY t_b_a_c_idx ON public.t (b, a, c);")), new ArrayList<>())))
        .hasSize(2);
    assertThat(ids(FindingMerger.merge(List.of(
        f("index.missing:public.t(a)", "CREATE INDEX CONCURRENTLY t_a_idx ON public.t (a);"),
        f("index.missing:public.t(a)incl", "CREATE INDEX CONCURRENTLY t_a_incl_b_idx ON public.t (a) INCLUDE (b);")), new ArrayList<>())))
        .containsExactly("index.missing:public.t(a)incl");
  }

  @Test
  void nothingIsAbsorbedByAnIndexThatCannotServeIt() {
    List<Finding> kept = FindingMerger.merge(List.of(
        f("index.fk_missing:public.t(a)", "CREATE INDEX CONCURRENTLY t_a_idx ON public.t (a);"),
        f("index.missing:public.t(a,b)partial", "CREATE INDEX CONCURRENTLY t_a_b_idx ON public.t (a, b) WHERE b > 0;"),
        f("index.missing:public.t(a,c)brin", "CREATE INDEX CONCURRENTLY t_a_c_idx ON public.t USING brin (a, c);"),
        f("index.missing:public.u(a,b)", "CREATE INDEX CONCURRENTLY u_a_b_idx ON public.u (a, b);"),
        f("index.missing:public.t(\"A\",b)", "CREATE INDEX CONCURRENTLY t_qa_b_idx ON public.t (\"A\", b);"),
        f("index.missing:public.t((lower(a)),b)", "CREATE INDEX CONCURRENTLY t_la_b_idx ON public.t ((lower(a)), b);")),
        new ArrayList<>());
    assertThat(kept).hasSize(6);
  }

  @Test
  void theShapeOfABuildIsReadBackWithQuotesAndExpressions() {
    IndexStatement s = IndexStatement.of("CREATE INDEX CONCURRENTLY \"x, y\" ON \"My Schema\".\"T (1)\" USING btree "
        + "((lower(\"a,b\")), c DESC) INCLUDE (\"d)\") WITH (fillfactor = 90) WHERE c > 0;").get(0);
    assertThat(s.shape()).hasValueSatisfying(shape -> {
      assertThat(shape.table()).isEqualTo("my schema.t (1)");
      assertThat(shape.keys()).containsExactly("(lower(\"a,b\"))", "c desc");
      assertThat(shape.include()).containsExactly("\"d)\"");
      assertThat(shape.partial()).isTrue();
    });
    assertThat(IndexStatement.of("DROP INDEX CONCURRENTLY public.t_a;").get(0).shape()).isEmpty();
  }
}

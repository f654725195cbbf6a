package dev.pgopt.advise.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgopt.collect.PlanNode;
import dev.pgopt.collect.TableFacts;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Candidates from plan text alone: which conditions become partial-index predicates. */
class CandidateGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, TableFacts> PART = Map.of(TableFacts.key("public", "part"),
      new TableFacts("public", "part", 200_000, 4_000, List.of()));

  private static List<IndexCandidate> candidates(String filter) throws Exception {
    String plan = JSON.writeValueAsString(Map.of("Node Type", "Seq Scan", "Schema", "public", "Relation Name", "part",
        "Alias", "part", "Total Cost", 5000.0, "Plan Rows", 10.0, "Filter", filter,
        "Output", List.of("part.p_partkey", "part.p_size")));
    return CandidateGenerator.from(PlanNode.parse(JSON.readTree(plan)), PART);
  }

  @Test
  void aColumnInTheParenthesesOfACastIsNotABooleanFlag() throws Exception {
    // TPC-H Q16: p_type is text, compared after a cast; "WHERE p_type" is no predicate at all
    List<IndexCandidate> c = candidates("(((part.p_type)::text !~~ 'MEDIUM POLISHED%'::text) AND (part.p_size = $1))");
    assertThat(c).extracting(IndexCandidate::predicate).containsOnlyNulls();
  }

  @Test
  void booleanFlagsNullTestsAndConstantsArePredicates() throws Exception {
    assertThat(candidates("((NOT part.p_retired) AND (part.p_size = $1))")).extracting(IndexCandidate::predicate)
        .contains("NOT p_retired");
    assertThat(candidates("((part.p_deleted_at IS NULL) AND (part.p_size = $1))")).extracting(IndexCandidate::predicate)
        .contains("p_deleted_at IS NULL");
    assertThat(candidates("(((part.p_type)::text = 'it''s; DROP TABLE part; --'::text) AND (part.p_size = $1))"))
        .extracting(IndexCandidate::predicate).contains("p_type = 'it''s; DROP TABLE part; --'::text");
  }
}

package dev.pgopt.vector.advise;

import dev.pgopt.advise.Rule;
import dev.pgopt.advise.RuleProvider;
import java.util.List;

/** The vector.* rules, added to {@code pgopt advise} through the advisor's plug-in point. */
public final class VectorRules implements RuleProvider {
  @Override
  public List<Rule> rules() {
    SharedInventory shared = new SharedInventory();
    return List.of(new StatementRules.NoAnnIndex(shared), new StatementRules.OpclassMismatch(shared),
        new StatementRules.EfSearchBelowLimit(shared), new StatementRules.FilteredRecall(shared),
        new StatementRules.PartitionFanout(shared),
        new HalfvecCandidateRule(shared), new BuildMemoryRule(shared), new IvfflatParamsRule(shared), new HnswGrowthRule(shared));
  }
}

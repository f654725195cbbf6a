package dev.pgopt.advise.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.cloud.neon.NeonBranch;
import dev.pgopt.cloud.neon.NeonCompute;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BranchLifecycleTest {
  private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

  private static NeonBranch branch(String id, String parent, int ageDays, boolean isDefault, boolean isProtected) {
    return new NeonBranch(id, "name-" + id, parent, NOW.minus(Duration.ofDays(ageDays)), NOW.minus(Duration.ofDays(ageDays)),
        1L << 30, isDefault, isProtected, "ready");
  }

  @Test
  void oldIdleBranchesGoTheRestStayWithTheirReason() {
    List<NeonBranch> branches = List.of(branch("br-main", null, 400, true, false), branch("br-prot", "br-main", 90, false, true),
        branch("br-stale", "br-main", 60, false, false), branch("br-young", "br-main", 3, false, false),
        branch("br-busy", "br-main", 60, false, false), branch("br-parent", "br-main", 60, false, false),
        branch("br-child", "br-parent", 1, false, false));
    List<NeonCompute> computes = List.of(new NeonCompute("ep-1", "br-busy", "read_write", 0.25, 1, 0,
        Optional.of(NOW.minus(Duration.ofDays(2))), "idle"), new NeonCompute("ep-2", "br-stale", "read_write", 0.25, 1, 0,
        Optional.of(NOW.minus(Duration.ofDays(40))), "idle"));
    List<BranchLifecycle.Decision> d = new BranchLifecycle(Duration.ofDays(30), Duration.ofDays(14))
        .review("p-1", branches, computes, NOW);
    assertThat(d).extracting(x -> x.branch().id() + ":" + x.verdict()).containsExactly("br-main:KEEP", "br-prot:KEEP",
        "br-stale:DELETE", "br-young:KEEP", "br-busy:KEEP", "br-parent:KEEP", "br-child:KEEP");
    assertThat(d.get(2).reason()).isEqualTo("60 days old, last active 40 days ago");
    assertThat(d.get(2).action()).get().asString().contains("/projects/p-1/branches/br-stale").contains("$NEON_API_KEY");
    assertThat(d.get(5).reason()).contains("other branches were made from it");
    assertThat(d.get(4).reason()).isEqualTo("active within 14 days");
  }
}

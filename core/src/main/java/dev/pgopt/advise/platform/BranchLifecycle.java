package dev.pgopt.advise.platform;

import dev.pgopt.cloud.neon.NeonBranch;
import dev.pgopt.cloud.neon.NeonCompute;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A lifecycle policy for Neon branches: the default branch, protected branches and any branch younger than
 * {@code maxAge} or active within {@code idle} are kept; the rest are proposed for deletion, with the API call that
 * does it. Activity is the latest {@code last_active} of the branch's computes, else its last update.
 */
public record BranchLifecycle(Duration maxAge, Duration idle) {
  public enum Verdict { KEEP, DELETE }

  public record Decision(NeonBranch branch, Verdict verdict, String reason, Optional<Instant> lastActivity,
                         Optional<String> action) {}

  public BranchLifecycle {
    if (maxAge.isNegative() || idle.isNegative()) {
      throw new IllegalArgumentException("branch ages must not be negative");
    }
  }

  public List<Decision> review(String project, List<NeonBranch> branches, List<NeonCompute> computes, Instant now) {
    List<Decision> out = new ArrayList<>();
    for (NeonBranch b : branches) {
      Optional<Instant> active = computes.stream().filter(c -> c.branchId().equals(b.id()))
          .flatMap(c -> c.lastActive().stream()).max(Comparator.naturalOrder());
      Optional<Instant> last = active.or(() -> Optional.ofNullable(b.updatedAt()));
      boolean hasChildren = branches.stream().anyMatch(o -> b.id().equals(o.parentId()));
      String reason;
      Verdict v = Verdict.KEEP;
      if (b.isDefault()) {
        reason = "the default branch";
      } else if (b.isProtected()) {
        reason = "protected";
      } else if (hasChildren) {
        reason = "other branches were made from it (delete them first)";
      } else if (b.createdAt() != null && b.createdAt().isAfter(now.minus(maxAge))) {
        reason = "younger than " + days(maxAge);
      } else if (last.isPresent() && last.get().isAfter(now.minus(idle))) {
        reason = "active within " + days(idle);
      } else {
        v = Verdict.DELETE;
        reason = (b.createdAt() == null ? "age unknown" : days(Duration.between(b.createdAt(), now)) + " old") + ", "
            + last.map(l -> "last active " + days(Duration.between(l, now)) + " ago").orElse("never active");
      }
      out.add(new Decision(b, v, reason, last, v == Verdict.DELETE
          ? Optional.of("curl -X DELETE -H \"Authorization: Bearer $NEON_API_KEY\" "
              + "https://console.neon.tech/api/v2/projects/" + project + "/branches/" + b.id())
          : Optional.empty()));
    }
    return out;
  }

  private static String days(Duration d) {
    long days = d.toDays();
    return days >= 1 ? days + " days" : d.toHours() + " h";
  }
}

package dev.pgopt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.advise.platform.BranchLifecycle;
import dev.pgopt.advise.platform.NeonComputeSizing;
import dev.pgopt.cloud.neon.NeonApiException;
import dev.pgopt.cloud.neon.NeonClient;
import dev.pgopt.cloud.neon.NeonCompute;
import dev.pgopt.cloud.neon.NeonProject;
import dev.pgopt.cloud.neon.NeonUsage;
import dev.pgopt.cloud.price.PriceTable;
import dev.pgopt.collect.platform.NeonCacheStats;
import dev.pgopt.collect.platform.Platform;
import dev.pgopt.collect.platform.PlatformDetector;
import dev.pgopt.collect.platform.PlatformProfile;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.Sql;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "platform", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Where the database runs (self-managed, Neon, Supabase, RDS, Aurora) and what that changes: where",
        "settings live, what pooling means. On Neon: the Local File Cache and working set, the compute size they",
        "call for, and with NEON_API_KEY and --neon-project the computes, branches (with a lifecycle policy) and",
        "this period's consumption. See docs/platforms.md."},
    footer = {"", "Exit codes: 0 nothing to change, 1 something to change (compute size, branches to delete),"
        + " 3 cannot connect or the Neon API failed (the rest is still printed), 64 usage error."})
public final class PlatformCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--neon-project", paramLabel = "ID", description = "The Neon project (needs NEON_API_KEY).")
  String neonProject;

  @Option(names = "--branch-max-age", defaultValue = "30d", paramLabel = "DURATION",
      description = "Branches younger than this are kept (default: ${DEFAULT-VALUE}).")
  String branchMaxAge;

  @Option(names = "--branch-idle", defaultValue = "14d", paramLabel = "DURATION",
      description = "Branches active within this are kept (default: ${DEFAULT-VALUE}).")
  String branchIdle;

  @Option(names = "--peak-connections", paramLabel = "N",
      description = "The most direct connections at once (default: those open now).")
  Integer peakConnections;

  @Mixin
  PriceOptions prices = new PriceOptions();

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
  String format;

  public PlatformCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    Duration maxAge = ConnectionOptions.duration(branchMaxAge, "--branch-max-age");
    Duration idle = ConnectionOptions.duration(branchIdle, "--branch-idle");
    if (peakConnections != null && peakConnections < 0) {
      throw new CliFailure(ExitCode.USAGE, "--peak-connections must not be negative");
    }
    Optional<NeonProject> project = Optional.empty();
    if (neonProject != null) {
      try {
        project = Optional.of(new NeonProject(NeonClient.fromEnvironment(ctx.env()::get), neonProject));
      } catch (NeonApiException e) {
        throw new CliFailure(ExitCode.USAGE, "--neon-project: " + e.getMessage());
      }
    }
    DatabaseTarget target = connection.target(ctx);
    PlatformProfile profile;
    Optional<NeonCacheStats> cache;
    int connections;
    try (Session session = Session.open(target, connection.sessionOptions())) {
      String host = target.endpoints().get(0).host();
      profile = session.readOnly(c -> PlatformDetector.detect(c, host));
      cache = session.readOnly(NeonCacheStats::read);
      connections = peakConnections != null ? peakConnections : session.readOnly(c -> Sql.one(c,
          "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'", rs -> rs.getInt(1)));
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
    boolean neon = profile.platform() == Platform.NEON || cache.isPresent() || project.isPresent();
    List<String> apiFailures = new ArrayList<>();
    List<NeonCompute> computes = List.of();
    List<BranchLifecycle.Decision> branches = List.of();
    Optional<NeonUsage> usage = Optional.empty();
    if (project.isPresent()) {
      NeonProject p = project.get();
      try {
        computes = p.computes();
        branches = new BranchLifecycle(maxAge, idle).review(p.id(), p.branches(), computes, ctx.clock().instant());
        usage = Optional.of(p.currentPeriod());
      } catch (NeonApiException e) {
        apiFailures.add(e.getMessage());
      }
    }
    Optional<NeonCompute> primary = primaryCompute(computes, branches);
    Optional<NeonComputeSizing.Advice> sizing = neon ? Optional.of(NeonComputeSizing.advise(
        cache.flatMap(NeonCacheStats::workingSetBytes), cache.flatMap(NeonCacheStats::hitRatio), connections, primary))
        : Optional.empty();
    // a compute that shows Neon's cache, or a Neon project, is priced as Neon even when too few clues named the platform
    PriceTable priceTable = prices.resolve(neon ? Platform.NEON : profile.platform());
    long toDelete = branches.stream().filter(d -> d.verdict() == BranchLifecycle.Verdict.DELETE).count();
    if (format.equals("json")) {
      ctx.out().println(json(profile, cache, connections, sizing, computes, branches, usage, priceTable, apiFailures).toPrettyString());
    } else {
      human(target, profile, cache, connections, sizing, branches, usage, priceTable, apiFailures);
    }
    if (!apiFailures.isEmpty()) {
      return ExitCode.UNKNOWN;
    }
    return sizing.map(s -> !s.changes().isEmpty()).orElse(false) || toDelete > 0 ? ExitCode.WARNING : ExitCode.OK;
  }

  private static Optional<NeonCompute> primaryCompute(List<NeonCompute> computes, List<BranchLifecycle.Decision> branches) {
    Optional<String> defaultBranch = branches.stream().filter(d -> d.branch().isDefault()).map(d -> d.branch().id()).findFirst();
    return computes.stream().filter(c -> "read_write".equals(c.type()))
        .filter(c -> defaultBranch.map(b -> b.equals(c.branchId())).orElse(true)).findFirst();
  }

  private void human(DatabaseTarget target, PlatformProfile profile, Optional<NeonCacheStats> cache, int connections,
                     Optional<NeonComputeSizing.Advice> sizing, List<BranchLifecycle.Decision> branches,
                     Optional<NeonUsage> usage, PriceTable priceTable, List<String> apiFailures) {
    var out = ctx.out();
    out.println("pgopt platform  " + target.display());
    Platform p = profile.platform();
    out.println("  platform   " + p.displayName() + (profile.evidence().isEmpty() ? "" : "  (" + String.join(", ", profile.evidence()) + ")"));
    out.println("  settings   " + p.settingsHome());
    out.println("  pooling    " + p.pooler());
    cache.ifPresent(c -> {
      out.println();
      out.println("Local File Cache");
      out.println("  hit ratio    " + c.hitRatio().map(r -> String.format("%.2f %%", r)).orElse("no reads yet")
          + String.format("  (%d hits, %d misses since the compute started)", c.hits(), c.misses()));
      out.println("  working set  " + c.workingSetBytes().map(CostCommand::size).orElse("unknown") + " touched in the last hour");
      c.cacheLimitBytes().ifPresent(l -> out.println("  cache size   " + CostCommand.size(l)));
    });
    sizing.ifPresent(s -> {
      out.println();
      out.println("Compute size: " + trim(s.minCu()) + " to " + trim(s.maxCu()) + " CU (" + connections + " connections "
          + (peakConnections != null ? "at peak, as given)" : "open now)"));
      s.reasons().forEach(r -> out.println("  - " + r));
      s.changes().forEach(r -> out.println("  → " + r));
    });
    if (!branches.isEmpty()) {
      long del = branches.stream().filter(d -> d.verdict() == BranchLifecycle.Verdict.DELETE).count();
      out.println();
      out.println("Branches: " + branches.size() + ", " + del + " to delete by the policy");
      for (BranchLifecycle.Decision d : branches) {
        out.printf("  %-6s %-22s %-24s %s%n", d.verdict() == BranchLifecycle.Verdict.DELETE ? "delete" : "keep",
            d.branch().id(), d.branch().name(), d.reason() + ", " + CostCommand.size(d.branch().logicalSizeBytes()));
        d.action().ifPresent(a -> out.println("         " + a));
      }
    }
    usage.ifPresent(u -> {
      out.println();
      out.println("This period" + (u.from() == null ? "" : " (since " + u.from() + ")"));
      out.printf("  compute  %.1f CU-hours, %d s active%s%n", u.computeUnitHours(), u.activeTimeSeconds(),
          priceTable.computeUnitHour().map(h -> String.format("  ≈ %.2f %s at %s", u.computeUnitHours() * h,
              priceTable.currency(), priceTable.id())).orElse(""));
      out.printf("  storage  %s%s%n", CostCommand.size(u.storageBytes()), priceTable.id().startsWith("neon")
          ? String.format("  ≈ %.2f %s/month", priceTable.storagePerMonth(u.storageBytes()), priceTable.currency()) : "");
      out.printf("  written  %s%n", CostCommand.size(u.writtenDataBytes()));
    });
    if (!apiFailures.isEmpty()) {
      out.println();
      apiFailures.forEach(f -> out.println("Neon API: " + f));
    }
  }

  private ObjectNode json(PlatformProfile profile, Optional<NeonCacheStats> cache, int connections,
                          Optional<NeonComputeSizing.Advice> sizing, List<NeonCompute> computes,
                          List<BranchLifecycle.Decision> branches, Optional<NeonUsage> usage, PriceTable priceTable,
                          List<String> apiFailures) {
    ObjectNode n = JSON.createObjectNode();
    ObjectNode p = n.putObject("platform");
    p.put("name", profile.platform().json());
    p.set("evidence", JSON.valueToTree(profile.evidence()));
    p.put("settings", profile.platform().settingsHome());
    p.put("pooling", profile.platform().pooler());
    n.put("connections", connections);
    cache.ifPresent(c -> {
      ObjectNode l = n.putObject("local_file_cache");
      l.put("hits", c.hits());
      l.put("misses", c.misses());
      c.hitRatio().ifPresent(r -> l.put("hit_ratio_percent", r));
      c.workingSetBytes().ifPresent(w -> l.put("working_set_bytes", w));
      c.cacheLimitBytes().ifPresent(w -> l.put("cache_limit_bytes", w));
    });
    sizing.ifPresent(s -> {
      ObjectNode z = n.putObject("compute_size");
      z.put("min_cu", s.minCu());
      z.put("max_cu", s.maxCu());
      z.set("reasons", JSON.valueToTree(s.reasons()));
      z.set("changes", JSON.valueToTree(s.changes()));
    });
    if (!computes.isEmpty()) {
      n.set("computes", JSON.valueToTree(computes.stream().map(c -> {
        ObjectNode e = JSON.createObjectNode();
        e.put("id", c.id());
        e.put("branch_id", c.branchId());
        e.put("type", c.type());
        e.put("min_cu", c.minCu());
        e.put("max_cu", c.maxCu());
        e.put("suspend_timeout_seconds", c.suspendTimeoutSeconds());
        e.put("last_active", c.lastActive().map(Object::toString).orElse(null));
        return e;
      }).toList()));
    }
    if (!branches.isEmpty()) {
      ArrayNode a = n.putArray("branches");
      for (BranchLifecycle.Decision d : branches) {
        ObjectNode b = a.addObject();
        b.put("id", d.branch().id());
        b.put("name", d.branch().name());
        b.put("verdict", d.verdict().name().toLowerCase(java.util.Locale.ROOT));
        b.put("reason", d.reason());
        b.put("logical_size_bytes", d.branch().logicalSizeBytes());
        b.put("last_activity", d.lastActivity().map(Object::toString).orElse(null));
        b.put("action", d.action().orElse(null));
      }
    }
    usage.ifPresent(u -> {
      ObjectNode c = n.putObject("consumption");
      c.put("period_start", u.from() == null ? null : u.from().toString());
      c.put("compute_unit_hours", u.computeUnitHours());
      c.put("active_time_seconds", u.activeTimeSeconds());
      c.put("storage_bytes", u.storageBytes());
      c.put("written_data_bytes", u.writtenDataBytes());
      c.put("price_table", priceTable.id());
      priceTable.computeUnitHour().ifPresent(h -> c.put("compute_cost", Math.round(u.computeUnitHours() * h * 100) / 100.0));
    });
    n.set("errors", JSON.valueToTree(apiFailures));
    return n;
  }

  private static String trim(double cu) {
    return cu == Math.rint(cu) ? String.valueOf((long) cu) : String.valueOf(cu);
  }
}

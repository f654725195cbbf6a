package dev.pgopt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.advise.Advisor;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.analyze.cost.ComputeSpec;
import dev.pgopt.analyze.cost.CostLine;
import dev.pgopt.analyze.cost.CostReport;
import dev.pgopt.analyze.cost.FindingSavings;
import dev.pgopt.analyze.cost.StorageInventory;
import dev.pgopt.cloud.neon.NeonApiException;
import dev.pgopt.cloud.neon.NeonClient;
import dev.pgopt.cloud.neon.NeonProject;
import dev.pgopt.cloud.neon.NeonUsage;
import dev.pgopt.cloud.price.PriceTable;
import dev.pgopt.collect.platform.PlatformDetector;
import dev.pgopt.collect.platform.PlatformProfile;
import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Quantities;
import dev.pgopt.connect.Session;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "cost", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"What the database costs a month and where: storage (largest tables), WAL, backups, compute, at a",
        "provider's prices (shipped as dated data, or your own file); and what dropping unused, duplicate or invalid",
        "indexes, rebuilding bloated ones and dropping stale replication slots would save. See docs/cost.md."},
    footer = {"", "Exit codes: 0 reported, 1 reported with savings to act on, 3 cannot connect or read the Neon API,"
        + " 64 usage error."})
public final class CostCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SAVING_RULES = Set.of("index.unused", "index.duplicate", "index.redundant",
      "index.invalid", "table.bloat", "index.bloat");
  private final Context ctx;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Mixin
  PriceOptions prices = new PriceOptions();

  @Option(names = "--instance", paramLabel = "CLASS", description = "The instance class or compute size (db.t4g.medium, small).")
  String instance;

  @Option(names = "--instance-hour", paramLabel = "PRICE", description = "The instance's price per hour, when the table lacks it.")
  Double instanceHour;

  @Option(names = "--backup-size", paramLabel = "SIZE", description = "Backup storage the provider reports, e.g. 120GB.")
  String backupSize;

  @Option(names = "--neon-project", paramLabel = "ID",
      description = "Read this period's compute-unit hours from the Neon API (needs NEON_API_KEY).")
  String neonProject;

  @Option(names = "--top", defaultValue = "10", paramLabel = "N", description = "Largest tables to list (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--format", defaultValue = "human", description = "human (default) or json.")
  String format;

  public CostCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    OutputFormat.check(format);
    if (top < 0 || top > 1000) {
      throw new CliFailure(ExitCode.USAGE, "--top must be from 0 to 1000");
    }
    if (instanceHour != null && (instanceHour < 0 || !Double.isFinite(instanceHour))) {
      throw new CliFailure(ExitCode.USAGE, "--instance-hour must be a price ≥ 0");
    }
    Optional<Long> backup = Optional.empty();
    if (backupSize != null) {
      try {
        backup = Optional.of((long) Quantities.parseBytes(backupSize.strip()));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(ExitCode.USAGE, "--backup-size: " + e.getMessage());
      }
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
    StorageInventory inventory;
    Advisor.Advice advice;
    try (Session session = Session.open(target, connection.sessionOptions())) {
      String host = target.endpoints().get(0).host();
      profile = session.readOnly(c -> PlatformDetector.detect(c, host));
      inventory = session.readOnly(c -> StorageInventory.read(c, top));
      advice = new Advisor(Advisor.standardRules(10, IndexBudget.DEFAULT), ctx.clock())
          .run(session, Map.of(), Map.of(), SAVING_RULES::contains);
    } catch (DatabaseFailure f) {
      throw new CliFailure(ExitCode.UNKNOWN, f.getMessage(), f);
    }
    PriceTable table = prices.resolve(profile.platform());
    ComputeSpec compute = new ComputeSpec(Optional.ofNullable(instance), Optional.ofNullable(instanceHour), Optional.empty(),
        Optional.empty());
    if (project.isPresent()) {
      try {
        NeonUsage u = project.get().currentPeriod();
        compute = new ComputeSpec(Optional.empty(), Optional.empty(), Optional.of(monthly(u)),
            Optional.of(String.format("%.1f CU-hours so far this period, carried to a month", u.computeUnitHours())));
      } catch (NeonApiException e) {
        throw new CliFailure(ExitCode.UNKNOWN, "Neon API: " + e.getMessage(), e);
      }
    }
    CostReport report = CostReport.of(inventory, table, compute, backup, FindingSavings.annotate(advice.findings(), table));
    if (format.equals("json")) {
      ctx.out().println(json(report, profile).toPrettyString());
    } else {
      human(target, report, profile);
    }
    return report.monthlySavings() > 0 ? ExitCode.WARNING : ExitCode.OK;
  }

  /** The period's CU-hours carried to a whole month at the rate seen so far. */
  private double monthly(NeonUsage u) {
    if (u.from() == null) {
      return u.computeUnitHours();
    }
    double elapsedHours = Math.max(1, Duration.between(u.from(), ctx.clock().instant()).toMinutes() / 60.0);
    return u.computeUnitHours() / elapsedHours * PriceTable.HOURS_PER_MONTH;
  }

  private void human(DatabaseTarget target, CostReport r, PlatformProfile profile) {
    var out = ctx.out();
    PriceTable p = r.prices();
    out.println("pgopt cost  " + target.display());
    out.println("  " + profile.platform().displayName() + ", prices: " + p.name() + " (" + p.id() + ", read " + p.checked()
        + " from " + p.source() + ")");
    out.println();
    for (CostLine l : r.lines()) {
      out.printf("  %-8s %-30s %10s %s/month   %s%n", l.kind(), l.item(), money(l.monthly()), p.currency(), l.basis());
    }
    out.printf("  %-39s %10s %s/month%n", "total", money(r.monthlyTotal()), p.currency());
    if (!r.tables().isEmpty()) {
      out.println();
      out.println("Largest tables (part of the storage line)");
      r.tables().forEach(t -> out.printf("  %-38s %10s %s/month   %s%n", t.item(), money(t.monthly()), p.currency(), t.basis()));
    }
    if (!r.savings().isEmpty()) {
      out.println();
      out.printf("Savings: %s %s/month%n", money(r.monthlySavings()), p.currency());
      r.savings().forEach(s -> out.printf("  %10s  %s%n              %s%n", money(s.monthly()), s.item(), s.basis()));
    }
    if (!r.notes().isEmpty()) {
      out.println();
      out.println("Notes:");
      r.notes().forEach(n -> out.println("  " + n));
    }
  }

  private static ObjectNode json(CostReport r, PlatformProfile profile) {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", 1);
    n.put("platform", profile.platform().json());
    ObjectNode p = n.putObject("prices");
    p.put("id", r.prices().id());
    p.put("name", r.prices().name());
    p.put("source", r.prices().source());
    p.put("checked", r.prices().checked().toString());
    p.put("currency", r.prices().currency());
    n.set("lines", JSON.valueToTree(r.lines()));
    n.put("monthly_total", r.monthlyTotal());
    n.set("tables", JSON.valueToTree(r.tables()));
    n.set("savings", JSON.valueToTree(r.savings()));
    n.put("monthly_savings", r.monthlySavings());
    n.set("notes", JSON.valueToTree(r.notes()));
    return n;
  }

  /** Two decimals; below a cent, "<0.01" rather than a zero that reads as free. */
  static String money(double v) {
    return v > 0 && v < 0.005 ? "<0.01" : String.format("%.2f", v);
  }

  static String size(long bytes) {
    if (bytes >= 1L << 30) {
      return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }
    return bytes >= 1L << 20 ? String.format("%.1f MiB", bytes / (double) (1L << 20)) : (bytes >> 10) + " KiB";
  }
}

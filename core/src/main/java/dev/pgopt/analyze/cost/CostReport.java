package dev.pgopt.analyze.cost;

import dev.pgopt.advise.Finding;
import dev.pgopt.cloud.price.PriceTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the database costs a month and where: storage (with its largest tables), WAL on disk, backups, compute; and
 * what the findings would save. Every figure names its basis; what is unknown is left out and said so, never guessed.
 *
 * @param tables the largest tables' share of the storage line (already inside it, not added again)
 */
public record CostReport(PriceTable prices, List<CostLine> lines, List<CostLine> tables, List<CostLine> savings,
                         double monthlyTotal, double monthlySavings, List<String> notes) {
  private static final double GB = 1024.0 * 1024 * 1024;
  private static final long SLOT_WORTH_NAMING = 1L << 30;

  public static CostReport of(StorageInventory inv, PriceTable prices, ComputeSpec compute, Optional<Long> backupBytes,
                              List<Finding> findings) {
    List<String> notes = new ArrayList<>(inv.notes());
    List<CostLine> lines = new ArrayList<>();
    boolean neon = prices.id().startsWith("neon");
    lines.add(new CostLine("storage", "database " + inv.database(), round(prices.databaseStoragePerMonth(inv.databaseBytes())),
        gb(inv.databaseBytes()) + " × " + prices.storageGbMonth() + "/GB-month"
            + (prices.includedStorageGb() > 0 ? " beyond " + (long) prices.includedStorageGb() + " GB included" : "")));
    List<CostLine> tables = inv.tables().stream().map(t -> new CostLine("table", t.schema() + "." + t.table(),
        round(prices.storagePerMonth(t.total())), gb(t.tableBytes()) + " data + " + gb(t.indexBytes()) + " indexes")).toList();
    if (neon) {
      notes.add("WAL is not billed as storage on Neon; its history is instant-restore storage (backup line)");
    } else if (inv.walBytes().isPresent()) {
      lines.add(new CostLine("wal", "pg_wal", round(prices.storagePerMonth(inv.walBytes().get())),
          gb(inv.walBytes().get()) + " of WAL on the server's disk (max_wal_size, wal_keep_size, slots)"));
    }
    List<CostLine> savings = new ArrayList<>();
    for (StorageInventory.SlotRetention s : inv.slotRetainedBytes()) {
      if (!s.active() && s.bytes() >= SLOT_WORTH_NAMING) {
        savings.add(new CostLine("saving", "replication slot " + s.slot(), round(prices.storagePerMonth(s.bytes())),
            "inactive, holds " + gb(s.bytes()) + " of WAL: drop it (SELECT pg_drop_replication_slot('" + s.slot()
                + "')) if its consumer is gone"));
      }
    }
    if (backupBytes.isPresent()) {
      double free = prices.includedBackupRatio() * inv.databaseBytes();
      double billed = Math.max(0, backupBytes.get() - free);
      lines.add(new CostLine("backup", "backups", round(billed / GB * prices.backupGbMonth()), gb(backupBytes.get())
          + (free > 0 ? " less " + gb((long) free) + " free" : "") + " × " + prices.backupGbMonth() + "/GB-month"));
    } else {
      notes.add("backups left out: give --backup-size (the provider's console shows it)");
    }
    computeLine(prices, compute, notes).ifPresent(lines::add);
    for (Finding f : findings) {
      double s = FindingSavings.saving(f);
      if (s > 0) {
        savings.add(new CostLine("saving", f.id(), s, f.title()));
      }
    }
    savings.sort(java.util.Comparator.comparingDouble(CostLine::monthly).reversed());
    double total = lines.stream().mapToDouble(CostLine::monthly).sum();
    double saved = savings.stream().mapToDouble(CostLine::monthly).sum();
    if (!neon && !savings.isEmpty()) {
      notes.add(prices.name() + " bills provisioned storage: storage savings reach the bill once the volume is made smaller");
    }
    return new CostReport(prices, lines, tables, savings, round(total), round(saved), notes);
  }

  private static Optional<CostLine> computeLine(PriceTable prices, ComputeSpec c, List<String> notes) {
    if (c.cuHoursPerMonth().isPresent()) {
      if (prices.computeUnitHour().isEmpty()) {
        notes.add("compute left out: " + prices.id() + " has no compute_unit_hour price");
        return Optional.empty();
      }
      double hours = c.cuHoursPerMonth().get();
      return Optional.of(new CostLine("compute", "compute", round(hours * prices.computeUnitHour().get()),
          String.format("%.1f CU-hours × %s/CU-hour%s", hours, prices.computeUnitHour().get(),
              c.source().map(s -> " (" + s + ")").orElse(""))));
    }
    Optional<Double> hourly = c.instanceHourPrice().or(() -> c.instanceClass().flatMap(k -> Optional.ofNullable(prices.instanceHour().get(k))));
    if (hourly.isPresent()) {
      return Optional.of(new CostLine("compute", c.instanceClass().orElse("instance"), round(hourly.get() * PriceTable.HOURS_PER_MONTH),
          hourly.get() + "/hour × " + PriceTable.HOURS_PER_MONTH + " h" + c.source().map(s -> " (" + s + ")").orElse("")));
    }
    if (c.instanceClass().isPresent()) {
      notes.add("compute left out: " + prices.id() + " has no price for " + c.instanceClass().get() + "; known: "
          + String.join(", ", prices.instanceHour().keySet()) + " (or give --instance-hour PRICE)");
    } else {
      notes.add("compute left out: give --instance CLASS or --instance-hour PRICE" + (prices.id().startsWith("neon")
          ? ", or NEON_API_KEY with --neon-project for the CU-hours used" : ""));
    }
    return Optional.empty();
  }

  static String gb(long bytes) {
    return String.format("%.2f GB", bytes / GB);
  }

  private static double round(double v) {
    return FindingSavings.round(v);
  }
}

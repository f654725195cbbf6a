package dev.pgopt.analyze.cost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.Finding;
import dev.pgopt.cloud.price.PriceTables;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class CostReportTest {
  private static final long GIB = 1L << 30;
  private static final Offset<Double> CENT = Offset.offset(0.006);

  private static Finding drop(String rule, long bytes) {
    return new Finding(rule + ":i", rule, Finding.Severity.INFO, new Finding.DbObject("public", "t", "i", null), "drop i",
        Map.of(), Map.of(rule.endsWith("bloat") ? "reclaimable_bytes" : "size_bytes", bytes), Finding.Confidence.MEASURED, null);
  }

  private final StorageInventory inventory = new StorageInventory("app", 100 * GIB,
      List.of(new StorageInventory.TableBytes("public", "events", 60 * GIB, 20 * GIB)), Optional.of(2 * GIB),
      List.of(new StorageInventory.SlotRetention("old_cdc", false, 30 * GIB), new StorageInventory.SlotRetention("live", true, 5 * GIB)),
      List.of());

  @Test
  void rdsStorageWalBackupAndComputeAddUpWithTheirBasis() {
    var prices = PriceTables.shipped().require("rds");
    List<Finding> findings = FindingSavings.annotate(List.of(drop("index.unused", 10 * GIB), drop("index.bloat", 4 * GIB)), prices);
    CostReport r = CostReport.of(inventory, prices, new ComputeSpec(Optional.of("db.t4g.medium"), Optional.empty(),
        Optional.empty(), Optional.empty()), Optional.of(150 * GIB), findings);
    assertThat(r.lines()).extracting(CostLine::kind).containsExactly("storage", "wal", "backup", "compute");
    assertThat(r.lines().get(0).monthly()).isCloseTo(11.50, CENT);
    assertThat(r.lines().get(1).monthly()).isCloseTo(0.23, CENT);
    // 150 GB of backups, the first 100 GB (the database's size) free
    assertThat(r.lines().get(2).monthly()).isCloseTo(4.75, CENT);
    assertThat(r.lines().get(3).monthly()).isCloseTo(0.065 * 730.5, CENT);
    assertThat(r.monthlyTotal()).isCloseTo(11.50 + 0.23 + 4.75 + 47.48, Offset.offset(0.02));
    // the inactive slot's WAL, then the index, then the bloat; the active slot is not a saving
    assertThat(r.savings()).extracting(CostLine::item).containsExactly("replication slot old_cdc", "index.unused:i", "index.bloat:i");
    assertThat(r.savings().get(1).monthly()).isCloseTo(1.15, CENT);
    assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("bills provisioned storage"));
    assertThat(findings.get(0).impact()).containsEntry("currency", "USD").containsKey("saving_note");
  }

  @Test
  void neonBillsUsedStorageAndComputeUnitHoursAndUnknownsAreSaidNotGuessed() {
    var prices = PriceTables.shipped().require("neon-scale");
    CostReport r = CostReport.of(inventory, prices, new ComputeSpec(Optional.empty(), Optional.empty(), Optional.of(100.0),
        Optional.of("API")), Optional.empty(), List.of());
    assertThat(r.lines()).extracting(CostLine::kind).containsExactly("storage", "compute");
    assertThat(r.lines().get(1).monthly()).isCloseTo(22.2, CENT);
    assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("WAL is not billed as storage on Neon"))
        .anySatisfy(n -> assertThat(n).contains("backups left out"));
    CostReport unknown = CostReport.of(inventory, PriceTables.shipped().require("rds"), new ComputeSpec(Optional.of("db.x9.huge"),
        Optional.empty(), Optional.empty(), Optional.empty()), Optional.empty(), List.of());
    assertThat(unknown.lines()).extracting(CostLine::kind).doesNotContain("compute");
    assertThat(unknown.notes()).anySatisfy(n -> assertThat(n).contains("no price for db.x9.huge").contains("--instance-hour"));
  }

  @Test
  void aProposedIndexCarriesItsCostAndSortingPutsTheLargestSavingFirst() {
    var prices = PriceTables.shipped().require("neon-launch");
    Finding missing = new Finding("index.missing:x", "index.missing", Finding.Severity.WARNING, new Finding.DbObject("public", "t",
        null, List.of("a")), "add", Map.of(), Map.of("size_bytes", 2 * GIB), Finding.Confidence.WHAT_IF, null);
    List<Finding> annotated = FindingSavings.annotate(List.of(missing, drop("index.unused", GIB), drop("index.duplicate", 3 * GIB)), prices);
    assertThat(annotated.get(0).impact()).containsEntry("monthly_cost", 0.7).doesNotContainKey("monthly_saving");
    assertThat(annotated.get(1).impact()).doesNotContainKey("saving_note");
    assertThat(FindingSavings.bySaving(annotated)).extracting(Finding::rule).containsExactly("index.duplicate", "index.unused", "index.missing");
  }
}

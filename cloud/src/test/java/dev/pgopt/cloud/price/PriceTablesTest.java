package dev.pgopt.cloud.price;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriceTablesTest {
  @TempDir
  Path dir;

  @Test
  void everyShippedTableNamesItsSourceAndDate() {
    PriceTables shipped = PriceTables.shipped();
    assertThat(shipped.all().keySet()).contains("neon-launch", "neon-scale", "rds", "supabase", "self-managed");
    assertThat(shipped.all().values()).allSatisfy(t -> {
      assertThat(t.source()).startsWith("https://");
      assertThat(t.checked()).isNotNull();
      assertThat(t.storageGbMonth()).isPositive();
    });
    PriceTable neon = shipped.require("neon-launch");
    assertThat(neon.computeUnitHour()).contains(0.106);
    assertThat(neon.storagePerMonth(10L << 30)).isEqualTo(3.5, org.assertj.core.data.Offset.offset(1e-9));
    PriceTable supabase = shipped.require("supabase");
    assertThat(supabase.databaseStoragePerMonth(6L << 30)).isZero();
    assertThat(supabase.databaseStoragePerMonth(10L << 30)).isEqualTo(0.25, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void anOverrideReplacesTheFieldsItNamesAndAddsProviders() throws Exception {
    Path file = dir.resolve("prices.json");
    Files.writeString(file, """
        {"providers": {
          "rds": {"instance_hour": {"db.r6g.large": 0.225}, "checked": "2026-12-01"},
          "on-prem": {"source": "https://intranet.example/finance", "checked": "2026-11-30", "storage_gb_month": 0.02}
        }}""");
    PriceTables t = PriceTables.withOverrides(file);
    assertThat(t.require("rds").instancePerMonth("db.r6g.large").orElseThrow()).isCloseTo(0.225 * 730.5, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(t.require("rds").instanceHour()).containsKey("db.t4g.micro");
    assertThat(t.require("rds").storageGbMonth()).isEqualTo(0.115);
    assertThat(t.require("rds").checked()).hasToString("2026-12-01");
    assertThat(t.require("on-prem").storageGbMonth()).isEqualTo(0.02);
  }

  @Test
  void badFilesAreRefusedNamingTheFieldAndTheFile() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{\"providers\": {\"rds\": {\"storage_gb_month\": -1}}}");
    assertThatThrownBy(() -> PriceTables.withOverrides(file)).isInstanceOf(PriceTableException.class)
        .hasMessageContaining("bad.json, provider rds, storage_gb_month: expected a number ≥ 0");
    Files.writeString(file, "{\"providers\": {\"rds\": {\"storage_gb_mnth\": 1}}}");
    assertThatThrownBy(() -> PriceTables.withOverrides(file)).hasMessageContaining("unknown field 'storage_gb_mnth'");
    Files.writeString(file, "{\"providers\": {\"new\": {\"storage_gb_month\": 1, \"checked\": \"2026-12-01\"}}}");
    assertThatThrownBy(() -> PriceTables.withOverrides(file)).hasMessageContaining("'source' is required");
    Files.writeString(file, "{\"providers\": {\"rds\": {\"checked\": \"last week\"}}}");
    assertThatThrownBy(() -> PriceTables.withOverrides(file)).hasMessageContaining("'checked' must be the date");
    Files.writeString(file, "[1, 2");
    assertThatThrownBy(() -> PriceTables.withOverrides(file)).hasMessageContaining("cannot read the price file");
    assertThatThrownBy(() -> PriceTables.withOverrides(dir.resolve("missing.json"))).hasMessageContaining("missing.json");
    assertThatThrownBy(() -> PriceTables.shipped().require("azure")).hasMessageContaining("known: neon-launch");
  }
}

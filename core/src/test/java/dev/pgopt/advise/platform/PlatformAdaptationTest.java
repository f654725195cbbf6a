package dev.pgopt.advise.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.Finding;
import dev.pgopt.collect.platform.Platform;
import dev.pgopt.collect.platform.PlatformProfile;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlatformAdaptationTest {
  private static Finding setting(String id, String sql) {
    return new Finding(id, "config." + id, Finding.Severity.WARNING, new Finding.DbObject(null, null, null, null), "title " + id,
        Map.of("x", 1), Map.of(), Finding.Confidence.MEASURED, new Finding.Action(sql, "ALTER SYSTEM RESET x;", true, "none", "low"));
  }

  private final List<Finding> findings = List.of(
      setting("work_mem", "ALTER SYSTEM SET work_mem = '64MB';\nSELECT pg_reload_conf();"),
      setting("shared_buffers", "ALTER SYSTEM SET shared_buffers = '4096MB';  -- takes effect after a restart"),
      new Finding("index.unused:x", "index.unused", Finding.Severity.INFO, new Finding.DbObject("public", "t", "i", null), "t",
          Map.of(), Map.of(), Finding.Confidence.MEASURED, new Finding.Action("DROP INDEX CONCURRENTLY i;", null, true, "x", "low")));

  @Test
  void selfManagedAdviceIsUntouched() {
    assertThat(PlatformAdaptation.adapt(findings, PlatformProfile.selfManaged(), Set.of("work_mem"), "app")).isSameAs(findings);
  }

  @Test
  void onAManagedPlatformUserSettingsMoveToTheDatabaseAndOthersToWhereThePlatformKeepsThem() {
    List<Finding> out = PlatformAdaptation.adapt(findings, new PlatformProfile(Platform.RDS, List.of("role rds_superuser")),
        Set.of("work_mem"), "my app");
    assertThat(out.get(0).action().sql()).isEqualTo("ALTER DATABASE \"my app\" SET work_mem = '64MB';");
    assertThat(out.get(0).action().undoSql()).isEqualTo("ALTER DATABASE \"my app\" RESET work_mem;");
    assertThat(out.get(0).evidence()).containsEntry("platform", "rds").containsKey("platform_note");
    assertThat(out.get(1).action()).isNull();
    assertThat(out.get(1).title()).contains("on Amazon RDS: set it in the DB parameter group");
    assertThat(out.get(1).evidence().get("platform_note")).asString().contains("shared_buffers = '4096MB'");
    assertThat(out.get(2)).isSameAs(findings.get(2));
  }
}

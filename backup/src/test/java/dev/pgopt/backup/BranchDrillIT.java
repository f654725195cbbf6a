package dev.pgopt.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.connect.Environment;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Neon's point-in-time restore, drilled through its API: against a local stub of the documented calls (there is no
 * Neon account here), whose branches are real copies on a test-kit server. The drill asks for a branch at the target
 * time, waits for its operations, checks the copy and deletes it, whatever the checks found.
 */
@ExtendWith(PostgresExtension.class)
class BranchDrillIT {
  private static final String PROJECT = "shiny-wind-028834";
  static TestCluster cluster;
  static TestDatabase source;
  static NeonApiStub stub;

  @BeforeAll
  static void start(TestCluster c) throws Exception {
    cluster = c;
    source = c.createDatabase();
    source.execute("CREATE TABLE orders (id int PRIMARY KEY, total int)",
        "INSERT INTO orders SELECT g, g % 100 FROM generate_series(1, 20000) g", "CREATE INDEX ON orders (total)");
    stub = new NeonApiStub(c, PROJECT, source.name());
  }

  @AfterAll
  static void stop() {
    stub.close();
    source.drop();
  }

  private static PointInTimeBranches neon(String key, String project) {
    return PointInTimeBranches.neon(NeonSettings.fromEnvironment(
        Environment.of(Map.of("NEON_API_KEY", key, "NEON_API_URL", stub.api().toString()), Path.of("/nonexistent"), "t"),
        project, Optional.empty(), source.name(), cluster.superuser()));
  }

  private static RestoreDrill.Options options(String smoke) {
    return new RestoreDrill.Options(1, Path.of("/tmp"), smoke, Duration.ofMinutes(2));
  }

  @Test
  void aBranchAtTheTargetIsCheckedAndDeleted(@TempDir Path repoDir) throws Exception {
    Instant target = Instant.now().minusSeconds(30);
    BackupRepository repo = BackupRepository.create(repoDir);
    DrillReport r = new BranchDrill(Clock.systemUTC()).run(neon(NeonApiStub.KEY, PROJECT), target,
        options("SELECT 1 FROM orders WHERE id = 20000"), Optional.of(repo));
    assertThat(r.passed()).as(r.checks().toString()).isTrue();
    assertThat(r.checks()).extracting(DrillReport.Check::name).containsExactly("branch", "tables", "amcheck", "smoke query");
    assertThat(r.checks().get(1).detail()).contains("20000 rows");
    assertThat(r.checks().get(2).detail()).contains("2 B-tree indexes");
    assertThat(r.target()).isEqualTo(target);
    assertThat(r.rto()).isPositive();
    assertThat(r.database()).isEqualTo(source.name());
    String branchId = r.backupId().replace("branch:", "");
    // the branch was asked for at the target, its operations were awaited, and it is gone
    assertThat(stub.parentTimestamps.get(branchId)).isEqualTo(target);
    assertThat(stub.requests).filteredOn(q -> q.path().contains("/operations/")).hasSizeGreaterThanOrEqualTo(4);
    assertThat(stub.requests).anySatisfy(q -> assertThat(q.method() + " " + q.path()).endsWith("/branches/" + branchId));
    assertThat(stub.branches).isEmpty();
    // the key only ever travels in the Authorization header, and no report holds it
    assertThat(stub.requests).allSatisfy(q -> {
      assertThat(q.path() + q.query() + q.body()).doesNotContain(NeonApiStub.KEY);
    });
    assertThat(BackupRepository.drillJson(r).toString()).doesNotContain(NeonApiStub.KEY).doesNotContain(cluster.password());
    assertThat(repo.drills(source.name()).latest()).hasValueSatisfying(d -> assertThat(d.passed()).isTrue());
  }

  @Test
  void aFailingCheckStillDeletesTheBranchAndNeverTouchesTheSource() throws Exception {
    DrillReport r = new BranchDrill(Clock.systemUTC()).run(neon(NeonApiStub.KEY, PROJECT), null,
        options("DELETE FROM orders RETURNING id"), Optional.empty());
    assertThat(r.passed()).isFalse();
    assertThat(r.checks()).filteredOn(c -> c.name().equals("smoke query")).singleElement()
        .satisfies(c -> assertThat(c.detail()).contains("read-only"));
    assertThat(stub.branches).isEmpty();
    try (Connection c = source.connect()) {
      assertThat(Probe.count(c, "SELECT count(*) FROM orders")).isEqualTo(20000);
    }
  }

  @Test
  void aBusyProjectIsRetriedAndAFailedOperationRemovesTheBranch() throws Exception {
    stub.busyCreates.set(2);
    DrillReport r = new BranchDrill(Clock.systemUTC()).run(neon(NeonApiStub.KEY, PROJECT), null, options(null),
        Optional.empty());
    assertThat(r.passed()).as(r.checks().toString()).isTrue();
    assertThat(stub.busyCreates.get()).isZero();

    stub.failOperations = true;
    try {
      assertThatThrownBy(() -> new BranchDrill(Clock.systemUTC()).run(neon(NeonApiStub.KEY, PROJECT), null, options(null),
          Optional.empty())).isInstanceOf(BackupException.class)
          .hasMessageContaining("create_branch operation").hasMessageContaining("ended failed: compute start timed out");
    } finally {
      stub.failOperations = false;
    }
    assertThat(stub.branches).as("the half-made branch was deleted").isEmpty();
  }

  @Test
  void badKeysProjectsAndTimesSayWhatToDo() {
    int before = stub.requests.size();
    assertThatThrownBy(() -> new BranchDrill(Clock.systemUTC()).run(neon(NeonApiStub.KEY, PROJECT),
        Instant.now().plusSeconds(3600), options(null), Optional.empty()))
        .isInstanceOf(BackupException.class).hasMessageContaining("is in the future");
    assertThat(stub.requests).as("refused before any call").hasSize(before);

    assertThatThrownBy(() -> new BranchDrill(Clock.systemUTC()).run(neon("wrong-key", PROJECT), null, options(null),
        Optional.empty())).isInstanceOf(BackupException.class).hasMessageContaining("refused the key (HTTP 401)")
        .hasMessageContaining("NEON_API_KEY").satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-key"));
    assertThatThrownBy(() -> new BranchDrill(Clock.systemUTC()).run(neon(NeonApiStub.KEY, "other-project"), null,
        options(null), Optional.empty())).isInstanceOf(BackupException.class)
        .hasMessageContaining("HTTP 404").hasMessageContaining("project not found");
    assertThatThrownBy(() -> neon(NeonApiStub.KEY, "Bad Project; DROP")).isInstanceOf(BackupException.class)
        .hasMessageContaining("is not a Neon project id");
    assertThatThrownBy(() -> PointInTimeBranches.neon(NeonSettings.fromEnvironment(
        Environment.of(Map.of(), Path.of("/nonexistent"), "t"), PROJECT, Optional.empty(), "db", "role")))
        .isInstanceOf(BackupException.class).hasMessageContaining("set NEON_API_KEY");
    assertThat(stub.branches).isEmpty();
  }
}

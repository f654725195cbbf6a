package dev.pgopt.cloud.neon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Neon client against a local HTTP stub of the documented calls: pages, busy answers, refusals, odd answers. */
class NeonProjectTest {
  private NeonApiStub stub;
  private final List<Duration> waits = new ArrayList<>();
  private NeonClient client;

  @BeforeEach
  void start() throws Exception {
    stub = new NeonApiStub();
    client = new NeonClient(stub.api(), NeonApiStub.KEY, waits::add);
  }

  @AfterEach
  void stop() {
    stub.close();
  }

  private static String branch(int i) {
    return "{\"id\":\"br-" + i + "\",\"name\":\"b" + i + "\",\"parent_id\":" + (i == 0 ? "null" : "\"br-0\"")
        + ",\"created_at\":\"2026-10-0" + (1 + i % 9) + "T00:00:00Z\",\"updated_at\":\"2026-11-01T00:00:00Z\","
        + "\"logical_size\":" + (i + 1) * 1_000_000 + ",\"default\":" + (i == 0) + ",\"protected\":false,"
        + "\"current_state\":\"ready\"}";
  }

  @Test
  void branchesFollowTheCursorUntilTheLastPage() {
    stub.route("/projects/p-1/branches", r -> {
      String q = r.query() == null ? "" : r.query();
      if (!q.contains("cursor=")) {
        return NeonApiStub.Answer.ok("{\"branches\":[" + branch(0) + "," + branch(1) + "],\"pagination\":{\"next\":\"c2\"}}");
      }
      if (q.contains("cursor=c2")) {
        return NeonApiStub.Answer.ok("{\"branches\":[" + branch(2) + "],\"pagination\":{\"next\":\"c3\"}}");
      }
      return NeonApiStub.Answer.ok("{\"branches\":[],\"pagination\":{}}");
    });
    List<NeonBranch> branches = new NeonProject(client, "p-1").branches();
    assertThat(branches).extracting(NeonBranch::id).containsExactly("br-0", "br-1", "br-2");
    assertThat(branches.get(0).isDefault()).isTrue();
    assertThat(branches.get(2).logicalSizeBytes()).isEqualTo(3_000_000);
    assertThat(branches.get(1).parentId()).isEqualTo("br-0");
    assertThat(stub.requests).hasSize(3);
    assertThat(stub.requests).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + NeonApiStub.KEY));
  }

  @Test
  void aCursorThatRepeatsEndsThePaging() {
    stub.route("/projects/p-1/branches", r -> NeonApiStub.Answer.ok("{\"branches\":[" + branch(1)
        + "],\"pagination\":{\"next\":\"same\"}}"));
    assertThat(new NeonProject(client, "p-1").branches()).hasSize(2);
    assertThat(stub.requests).hasSize(2);
  }

  @Test
  void rateLimitedAnswersAreRetriedAfterWhatTheServerAsks() {
    AtomicInteger calls = new AtomicInteger();
    stub.route("/projects/p-1/endpoints", r -> calls.incrementAndGet() <= 2
        ? new NeonApiStub.Answer(429, "{\"message\":\"rate limit exceeded\"}", Map.of("Retry-After", "7"))
        : NeonApiStub.Answer.ok("{\"endpoints\":[{\"id\":\"ep-1\",\"branch_id\":\"br-0\",\"type\":\"read_write\","
            + "\"autoscaling_limit_min_cu\":0.25,\"autoscaling_limit_max_cu\":2,\"suspend_timeout_seconds\":0,"
            + "\"last_active\":\"2026-12-01T10:00:00Z\",\"current_state\":\"idle\"}]}"));
    List<NeonCompute> computes = new NeonProject(client, "p-1").computes();
    assertThat(computes).singleElement().satisfies(c -> {
      assertThat(c.maxCu()).isEqualTo(2.0);
      assertThat(c.minCu()).isEqualTo(0.25);
      assertThat(c.lastActive()).contains(Instant.parse("2026-12-01T10:00:00Z"));
    });
    assertThat(waits).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(7));
  }

  @Test
  void aServerThatStaysBusyEndsWithAClearMessageAndBackoffThatGrows() {
    stub.route("/projects/p-1/endpoints", r -> new NeonApiStub.Answer(503, "upstream unavailable", Map.of()));
    assertThatThrownBy(() -> new NeonProject(client, "p-1").computes()).isInstanceOf(NeonApiException.class)
        .hasMessageContaining("still busy after 6 attempts").hasMessageContaining("HTTP 503");
    assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(8), Duration.ofSeconds(16));
  }

  @Test
  void aWrongKeyIsNamedWithoutShowingIt() {
    NeonClient wrong = new NeonClient(stub.api(), "the-wrong-secret", waits::add);
    assertThatThrownBy(() -> new NeonProject(wrong, "p-1").currentPeriod()).isInstanceOf(NeonApiException.class)
        .hasMessageContaining("refused the key (HTTP 401)").hasMessageNotContaining("the-wrong-secret");
  }

  @Test
  void unknownProjectsAndBadIdsAreRefused() {
    assertThatThrownBy(() -> new NeonProject(client, "nope").currentPeriod()).hasMessageContaining("HTTP 404");
    assertThatThrownBy(() -> new NeonProject(client, "../../admin")).hasMessageContaining("is not a Neon project id");
    assertThatThrownBy(() -> new NeonClient(stub.api(), " ")).hasMessageContaining("NEON_API_KEY");
  }

  @Test
  void answersThatAreNotJsonOrLackFieldsSaySo() {
    stub.route("/projects/p-1", r -> NeonApiStub.Answer.ok("<html>maintenance</html>"));
    assertThatThrownBy(() -> new NeonProject(client, "p-1").currentPeriod()).hasMessageContaining("not JSON");
    stub.route("/projects/p-2/endpoints", r -> NeonApiStub.Answer.ok("{\"endpoints\":[{\"type\":\"read_write\"}]}"));
    assertThatThrownBy(() -> new NeonProject(client, "p-2").computes()).hasMessageContaining("left out 'id'");
  }

  @Test
  void theCurrentPeriodAndTheHistoryAreRead() {
    stub.route("/projects/p-1", r -> NeonApiStub.Answer.ok("{\"project\":{\"id\":\"p-1\",\"active_time_seconds\":36000,"
        + "\"compute_time_seconds\":72000,\"written_data_bytes\":5000000000,\"synthetic_storage_size\":2147483648,"
        + "\"data_storage_bytes_hour\":1000,\"consumption_period_start\":\"2026-12-01T00:00:00Z\","
        + "\"consumption_period_end\":\"2027-01-01T00:00:00Z\"}}"));
    NeonUsage now = new NeonProject(client, "p-1").currentPeriod();
    assertThat(now.computeUnitHours()).isEqualTo(20.0);
    assertThat(now.storageBytes()).isEqualTo(2147483648L);
    stub.route("/consumption_history/projects", r -> {
      String day = r.query().contains("cursor=") ? "02" : "01";
      String next = r.query().contains("cursor=") ? "" : ",\"pagination\":{\"cursor\":\"p-1\"}";
      return NeonApiStub.Answer.ok("{\"projects\":[{\"project_id\":\"p-1\",\"periods\":[{\"period_id\":\"x\",\"consumption\":"
          + "[{\"timeframe_start\":\"2026-12-" + day + "T00:00:00Z\",\"timeframe_end\":\"2026-12-" + day + "T23:59:59Z\","
          + "\"active_time_seconds\":3600,\"compute_time_seconds\":900,\"written_data_bytes\":1,\"data_storage_bytes_hour\":2}]}]}]"
          + next + "}");
    });
    List<NeonUsage> days = new NeonProject(client, "p-1").history(Instant.parse("2026-12-01T00:00:00Z"),
        Instant.parse("2026-12-03T00:00:00Z"), "daily");
    assertThat(days).extracting(u -> u.from().toString()).containsExactly("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z");
    assertThat(stub.requests.get(stub.requests.size() - 1).query()).contains("project_ids=p-1").contains("granularity=daily");
  }
}

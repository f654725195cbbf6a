package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.client.route.NodeListener;
import dev.pgopt.client.route.RoutingStrategy;
import dev.pgopt.connect.Environment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration is checked before any server is contacted: these need none. */
class PgoptConfigTest {
  private static final Environment ENV = Environment.of(Map.of(), Path.of("/nonexistent-home"), "test");

  private static PgoptDataSourceBuilder builder() {
    return PgoptDataSource.builder().environment(ENV);
  }

  @Test
  void aValidConfigurationKeepsEverySettingAndHidesPasswords() {
    PgoptConfig c = builder().primary("postgres://app:s3cret-pw@db1:5432/shop")
        .replica("r1", "postgres://app:s3cret-pw@db2:5432/shop", 3, "eu-1")
        .replica("r2", "postgres://app:s3cret-pw@db3:5432/shop")
        .strategy(RoutingStrategy.WEIGHTED).maxReplicaLag(1024, Duration.ofSeconds(2)).poolSize(4, 2).config();

    assertThat(c.primary()).isPresent();
    assertThat(c.cluster()).isEmpty();
    assertThat(c.replicas()).extracting(PgoptConfig.Replica::name).containsExactly("r1", "r2");
    assertThat(c.replicas().get(0).weight()).isEqualTo(3);
    assertThat(c.replicas().get(0).zone()).contains("eu-1");
    assertThat(c.replicas().get(1).zone()).isEmpty();
    assertThat(c.strategy()).isEqualTo(RoutingStrategy.WEIGHTED);
    assertThat(c.maxLagBytes()).isEqualTo(1024);
    assertThat(c.primaryPoolSize()).isEqualTo(4);
    assertThat(c.replicaPoolSize()).isEqualTo(2);
    assertThat(c.replicas().toString() + c.primary().get()).contains("db2").doesNotContain("s3cret-pw");
  }

  @Test
  void theConfigurationDoesNotChangeWhenTheBuilderDoes() {
    PgoptDataSourceBuilder b = builder().primary("postgres://app@db1/shop");
    NodeListener first = t -> {};
    PgoptConfig c = b.onNodeTransition(first).config();
    b.onNodeTransition(t -> {}).replica("late", "postgres://app@db2/shop").poolSize(7, 7);

    assertThat(c.listeners()).containsExactly(first);
    assertThat(c.replicas()).isEmpty();
    assertThat(c.primaryPoolSize()).isEqualTo(10);
    assertThatThrownBy(() -> c.listeners().add(t -> {})).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void badCombinationsAreRefusedWithOneLine() {
    assertThatThrownBy(() -> builder().config()).isInstanceOf(ClientConfigurationException.class)
        .hasMessageContaining("not neither");
    assertThatThrownBy(() -> builder().primary("postgres://a@h/db").cluster("postgres://a@h1,h2/db").config())
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> builder().cluster("postgres://a@h1,h2/db").replica("r", "postgres://a@h3/db").config())
        .hasMessageContaining("do not add replica");
    assertThatThrownBy(() -> builder().primary("postgres://a@h1,h2/db").config())
        .hasMessageContaining("lists 2 hosts");
    assertThatThrownBy(() -> builder().primary("postgres://a@h/db").replica("r", "postgres://a@h2/db")
        .replica("r", "postgres://a@h3/db").config()).hasMessageContaining("'r' is used twice");
    assertThatThrownBy(() -> builder().primary("postgres://a@h/db").replica("primary", "postgres://a@h2/db").config())
        .hasMessageContaining("used twice");
    assertThatThrownBy(() -> builder().primary("postgres://a@h/db").replica("bad name;drop", "postgres://a@h2/db")
        .config()).hasMessageContaining("is not usable");
    assertThatThrownBy(() -> builder().primary(" ").config()).hasMessageContaining("primary URL is empty");
    assertThatThrownBy(() -> builder().primary("postgres://a:pw-in-url@h/db").replica("r", "mysql://a:pw-in-url@h/db")
        .config()).isInstanceOf(ClientConfigurationException.class).hasMessageStartingWith("replica 'r' URL:")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw-in-url"));
  }

  @Test
  void badValuesAreRefusedByTheSetter() {
    assertThatThrownBy(() -> builder().poolSize(0, 1)).isInstanceOf(ClientConfigurationException.class);
    assertThatThrownBy(() -> builder().replica("r", "postgres://a@h/db", 0, null)).hasMessageContaining("weight");
    assertThatThrownBy(() -> builder().connectionTimeout(Duration.ofMillis(10))).hasMessageContaining("250 ms");
    assertThatThrownBy(() -> builder().healthCheckInterval(Duration.ofMillis(1))).hasMessageContaining("10 ms");
    assertThatThrownBy(() -> builder().maxReplicaLag(-1, Duration.ZERO)).hasMessageContaining("negative");
  }
}

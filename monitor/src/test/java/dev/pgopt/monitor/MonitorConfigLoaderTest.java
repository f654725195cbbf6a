package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.connect.Environment;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The configuration loader on plain text: what a good file gives, and one clear line for each kind of bad one. */
class MonitorConfigLoaderTest {
  private static final Environment ENV = Environment.of(Map.of("STORE_PW", "s3cret-store-pw"), Path.of("/nonexistent"), "ops");
  private static final String TARGETS = "targets:\n  - name: app\n    url: postgresql://monitor@db/app\n";

  private static MonitorConfig parse(String yaml) throws ConfigException {
    return MonitorConfigLoader.parse(yaml, "monitor.yaml", ENV, Optional.of("postgresql://pgopt@127.0.0.1/history"));
  }

  @Test
  void aMinimalFileGetsTheDocumentedDefaults() throws Exception {
    MonitorConfig c = parse(TARGETS);
    assertThat(c.targets()).singleElement().satisfies(t -> {
      assertThat(t.name()).isEqualTo("app");
      assertThat(t.expectedReplicas()).isZero();
    });
    assertThat(c.server().host()).isEqualTo("127.0.0.1");
    assertThat(c.store().url()).isEqualTo("postgresql://pgopt@127.0.0.1/history");
    assertThat(c.collect().activityInterval()).isPositive();
  }

  @Test
  void secretsComeFromTheEnvironmentAndAreNeverEchoed() throws Exception {
    MonitorConfig c = parse(TARGETS + "store:\n  url: postgresql://pgopt@h/history\n  password: ${env:STORE_PW}\n");
    assertThat(c.store().password()).contains("s3cret-store-pw");
    assertThatThrownBy(() -> parse(TARGETS + "store:\n  url: postgresql://pgopt@h/history\n  password: ${env:MISSING_PW}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("MISSING_PW is not set").hasMessageNotContaining("s3cret");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      not YAML                   | 'targets: [unclosed'                                                                 | not valid YAML
      not a mapping              | '- just\\n- a list'                                                                  | expected a mapping with at least a 'targets' list
      no targets                 | 'targets: []'                                                                        | targets: at least one target is needed
      unknown top-level key      | 'targets:\\n  - {name: app, url: x}\\ntargtes: []'                                   | unknown key; expected one of
      bad target name            | 'targets:\\n  - {name: App One, url: x}'                                             | is not a target name
      target named twice         | 'targets:\\n  - {name: app, url: x}\\n  - {name: app, url: y}'                       | target 'app' is named twice
      target without url         | 'targets:\\n  - {name: app}'                                                         | targets[0].url: is required
      bad size                   | 'targets:\\n  - {name: app, url: x, size_budget: lots}'                              | 'lots' is not a size
      replicas out of range      | 'targets:\\n  - {name: app, url: x, expected_replicas: 100}'                         | 100 is out of range 0..64
      bad duration               | 'targets:\\n  - {name: app, url: x}\\ncollect: {activity_interval: soon}'            | 'soon' is not a duration
      too frequent               | 'targets:\\n  - {name: app, url: x}\\ncollect: {statements_interval: 1s}'            | must be at least 5s
      discovery too frequent     | 'targets:\\n  - {name: app, url: x}\\ncollect: {discovery_interval: 100ms}'       | must be 0 (list the databases at start only) or at least 1s
      unknown alert rule         | 'targets:\\n  - {name: app, url: x}\\nalerts: {rules: {disk_on_fire: {for: 1m}}}'    | unknown alert rule; the rules are
      unknown channel kind       | 'targets:\\n  - {name: app, url: x}\\nalerts: {channels: [{name: a, kind: pager}]}'  | 'pager' is not a channel kind
      webhook without url        | 'targets:\\n  - {name: app, url: x}\\nalerts: {channels: [{name: a, kind: webhook}]}'| a webhook channel needs url
      webhook not http           | 'targets:\\n  - {name: app, url: x}\\nalerts: {channels: [{name: a, kind: webhook, url: ftp://h}]}' | must be an http:// or https:// URL
      short token                | 'targets:\\n  - {name: app, url: x}\\nserver: {read_token: short}'                   | a token needs at least 16 characters
      open without a token       | 'targets:\\n  - {name: app, url: x}\\nserver: {host: 0.0.0.0}'                       | beyond loopback needs read_token or admin_token
      not a boolean              | 'targets:\\n  - {name: app, url: x, allow_user_functions: maybe}'                    | 'maybe' is not true or false
      backup without repo        | 'targets:\\n  - {name: app, url: x, backup: {mode: logical}}'                       | targets[0].backup.repo: is required
      bad backup mode            | 'targets:\\n  - {name: app, url: x, backup: {repo: /b, mode: snapshot}}'             | 'snapshot' is not a backup mode
      bad backup type            | 'targets:\\n  - {name: app, url: x, backup: {repo: /b, mode: physical, type: weekly}}'| 'weekly' is not a pgBackRest backup type
      physical with a url        | 'targets:\\n  - {name: app, url: x, backup: {repo: /b, mode: physical, url: y}}'     | url is for logical backups
      bad stanza                 | 'targets:\\n  - {name: app, url: x, backup: {repo: /b, stanza: "a b"}}'              | is not a stanza name
      backup schedule, no repo   | 'targets:\\n  - {name: app, url: x}\\nmaintenance: {backup: "0 3 * * *"}'           | maintenance.backup: no target has a backup section
      bad metric name            | 'targets:\\n  - {name: app, url: x}\\nmetrics: {custom: [{name: Orders-Open, query: "SELECT 1 AS value"}]}' | is not a metric name
      metric without query       | 'targets:\\n  - {name: app, url: x}\\nmetrics: {custom: [{name: orders}]}'              | metrics.custom[0].query: is required
      metric label target        | 'targets:\\n  - {name: app, url: x}\\nmetrics: {custom: [{name: o, query: q, labels: [target]}]}' | 'target' cannot be a label
      metric for unknown target  | 'targets:\\n  - {name: app, url: x}\\nmetrics: {custom: [{name: o, query: q, targets: [other]}]}' | no target named 'other'
      metric named twice         | 'targets:\\n  - {name: app, url: x}\\nmetrics: {custom: [{name: o, query: q}, {name: o, query: q}]}' | custom metric 'o' is named twice
      metric too frequent        | 'targets:\\n  - {name: app, url: x}\\nmetrics: {custom: [{name: o, query: q, interval: 100ms}]}' | must be at least 1s
      unknown price table        | 'targets:\n  - {name: app, url: x, cost: {price_table: azure}}'                     | no price table 'azure'; known: neon-launch
      instance without a price   | 'targets:\n  - {name: app, url: x, cost: {price_table: rds, instance: db.x9.huge}}'  | no price for 'db.x9.huge' in rds
      budget not positive        | 'targets:\n  - {name: app, url: x, cost: {budget_monthly: 0}}'                      | targets[0].cost.budget_monthly: must be a positive amount in USD
      unknown cost key           | 'targets:\n  - {name: app, url: x, cost: {budget: 10}}'                             | unknown key; expected one of
      missing price file         | 'targets:\n  - {name: app, url: x, cost: {price_file: /nonexistent/p.json}}'        | cannot read the price file /nonexistent/p.json
      partitions without tables  | 'targets:\n  - {name: app, url: x}\nmaintenance: {partitions: "5 * * * *"}'          | maintenance.partitions: no partition_tables to keep supplied
      bad drill schedule         | 'targets:\\n  - {name: app, url: x, backup: {repo: /b}}\\nmaintenance: {restore_drill: weekly}' | maintenance.restore_drill: 'weekly' is not a cron expression
      """)
  void eachBadFileGetsOneLineThatSaysWhereAndWhat(String what, String yaml, String expected) {
    assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n")))
        .as(what).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("monitor.yaml: ").hasMessageContaining(expected)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("Exception"));
  }

  @Test
  void aBackupSectionGetsItsDefaults() throws Exception {
    MonitorConfig c = parse("targets:\n  - name: app\n    url: x\n    backup:\n      repo: /backups\n"
        + "maintenance:\n  backup: '0 3 * * *'\n  restore_drill: '0 5 * * 0'\n");
    MonitorConfig.Backup b = c.targets().get(0).backup().orElseThrow();
    assertThat(b.repo()).hasToString("/backups");
    assertThat(b.physical()).isFalse();
    assertThat(b.stanza()).isEqualTo("main");
    assertThat(b.type()).isEqualTo("incr");
    assertThat(b.keepLast()).isEqualTo(7);
    assertThat(b.maxAge()).isEmpty();
    assertThat(c.maintenance().backup()).contains("0 3 * * *");
    assertThat(c.maintenance().restoreDrill()).contains("0 5 * * 0");
  }

  @Test
  void withoutAStoreAndWithoutADefaultTheFileSaysHowToGetOne() {
    assertThatThrownBy(() -> MonitorConfigLoader.parse(TARGETS, "monitor.yaml", ENV, Optional.empty()))
        .hasMessageContaining("no history store");
  }

  @Test
  void everyAlertRuleTheEngineDefinesCanBeConfiguredAndNoOther() throws ConfigException {
    for (dev.pgopt.monitor.internal.alert.AlertRule rule : dev.pgopt.monitor.internal.alert.AlertRule.defaults()) {
      MonitorConfig c = parse(TARGETS + "alerts: {rules: {" + rule.name() + ": {enabled: false}}}\n");
      assertThat(c.alerts().rules()).containsKey(rule.name());
    }
    assertThatThrownBy(() -> parse(TARGETS + "alerts: {rules: {disk_on_fire: {enabled: false}}}\n"))
        .hasMessageContaining(dev.pgopt.monitor.internal.alert.AlertRule.defaults().get(0).name());
  }
}

package dev.pgopt.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import jakarta.mail.internet.MimeMessage;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A database misbehaves on purpose (every transaction rolls back), the error-rate alert fires to a webhook that fails
 * its first attempts, to a Slack-format webhook and to a real SMTP server; then the database behaves and the alert
 * resolves on every channel.
 */
@ExtendWith(PostgresExtension.class)
class AlertDeliveryTest {
  @RegisterExtension
  static GreenMailExtension mail = new GreenMailExtension(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());

  @Test
  void firesAndResolvesOnWebhookSlackAndEmail(TestCluster cluster, TestDatabase db) throws Exception {
    TestDatabase store = cluster.createDatabase();
    db.execute("CREATE TABLE t (id int)");
    try (WebhookReceiver hook = new WebhookReceiver(2); WebhookReceiver slack = new WebhookReceiver(0)) {
      String yaml = MonitorFixture.config(cluster, db.name(), store.name(), """
          alerts:
            rules:
              error_rate: {warning: 20, critical: 50, for: 2s}
              cache_hit_ratio: {enabled: false}
            channels:
              - {kind: webhook, url: "%s"}
              - {kind: slack, url: "%s"}
              - {kind: email, smtp_host: 127.0.0.1, smtp_port: %d, starttls: false, from: pgopt@example.com, to: [dba@example.com]}
              - {kind: log}
          """.formatted(hook.url("/hook"), slack.url("/slack"), mail.getSmtp().getPort()));
      try (MonitorFixture f = MonitorFixture.start(yaml, Map.of())) {
        AtomicBoolean failing = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
          try (Connection c = MonitorFixture.app(cluster, db.name(), "checkout"); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            while (!Thread.currentThread().isInterrupted()) {
              s.execute("INSERT INTO t VALUES (1)");
              if (failing.get()) {
                c.rollback();
              } else {
                c.commit();
              }
              Thread.sleep(5);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        load.start();
        try {
          Probe.waitUntil(() -> hook.bodies.stream().anyMatch(b -> b.contains("\"event\":\"firing\"")));
          JsonNode firing = MonitorFixture.JSON.readTree(hook.bodies.stream().filter(b -> b.contains("firing")).findFirst().orElseThrow());
          assertThat(firing.path("name").asText()).isEqualTo("error_rate");
          assertThat(firing.path("severity").asText()).isEqualTo("critical");
          assertThat(firing.path("target").asText()).isEqualTo("app");
          assertThat(hook.requests.get()).as("the first two attempts failed and were retried").isGreaterThanOrEqualTo(3);
          Probe.waitUntil(() -> slack.bodies.stream().anyMatch(b -> b.contains("\"text\"") && b.contains("FIRING")));
          Probe.waitUntil(() -> mail.getReceivedMessages().length >= 1);
          MimeMessage m = mail.getReceivedMessages()[0];
          assertThat(m.getSubject()).contains("FIRING").contains("error_rate").contains("app");
          assertThat(f.json("/api/alerts").path("alerts").get(0).path("rule").asText()).isEqualTo("error_rate");

          failing.set(false);
          Probe.waitUntil(() -> hook.bodies.stream().anyMatch(b -> b.contains("\"event\":\"resolved\"")));
          Probe.waitUntil(() -> slack.bodies.stream().anyMatch(b -> b.contains("RESOLVED")));
          Probe.waitUntil(() -> mail.getReceivedMessages().length >= 2);
          assertThat(mail.getReceivedMessages()[mail.getReceivedMessages().length - 1].getSubject()).contains("RESOLVED");
          assertThat(hook.bodies.stream().filter(b -> b.contains("\"event\":\"firing\"")).count())
              .as("deduplicated: one firing notice for one breach").isEqualTo(1);
          assertThat(f.json("/api/alerts").path("alerts").size()).isZero();
          Probe.waitUntil(() -> {
            try {
              JsonNode all = f.json("/api/alerts?state=all");
              return all.path("alerts").size() == 1 && !all.path("alerts").get(0).path("resolved_at").isNull();
            } catch (Exception e) {
              return false;
            }
          });
        } finally {
          load.interrupt();
          load.join();
        }
      }
    } finally {
      store.close();
    }
  }
}

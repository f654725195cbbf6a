package dev.pgopt.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.incident.Guardrails;
import dev.pgopt.monitor.internal.incident.Incident;
import dev.pgopt.monitor.internal.incident.IncidentResponder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Saturation and broken replication from plain snapshots (the live ones are planted in IncidentResponseTest). */
class IncidentDetectionTest {
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  final List<String> log = new ArrayList<>();
  final IncidentResponder responder = new IncidentResponder(config(), new Guardrails(config(), Clock.fixed(T0, ZoneOffset.UTC)),
      (target, pid, since, terminate) -> true, Clock.fixed(T0, ZoneOffset.UTC), new IncidentResponder.Sink() {
        @Override
        public void opened(Incident i) {
          log.add("opened " + i.kind().json() + ": " + i.subject());
        }

        @Override
        public void resolved(Incident i, Instant at) {
          log.add("resolved " + i.kind().json());
        }

        @Override
        public void action(Incident i, IncidentResponder.Action a) {
          log.add("action " + a.action() + " " + a.outcome().json());
        }
      });

  static MonitorConfig.Incidents config() {
    return new MonitorConfig.Incidents(Duration.ofMinutes(5), Duration.ofSeconds(30), 95, false, false, false,
        Duration.ofMinutes(1), false, false, Duration.ofMinutes(10), List.of(), List.of(), 5, Duration.ofMinutes(10));
  }

  static ActivitySnapshot snap(int clients, boolean recovery, String receiver, List<ActivitySnapshot.ReplicaRow> replicas) {
    List<ActivitySnapshot.SessionRow> sessions = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      sessions.add(new ActivitySnapshot.SessionRow(i, "shop", "shop", null, "idle", null, null, "client backend", null, null,
          T0, List.of(), false, "", "app", false));
    }
    return new ActivitySnapshot(T0, sessions, new ActivitySnapshot.DatabaseCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null),
        103, 3, recovery, 0, replicas, recovery ? 0.0 : null, receiver);
  }

  @Test
  void connectionSaturationOpensAndResolves() {
    responder.observe("app", snap(96, false, null, List.of()), 0);
    responder.observe("app", snap(97, false, null, List.of()), 0);
    responder.observe("app", snap(20, false, null, List.of()), 0);
    assertThat(log).containsExactly("opened connection_saturation: 96 of 100 usable connections in use (96%)",
        "resolved connection_saturation");
  }

  @Test
  void missingStandbysAndAStoppedWalReceiverAreBrokenReplication() {
    responder.observe("primary", snap(1, false, null, List.of(new ActivitySnapshot.ReplicaRow("r1", null, "catchup", "async", null, null))), 1);
    responder.observe("standby", snap(1, true, null, List.of()), 0);
    responder.observe("healthy", snap(1, true, "streaming", List.of()), 0);
    assertThat(log).containsExactly("opened replication_broken: 0 of 1 expected standbys are streaming",
        "opened replication_broken: this standby's WAL receiver is not running");
  }
}

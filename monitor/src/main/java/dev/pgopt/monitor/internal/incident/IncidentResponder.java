package dev.pgopt.monitor.internal.incident;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.alert.Severity;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot.SessionRow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Detects incidents in each activity sample (target unreachable, runaway queries, lock chains, connection
 * saturation, broken replication) and, only where enabled, acts on them under {@link Guardrails}: a session is always
 * cancelled first and terminated only on a later sample, at least {@code terminate_after} later, if it is still the
 * same session doing the same thing. In dry-run mode every action is recorded as what would have been done.
 */
public final class IncidentResponder {
  /** Where incidents and actions go (store and notifications). */
  public interface Sink {
    void opened(Incident incident);

    void resolved(Incident incident, Instant at);

    void action(Incident incident, Action action);
  }

  /** One remediation step, taken, refused or simulated. */
  public record Action(Instant at, String action, Integer pid, String role, String application, boolean dryRun,
                       Outcome outcome, String detail) {}

  /** How a remediation step ended; stored and sent as its JSON name. */
  public enum Outcome {
    /** the signal was delivered */
    DONE,
    /** the backend had already finished or changed */
    GONE,
    FAILED,
    /** a guardrail or the action budget said no */
    REFUSED,
    /** dry-run mode: what would have been done */
    DRY_RUN;

    @com.fasterxml.jackson.annotation.JsonValue
    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static final class Open {
    final Incident incident;
    Instant cancelledAt;
    boolean terminated;
    final Set<String> refusalsLogged = new HashSet<>();

    Open(Incident incident) {
      this.incident = incident;
    }
  }

  private final MonitorConfig.Incidents config;
  private final Guardrails guardrails;
  private final BackendSignals signals;
  private final Clock clock;
  private final Sink sink;
  private final Map<String, Map<String, Open>> open = new HashMap<>();

  public IncidentResponder(MonitorConfig.Incidents config, Guardrails guardrails, BackendSignals signals, Clock clock, Sink sink) {
    this.config = config;
    this.guardrails = guardrails;
    this.signals = signals;
    this.clock = clock;
    this.sink = sink;
  }

  public synchronized List<Incident> open() {
    List<Incident> out = new ArrayList<>();
    open.values().forEach(m -> m.values().forEach(o -> out.add(o.incident)));
    out.sort(Comparator.comparing(Incident::detectedAt));
    return out;
  }

  /** The target could not be collected. */
  public synchronized void unreachable(String target, String error) {
    if (existing(target, "unreachable").isEmpty()) {
      // other incidents stay open: with no sample we cannot tell whether they are over
      open.computeIfAbsent(target, k -> new LinkedHashMap<>()).put("unreachable", create(target, Incident.Kind.TARGET_UNREACHABLE,
          Severity.CRITICAL, "unreachable", "target " + target + " is unreachable", error, clock.instant()));
    }
  }

  /** A signal decided while looking at a sample, sent after the responder's lock is released. */
  private record Signal(Open open, SessionRow session, Instant since, boolean terminate, Instant at) {}

  /**
   * Looks at one activity sample of {@code target}. Signals go out after the decision, outside the responder's lock,
   * so a slow or hung target cannot hold up the other targets' samples.
   */
  public void observe(String target, ActivitySnapshot snap, int expectedReplicas) {
    List<Signal> signals = decide(target, snap, expectedReplicas);
    for (Signal s : signals) {
      String action = s.terminate() ? "terminate" : "cancel";
      Outcome outcome;
      String detail;
      try {
        boolean ok = this.signals.signal(target, s.session().pid(), s.since(), s.terminate());
        outcome = ok ? Outcome.DONE : Outcome.GONE;
        detail = ok ? (s.terminate() ? "pg_terminate_backend" : "pg_cancel_backend") + "(" + s.session().pid() + ")"
            : "pid " + s.session().pid() + " had already finished or changed";
      } catch (DatabaseFailure e) {
        outcome = Outcome.FAILED;
        detail = e.getMessage();
      }
      sink.action(s.open().incident, new Action(s.at(), action, s.session().pid(), s.session().user(),
          s.session().application(), false, outcome, detail));
    }
  }

  private synchronized List<Signal> decide(String target, ActivitySnapshot snap, int expectedReplicas) {
    List<Signal> signals = new ArrayList<>();
    Map<String, Open> seen = new LinkedHashMap<>();
    Instant now = snap.takenAt();
    Map<Integer, SessionRow> byPid = new HashMap<>();
    snap.sessions().forEach(s -> byPid.put(s.pid(), s));

    for (SessionRow s : snap.sessions()) {
      if (!s.clientBackend() || s.own() || !"active".equals(s.state()) || s.queryStart() == null) {
        continue;
      }
      Duration running = Duration.between(s.queryStart(), now);
      if (running.compareTo(config.runawayQuery()) < 0) {
        continue;
      }
      String key = "runaway:" + s.pid() + "@" + s.queryStart();
      Open o = existing(target, key).orElseGet(() -> create(target, Incident.Kind.RUNAWAY_QUERY, Severity.WARNING, key,
          "pid " + s.pid() + " (" + s.user() + ", " + app(s) + ") has run one statement for " + seconds(running),
          abbreviate(s.query()), now));
      seen.put(key, o);
      boolean act = config.cancelRunaway() || config.terminateRunaway();
      if (act) {
        remediate(o, s, s.queryStart(), config.terminateRunaway(), now, signals);
      }
    }

    Map<Integer, List<SessionRow>> blockedByRoot = new LinkedHashMap<>();
    for (SessionRow s : snap.sessions()) {
      if (s.blockedBy().isEmpty() || s.queryStart() == null
          || Duration.between(s.queryStart(), now).compareTo(config.lockWait()) < 0) {
        continue;
      }
      for (int root : roots(s, byPid)) {
        blockedByRoot.computeIfAbsent(root, k -> new ArrayList<>()).add(s);
      }
    }
    for (Map.Entry<Integer, List<SessionRow>> e : blockedByRoot.entrySet()) {
      SessionRow root = byPid.get(e.getKey());
      Instant since = root == null ? null : root.transactionStart() != null ? root.transactionStart() : root.queryStart();
      String key = "lock:" + e.getKey() + "@" + since;
      String who = root == null ? "pid " + e.getKey() : "pid " + root.pid() + " (" + root.user() + ", " + app(root) + ", " + root.state() + ")";
      Open o = existing(target, key).orElseGet(() -> create(target, Incident.Kind.LOCK_CHAIN, Severity.WARNING, key,
          who + " blocks " + e.getValue().size() + " session(s) waiting longer than " + seconds(config.lockWait()),
          root == null ? "" : abbreviate(root.query()), now));
      seen.put(key, o);
      if (config.cancelLockBlocker() && root != null && since != null) {
        boolean idleInTx = root.state() != null && root.state().startsWith("idle in transaction");
        remediate(o, root, since, idleInTx && config.terminateIdleInTransaction(), now, signals);
      }
    }

    int clients = (int) snap.sessions().stream().filter(SessionRow::clientBackend).count();
    int usable = Math.max(1, snap.maxConnections() - snap.reservedConnections());
    double usage = 100.0 * clients / usable;
    if (usage >= config.saturationPercent()) {
      Open o = existing(target, "saturation").orElseGet(() -> create(target, Incident.Kind.CONNECTION_SATURATION, Severity.CRITICAL,
          "saturation", String.format(java.util.Locale.ROOT, "%d of %d usable connections in use (%.0f%%)", clients, usable, usage), "", now));
      seen.put("saturation", o);
      if (config.terminateIdleInTransaction()) {
        snap.sessions().stream()
            .filter(s -> s.state() != null && s.state().startsWith("idle in transaction") && s.stateChange() != null
                && Duration.between(s.stateChange(), now).compareTo(config.idleInTransaction()) >= 0)
            .sorted(Comparator.comparing(SessionRow::stateChange))
            .forEach(s -> remediate(o, s, s.transactionStart() != null ? s.transactionStart() : s.stateChange(), true, now, signals));
      }
    }

    String broken = replicationProblem(snap, expectedReplicas);
    if (broken != null) {
      Open o = existing(target, "replication").orElseGet(() -> create(target, Incident.Kind.REPLICATION_BROKEN, Severity.CRITICAL,
          "replication", broken, "", now));
      seen.put("replication", o);
    }

    Map<String, Open> previous = open.getOrDefault(target, Map.of());
    for (Map.Entry<String, Open> e : previous.entrySet()) {
      if (!seen.containsKey(e.getKey())) {
        sink.resolved(e.getValue().incident, now);
      }
    }
    open.put(target, seen);
    return signals;
  }

  private static String replicationProblem(ActivitySnapshot snap, int expectedReplicas) {
    if (snap.inRecovery()) {
      return "streaming".equals(snap.walReceiverStatus()) ? null
          : "this standby's WAL receiver is " + (snap.walReceiverStatus() == null ? "not running" : snap.walReceiverStatus());
    }
    long streaming = snap.replicas().stream().filter(r -> "streaming".equals(r.state())).count();
    if (streaming < expectedReplicas) {
      return streaming + " of " + expectedReplicas + " expected standbys are streaming";
    }
    return null;
  }

  private void remediate(Open o, SessionRow s, Instant since, boolean terminateAllowed, Instant now, List<Signal> signals) {
    if (o.terminated) {
      return;
    }
    Optional<String> refusal = guardrails.refusal(s);
    if (refusal.isPresent()) {
      if (o.refusalsLogged.add(refusal.get())) {
        sink.action(o.incident, new Action(now, "none", s.pid(), s.user(), s.application(), config.dryRun(),
            Outcome.REFUSED, "guardrail: " + refusal.get()));
      }
      return;
    }
    boolean terminate = o.cancelledAt != null;
    if (terminate && (!terminateAllowed || now.isBefore(o.cancelledAt.plus(config.terminateAfter())))) {
      return;
    }
    String action = terminate ? "terminate" : "cancel";
    if (!guardrails.take()) {
      if (o.refusalsLogged.add("budget")) {
        sink.action(o.incident, new Action(now, action, s.pid(), s.user(), s.application(), config.dryRun(), Outcome.REFUSED,
            "guardrail: at most " + config.maxActions() + " actions per " + seconds(config.actionWindow())));
      }
      return;
    }
    if (config.dryRun()) {
      sink.action(o.incident, new Action(now, action, s.pid(), s.user(), s.application(), true, Outcome.DRY_RUN,
          "would " + action + " pid " + s.pid()));
    } else {
      signals.add(new Signal(o, s, since, terminate, now));
    }
    if (terminate) {
      o.terminated = true;
    } else {
      o.cancelledAt = now;
    }
  }

  private static List<Integer> roots(SessionRow s, Map<Integer, SessionRow> byPid) {
    List<Integer> out = new ArrayList<>();
    Set<Integer> visited = new HashSet<>();
    java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>(s.blockedBy());
    while (!todo.isEmpty()) {
      int pid = todo.poll();
      if (!visited.add(pid)) {
        continue;
      }
      SessionRow b = byPid.get(pid);
      if (b == null || b.blockedBy().isEmpty()) {
        out.add(pid);
      } else {
        todo.addAll(b.blockedBy());
      }
    }
    return out;
  }

  private Optional<Open> existing(String target, String key) {
    return Optional.ofNullable(open.getOrDefault(target, Map.of()).get(key));
  }

  private Open create(String target, Incident.Kind kind, Severity severity, String key, String subject, String details, Instant at) {
    Incident i = new Incident(UUID.randomUUID().toString(), target, kind, severity, key, subject, details, at);
    sink.opened(i);
    return new Open(i);
  }

  private static String app(SessionRow s) {
    return s.application() == null || s.application().isEmpty() ? "no application_name" : s.application();
  }

  private static String seconds(Duration d) {
    return d.toSeconds() + " s";
  }

  private static String abbreviate(String q) {
    if (q == null) {
      return "";
    }
    // literals can carry personal data or secrets; notifications and the dashboard show the statement's shape only
    String one = q.replaceAll("'(?:[^']|'')*'", "'?'").replaceAll("\\s+", " ").strip();
    return one.length() > 200 ? one.substring(0, 200) + "…" : one;
  }
}

package dev.pgopt.monitor.internal.alert;

import dev.pgopt.monitor.internal.collect.Series;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * Evaluates the rules against each target's latest values: a breach must hold for the rule's duration before it
 * fires; each alert notifies once when it fires, again when it escalates to critical or after the repeat interval,
 * and once when it resolves. A missing value (a target that is down, a rate without traffic) changes nothing: alerts
 * never resolve for lack of data.
 */
public final class AlertEngine {
  /** A firing or pending alert. */
  public static final class Active {
    final String id;
    final String target;
    final AlertRule rule;
    Severity level;
    final Instant pendingSince;
    Instant firedAt;
    Instant lastNotified;
    double value;

    Active(String id, String target, AlertRule rule, Severity level, Instant pendingSince) {
      this.id = id;
      this.target = target;
      this.rule = rule;
      this.level = level;
      this.pendingSince = pendingSince;
    }

    public String id() {
      return id;
    }

    public String target() {
      return target;
    }

    public String rule() {
      return rule.name();
    }

    public Severity severity() {
      return level;
    }

    public boolean firing() {
      return firedAt != null;
    }

    public Instant since() {
      return firedAt != null ? firedAt : pendingSince;
    }

    public double value() {
      return value;
    }
  }

  /** A transition to persist and deliver. */
  public record Event(Active alert, Notification.Event event, Double threshold, String message, Instant at) {
    public Notification notification() {
      return new Notification(alert.id, Notification.Kind.ALERT, event, alert.level, alert.target, alert.rule.name(), message,
          alert.value, threshold, alert.firedAt, event == Notification.Event.RESOLVED ? at : null);
    }
  }

  private final List<AlertRule> rules;
  private final Duration repeatInterval;
  /** The rules whose levels each target sets. */
  public static final java.util.Set<String> TARGET_LEVELS = java.util.Set.of("database_size", "cost_budget");
  private final BiFunction<String, String, Double> budgetOf;
  private final Map<String, Active> active = new HashMap<>();

  /**
   * {@code budgetOf(target, rule)} gives the target's own critical level for the rules that have one
   * ({@link #TARGET_LEVELS}: database_size in bytes, cost_budget in money), or null when the target set none.
   */
  public AlertEngine(List<AlertRule> rules, Duration repeatInterval, BiFunction<String, String, Double> budgetOf) {
    this.rules = List.copyOf(rules);
    this.repeatInterval = repeatInterval;
    this.budgetOf = budgetOf;
  }

  public List<AlertRule> rules() {
    return rules;
  }

  /** Brings back an alert that was firing when the process stopped, so it resolves instead of firing twice. */
  public synchronized void restore(String id, String target, String ruleName, Severity severity, Instant firedAt, Instant now) {
    for (AlertRule r : rules) {
      if (r.name().equals(ruleName)) {
        Active a = new Active(id, target, r, severity, firedAt);
        a.firedAt = firedAt;
        a.lastNotified = now;
        active.put(key(target, ruleName), a);
      }
    }
  }

  public synchronized List<Event> evaluate(String target, Map<Series, Double> values, Instant now) {
    List<Event> events = new ArrayList<>();
    for (AlertRule rule : rules) {
      Double targetCritical = TARGET_LEVELS.contains(rule.name()) ? budgetOf.apply(target, rule.name()) : null;
      if (TARGET_LEVELS.contains(rule.name()) && targetCritical == null) {
        continue;
      }
      Double value = values.get(rule.series());
      if (value == null) {
        continue;
      }
      String key = key(target, rule.name());
      Active a = active.get(key);
      Severity level = rule.breach(value, targetCritical);
      if (level == null) {
        if (a != null) {
          active.remove(key);
          if (a.firing()) {
            a.value = value;
            events.add(new Event(a, Notification.Event.RESOLVED, rule.threshold(a.level, targetCritical),
                rule.name() + " is back to normal: " + format(value, rule.unit()), now));
          }
        }
        continue;
      }
      if (a == null) {
        a = new Active(UUID.randomUUID().toString(), target, rule, level, now);
        active.put(key, a);
      }
      a.value = value;
      Double threshold = rule.threshold(level, targetCritical);
      String message = rule.summary() + ": " + format(value, rule.unit()) + " (" + level.json() + " "
          + (rule.below() ? "below " : "above ") + format(threshold, rule.unit()) + ")";
      if (!a.firing()) {
        a.level = level;
        if (!now.isBefore(a.pendingSince.plus(rule.forDuration()))) {
          a.firedAt = now;
          a.lastNotified = now;
          events.add(new Event(a, Notification.Event.FIRING, threshold, message, now));
        }
      } else if (level == Severity.CRITICAL && a.level == Severity.WARNING) {
        a.level = level;
        a.lastNotified = now;
        events.add(new Event(a, Notification.Event.ESCALATED, threshold, message, now));
      } else if (!repeatInterval.isZero() && !now.isBefore(a.lastNotified.plus(repeatInterval))) {
        a.lastNotified = now;
        events.add(new Event(a, Notification.Event.REPEAT, threshold, message, now));
      }
    }
    return events;
  }

  /**
   * Ends every alert of a target that is no longer monitored (its database is gone): the firing ones as resolved
   * events, so the store and the channels close them.
   */
  public synchronized List<Event> forget(String target, Instant now) {
    List<Event> events = new ArrayList<>();
    for (java.util.Iterator<Active> it = active.values().iterator(); it.hasNext(); ) {
      Active a = it.next();
      if (a.target().equals(target)) {
        it.remove();
        if (a.firing()) {
          events.add(new Event(a, Notification.Event.RESOLVED, null, a.rule() + " ended: target " + target
              + " is no longer monitored (its database is gone)", now));
        }
      }
    }
    return events;
  }

  public synchronized List<Active> active() {
    return List.copyOf(active.values());
  }

  private static String key(String target, String rule) {
    return target + "\u0000" + rule;
  }

  static String format(Double v, String unit) {
    if (v == null) {
      return "-";
    }
    if (unit.equals("B")) {
      return dev.pgopt.analyze.health.Units.bytes(v);
    }
    String n = Math.abs(v) >= 1e6 ? String.format(Locale.ROOT, "%.3g", v)
        : v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    return unit.isEmpty() ? n : unit.startsWith("/") || unit.equals("%") ? n + unit : n + " " + unit;
  }
}

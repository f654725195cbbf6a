package dev.pgopt.monitor.internal.incident;

import dev.pgopt.monitor.MonitorConfig;
import dev.pgopt.monitor.internal.collect.ActivitySnapshot.SessionRow;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What automated remediation may never do, checked before every action: touch a superuser's, a replication or
 * background process's, or pgopt's own session, or one excluded by application name or role (globs such as
 * {@code batch-*}); or act more than {@code max_actions} times per {@code action_window} across all targets.
 */
public final class Guardrails {
  private final List<Pattern> excludedApplications;
  private final List<Pattern> excludedRoles;
  private final int maxActions;
  private final java.time.Duration window;
  private final Clock clock;
  private final Deque<Instant> recent = new ArrayDeque<>();

  public Guardrails(MonitorConfig.Incidents config, Clock clock) {
    this.excludedApplications = config.excludeApplications().stream().map(Guardrails::glob).toList();
    this.excludedRoles = config.excludeRoles().stream().map(Guardrails::glob).toList();
    this.maxActions = config.maxActions();
    this.window = config.actionWindow();
    this.clock = clock;
  }

  /** Why {@code s} must not be touched, or empty when it may be. */
  public Optional<String> refusal(SessionRow s) {
    if (!s.clientBackend()) {
      return Optional.of("not a client backend (" + s.backendType() + ")");
    }
    if (s.superuser()) {
      return Optional.of("superuser session (" + s.user() + ")");
    }
    if (s.own()) {
      return Optional.of("pgopt's own session");
    }
    String app = s.application() == null ? "" : s.application();
    for (Pattern p : excludedApplications) {
      if (p.matcher(app).matches()) {
        return Optional.of("application '" + app + "' is excluded");
      }
    }
    String role = s.user() == null ? "" : s.user();
    for (Pattern p : excludedRoles) {
      if (p.matcher(role).matches()) {
        return Optional.of("role '" + role + "' is excluded");
      }
    }
    return Optional.empty();
  }

  /** Takes one action from the budget; false when the window's budget is spent. */
  public synchronized boolean take() {
    Instant now = clock.instant();
    while (!recent.isEmpty() && !recent.peekFirst().isAfter(now.minus(window))) {
      recent.pollFirst();
    }
    if (recent.size() >= maxActions) {
      return false;
    }
    recent.addLast(now);
    return true;
  }

  static Pattern glob(String g) {
    StringBuilder re = new StringBuilder();
    for (char ch : g.toCharArray()) {
      switch (ch) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    return Pattern.compile(re.toString());
  }
}

package dev.pgopt.client.observe;

import dev.pgopt.client.observe.internal.CurrentLabel;

/**
 * Names the statements run on this thread until closed, for timers and the slow log: {@code try (var l =
 * StatementLabel.use("user.by_id")) { ... }}. {@code PgoptDataSource.read/tx} set it from their label argument.
 * Labels are metric tags, so use a fixed vocabulary: distinct labels beyond the configured cap count as "other".
 */
public final class StatementLabel implements AutoCloseable {
  private final String previous;

  private StatementLabel(String previous) {
    this.previous = previous;
  }

  public static StatementLabel use(String label) {
    return new StatementLabel(CurrentLabel.set(label));
  }

  @Override
  public void close() {
    CurrentLabel.set(previous);
  }
}

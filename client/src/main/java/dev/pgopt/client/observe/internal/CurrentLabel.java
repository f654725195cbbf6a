package dev.pgopt.client.observe.internal;

/** The label of statements run on this thread, set by read/tx callbacks or {@code StatementLabel.use}. */
public final class CurrentLabel {
  private static final ThreadLocal<String> LABEL = new ThreadLocal<>();

  private CurrentLabel() {}

  /** Sets the label (null clears it) and returns the one it replaces. */
  public static String set(String label) {
    String previous = LABEL.get();
    if (label == null) {
      LABEL.remove();
    } else {
      LABEL.set(label);
    }
    return previous;
  }

  static String get() {
    return LABEL.get();
  }
}

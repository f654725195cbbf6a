package dev.pgopt.monitor.internal.alert;

/** Somewhere notifications go. A failed delivery throws; {@link Permanent} means retrying cannot help. */
public interface Channel {
  String name();

  void send(Notification n) throws Exception;

  /** A delivery the receiver refused for good (a 4xx answer, a rejected address): not retried. */
  final class Permanent extends Exception {
    public Permanent(String message) {
      super(message);
    }
  }
}

package dev.pgopt.client.observe;

/** Where slow-statement records go, one JSON object per line. */
@FunctionalInterface
public interface SlowStatementSink {
  void write(String jsonLine);

  /** The platform logger {@code dev.pgopt.client.slow} at WARNING (routed to SLF4J/Log4j/JUL as the application does). */
  static SlowStatementSink systemLogger() {
    System.Logger log = System.getLogger("dev.pgopt.client.slow");
    return line -> log.log(System.Logger.Level.WARNING, line);
  }
}

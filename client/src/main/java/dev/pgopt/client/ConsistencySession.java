package dev.pgopt.client;

/**
 * Read-your-writes scope. While a session is open on a thread, every write committed through the data source on that
 * thread advances the session's token, and every read waits for (or bypasses) replicas that have not replayed it.
 * Close it to unbind; hand {@link #token()} to another request or service to continue there with {@link
 * PgoptDataSource#session(ConsistencyToken)}.
 */
public final class ConsistencySession implements AutoCloseable {
  private final Runnable unbind;
  private volatile ConsistencyToken token;

  ConsistencySession(ConsistencyToken start, Runnable unbind) {
    this.token = start;
    this.unbind = unbind;
  }

  /** The newest write this session must see, or null before its first write. */
  public ConsistencyToken token() {
    return token;
  }

  /** Records a write seen elsewhere, e.g. a token received from another service. */
  public synchronized void advance(ConsistencyToken seen) {
    if (seen != null) {
      token = seen.max(token);
    }
  }

  @Override
  public void close() {
    unbind.run();
  }
}

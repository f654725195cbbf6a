package dev.pgopt.client.route.internal;

/** What a connection is for, known before it touches a server. */
public enum Intent {
  /** Decided at first use: a read if {@code setReadOnly(true)} was called by then, else a write. */
  BY_READ_ONLY_FLAG,
  READ,
  WRITE
}

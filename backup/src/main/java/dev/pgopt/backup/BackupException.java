package dev.pgopt.backup;

/** A backup or drill that cannot run: the message is one line saying what, where and what to do, without passwords. */
public final class BackupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BackupException(String message) {
    super(message);
  }

  public BackupException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.pgopt.backup.internal;

import dev.pgopt.backup.BackupException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of PostgreSQL's client tools (pg_dump, pg_restore). The password travels in the child's environment
 * (PGPASSWORD), never on its command line, where {@code ps} would show it; what the tool prints is kept for the
 * failure message, its last lines only.
 */
public final class Tool {
  /** What a finished tool run left: its exit code and its last lines of output. */
  public record Result(int exitCode, String tail) {}

  private final List<String> command;
  private final Map<String, String> environment;
  private Process process;
  private Thread reader;
  private final StringBuilder output = new StringBuilder();

  public Tool(List<String> command, Map<String, String> environment) {
    this.command = List.copyOf(command);
    this.environment = Map.copyOf(environment);
  }

  /** Starts the tool; {@link #await()} waits for it. */
  public Tool start() {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(environment);
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new BackupException("cannot run " + command.get(0) + ": " + e.getMessage()
          + " (install PostgreSQL's client tools: scripts/ensure-system)", e);
    }
    try {
      process.getOutputStream().close(); // the tools read nothing: a password prompt must fail, not wait
    } catch (IOException ignored) {
      // already closed
    }
    InputStream in = process.getInputStream();
    reader = new Thread(() -> {
      try {
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (output) {
            output.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            if (output.length() > 64_000) {
              output.delete(0, output.length() - 32_000);
            }
          }
        }
      } catch (IOException ignored) {
        // the process ended; what was read is kept
      }
    }, "pgopt-tool-output");
    reader.setDaemon(true);
    reader.start();
    return this;
  }

  /** Waits until the tool exits (it is killed when this thread is interrupted). */
  public Result await() {
    try {
      int code = process.waitFor();
      reader.join(TimeUnit.SECONDS.toMillis(5));
      return new Result(code, tail(6));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new BackupException(command.get(0) + " was interrupted");
    }
  }

  /** Stops the tool now (a failed backup must not leave it writing). */
  public void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  private String tail(int lines) {
    String text;
    synchronized (output) {
      text = output.toString();
    }
    return lastLines(text, lines);
  }

  /** The last {@code n} lines of {@code text}, on one line (for one-line failure messages). */
  public static String lastLines(String text, int n) {
    String[] all = text.strip().split("\n");
    return String.join(" | ", List.of(all).subList(Math.max(0, all.length - n), all.length)).strip();
  }

  /** Runs to the end. */
  public static Result run(List<String> command, Map<String, String> environment) {
    return new Tool(command, environment).start().await();
  }
}

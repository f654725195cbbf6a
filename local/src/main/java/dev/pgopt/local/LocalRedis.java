package dev.pgopt.local;

import dev.pgopt.local.internal.Commands;
import dev.pgopt.local.internal.PortWait;
import dev.pgopt.local.internal.ProcessStop;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A throw-away Redis server on a free loopback port, with persistence off. */
public final class LocalRedis implements AutoCloseable {
  private final Process process;
  private final int port;

  private LocalRedis(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static LocalRedis start(Path workDir) {
    return start(workDir, FreePort.find());
  }

  /** Starts on a given port: for restarting a stopped server where its clients expect it. */
  public static LocalRedis start(Path workDir, int port) {
    Commands.createOwnedDirectory(workDir);
    Process p = Commands.spawn(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", workDir.toString()), workDir.resolve("redis.log"));
    PortWait.untilListening(p, port, Duration.ofSeconds(30), "redis-server");
    return new LocalRedis(p, port);
  }

  public int port() {
    return port;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    ProcessStop.gracefully(process, "redis-server");
  }
}

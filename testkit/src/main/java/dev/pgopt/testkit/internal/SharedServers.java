package dev.pgopt.testkit.internal;

import dev.pgopt.local.LocalRedis;
import dev.pgopt.local.ServiceUser;
import dev.pgopt.testkit.TestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** The servers of one test run: started on first use, stopped and deleted when JUnit closes the root store (it closes AutoCloseable values). */
public final class SharedServers implements AutoCloseable {
  private final Path root;
  private final TestCluster primary;
  private final Thread shutdownHook;
  private final AtomicInteger counter = new AtomicInteger();

  private SharedServers(Path root, TestCluster primary) {
    this.root = root;
    this.primary = primary;
    // If the JVM dies without JUnit closing the store, still stop the server we started.
    this.shutdownHook = new Thread(primary::close, "pgopt-testkit-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  public static SharedServers start() {
    try {
      Path root = Files.createTempDirectory("pgopt-testkit-");
      ServiceUser.createPrivateDirectory(root);
      byte[] secret = new byte[12];
      new SecureRandom().nextBytes(secret);
      return new SharedServers(root, TestCluster.startPrimary(root, "pw-" + HexFormat.of().formatHex(secret)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temporary directory for the test cluster", e);
    }
  }

  public TestCluster primary() {
    return primary;
  }

  public LocalRedis startRedis() {
    return LocalRedis.start(root.resolve("redis-" + counter.incrementAndGet()));
  }

  @Override
  public void close() throws IOException {
    primary.close();
    Runtime.getRuntime().removeShutdownHook(shutdownHook);
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

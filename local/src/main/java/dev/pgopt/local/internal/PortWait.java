package dev.pgopt.local.internal;

import dev.pgopt.local.LocalProcessException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** Waits until a freshly spawned server accepts TCP connections, or its process dies. */
public final class PortWait {
  private PortWait() {}

  public static void untilListening(Process process, int port, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new LocalProcessException(what + " exited with code " + process.exitValue() + " before listening on port " + port);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new LocalProcessException("interrupted while waiting for " + what, e);
        }
      }
    }
    process.destroyForcibly();
    throw new LocalProcessException(what + " did not listen on port " + port + " within " + timeout.toSeconds() + " s");
  }
}

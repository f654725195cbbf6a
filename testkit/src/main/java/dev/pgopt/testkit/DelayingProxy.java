package dev.pgopt.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on a free local port that holds every reply from the server for a settable delay (a slow network or an
 * overloaded server) or cuts the path (a partition: the server stays up for everyone else), for fault tests of
 * clients. Close it to drop every connection.
 */
public final class DelayingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final String host;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile long delayMillis;
  private volatile boolean cut;
  private volatile boolean closed;

  private DelayingProxy(String host, int targetPort) throws IOException {
    this.host = host;
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "delaying-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  public static DelayingProxy to(String host, int port) throws IOException {
    return new DelayingProxy(host, port);
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** Replies from now on arrive this much later (zero: at once). */
  public void delay(Duration delay) {
    this.delayMillis = delay.toMillis();
  }

  /** Drops every connection and refuses new ones until {@code cut(false)}. */
  public void cut(boolean on) {
    cut = on;
    if (on) {
      sockets.forEach(DelayingProxy::closeQuietly);
      sockets.clear();
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        if (cut) {
          closeQuietly(client);
          continue;
        }
        Socket server = new Socket(host, targetPort);
        sockets.add(client);
        sockets.add(server);
        pump(client, server, false);
        pump(server, client, true);
      } catch (IOException e) {
        if (!closed) {
          Thread.onSpinWait();
        }
      }
    }
  }

  private void pump(Socket from, Socket to, boolean delayed) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          long d = delayMillis;
          if (delayed && d > 0) {
            Thread.sleep(d);
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // one side closed: close both
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "delaying-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    sockets.forEach(DelayingProxy::closeQuietly);
  }
}

package dev.pgopt.cli;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Speaks just enough of the PostgreSQL protocol to announce an old server version (12.22) at startup: no PostgreSQL
 * older than 13 can be installed on this machine, and pgopt must refuse one before sending a query.
 */
final class OldServerStub implements AutoCloseable {
  private final ServerSocket socket;
  private final Thread thread;

  OldServerStub() throws IOException {
    socket = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    thread = new Thread(this::serve, "old-server-stub");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket s = socket.accept()) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        int len = in.readInt();
        int code = in.readInt();
        if (code == 80877103) { // SSLRequest: no TLS here
          out.writeByte('N');
          out.flush();
          len = in.readInt();
          code = in.readInt();
        }
        in.readFully(new byte[len - 8]);
        out.writeByte('R');
        out.writeInt(8);
        out.writeInt(0);
        param(out, "server_version", "12.22");
        param(out, "server_encoding", "UTF8");
        param(out, "client_encoding", "UTF8");
        param(out, "DateStyle", "ISO, MDY");
        param(out, "integer_datetimes", "on");
        param(out, "standard_conforming_strings", "on");
        param(out, "TimeZone", "UTC");
        param(out, "application_name", "pgopt");
        out.writeByte('K');
        out.writeInt(12);
        out.writeInt(4242);
        out.writeInt(1);
        out.writeByte('Z');
        out.writeInt(5);
        out.writeByte('I');
        out.flush();
        // wait for Terminate ('X') or the client closing
        while (in.read() >= 0) {
          // discard
        }
      } catch (IOException e) {
        // client went away or the stub closed
      }
    }
  }

  private static void param(DataOutputStream out, String k, String v) throws IOException {
    byte[] kb = k.getBytes(StandardCharsets.UTF_8);
    byte[] vb = v.getBytes(StandardCharsets.UTF_8);
    out.writeByte('S');
    out.writeInt(4 + kb.length + 1 + vb.length + 1);
    out.write(kb);
    out.writeByte(0);
    out.write(vb);
    out.writeByte(0);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

package dev.pgopt.connect;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A session with a connection pooler's admin console (PgBouncer's {@code pgbouncer} database) over PostgreSQL's simple
 * query protocol, spoken here because pgjdbc cannot: it sends {@code SET extra_float_digits} to any server that
 * reports a version below 9.0, as the console does, and the console refuses it. Authentication: SCRAM-SHA-256, MD5 or
 * cleartext; TLS per the target's {@code sslmode} ({@code disable}, {@code prefer} (default), {@code require}: encrypted,
 * not verified; {@code verify-ca}, {@code verify-full}: against the JDK's trust store). Every value comes back as text.
 * Failures are {@link DatabaseFailure}s of one line that never contain the password.
 */
public final class AdminConsole implements AutoCloseable {
  private static final int PROTOCOL_3 = 196_608;
  private static final int SSL_REQUEST = 80_877_103;
  /**
   * What one answer may hold: the console's SHOW output is a few rows per database and user, so a server that sends
   * more is not a pooler (or is hostile) and is cut off before it fills the heap.
   */
  static final long MAX_ANSWER_BYTES = 64L << 20;
  /** Messages a login may take (parameter statuses, notices): a server that never ends it is cut off. */
  static final int MAX_LOGIN_MESSAGES = 1000;

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final String display;

  private AdminConsole(Socket socket, String display) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    this.display = display;
  }

  /** Connects to the target's first endpoint and logs in; {@code options} give the connect and read timeouts. */
  public static AdminConsole open(DatabaseTarget target, SessionOptions options) throws DatabaseFailure {
    Endpoint e = target.endpoints().get(0);
    String where = target.display();
    int connectMs = (int) (options.connectTimeout() != null ? options.connectTimeout() : SessionOptions.DEFAULT_CONNECT_TIMEOUT).toMillis();
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(e.host(), e.port()), connectMs);
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, options.statementTimeout().toMillis()));
      socket = tls(socket, e.host(), e.port(), target.setting("sslmode").orElse("prefer"), where);
      AdminConsole c = new AdminConsole(socket, where);
      c.login(target.user(), target.database(), target.password().orElse(null), options.applicationName());
      return c;
    } catch (UnknownHostException x) {
      close(socket);
      throw new DatabaseFailure(DatabaseFailure.Kind.UNKNOWN_HOST, "cannot resolve host '" + e.host() + "' of " + where, x);
    } catch (ConnectException x) {
      close(socket);
      throw new DatabaseFailure(DatabaseFailure.Kind.CONNECTION_REFUSED, "connection refused at " + where
          + ": is the pooler running and listening on " + e + "?", x);
    } catch (SocketTimeoutException x) {
      close(socket);
      throw new DatabaseFailure(DatabaseFailure.Kind.CONNECT_TIMEOUT, "no answer from " + where + " in time", x);
    } catch (IOException x) {
      close(socket);
      throw new DatabaseFailure(DatabaseFailure.Kind.CONNECTION_LOST, "lost the connection to " + where + ": "
          + x.getMessage(), x);
    } catch (IndexOutOfBoundsException | IllegalArgumentException x) {
      close(socket);
      throw new DatabaseFailure(DatabaseFailure.Kind.OTHER, where + " answered the login with a malformed message", x);
    } catch (DatabaseFailure x) {
      close(socket);
      throw x;
    }
  }

  /** Runs one statement; each row maps column names to their text (null for NULL), in the console's order. */
  public List<Map<String, String>> query(String sql) throws DatabaseFailure {
    try {
      byte[] text = (sql + "\0").getBytes(StandardCharsets.UTF_8);
      out.writeByte('Q');
      out.writeInt(4 + text.length);
      out.write(text);
      out.flush();
      List<String> columns = new ArrayList<>();
      List<Map<String, String>> rows = new ArrayList<>();
      String error = null;
      long answered = 0;
      while (true) {
        int type = in.readUnsignedByte();
        byte[] body = body();
        answered += body.length + 5;
        if (answered > MAX_ANSWER_BYTES) {
          throw new DatabaseFailure(DatabaseFailure.Kind.OTHER, display + " answered '" + sql + "' with more than "
              + (MAX_ANSWER_BYTES >> 20) + " MB: not an admin console's answer", null);
        }
        switch (type) {
          case 'T' -> {
            columns.clear();
            Reader r = new Reader(body);
            int n = r.int16();
            for (int i = 0; i < n; i++) {
              columns.add(r.cstring());
              r.skip(18);
            }
          }
          case 'D' -> {
            Reader r = new Reader(body);
            int n = r.int16();
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
              int len = r.int32();
              row.put(i < columns.size() ? columns.get(i) : "column" + (i + 1), len < 0 ? null : r.text(len));
            }
            rows.add(row);
          }
          case 'E' -> error = errorText(body);
          case 'Z' -> {
            if (error != null) {
              throw new DatabaseFailure(DatabaseFailure.Kind.OTHER, "'" + sql + "' failed at " + display + ": " + error, null);
            }
            return rows;
          }
          default -> { } // CommandComplete, notices, parameter changes
        }
      }
    } catch (IndexOutOfBoundsException | IllegalArgumentException x) {
      throw new DatabaseFailure(DatabaseFailure.Kind.OTHER, display + " answered '" + sql + "' with a malformed message", x);
    } catch (SocketTimeoutException x) {
      throw new DatabaseFailure(DatabaseFailure.Kind.STATEMENT_TIMEOUT, "'" + sql + "' got no answer from " + display + " in time", x);
    } catch (IOException x) {
      throw new DatabaseFailure(DatabaseFailure.Kind.CONNECTION_LOST, "lost the connection to " + display + ": " + x.getMessage(), x);
    }
  }

  @Override
  public void close() {
    try {
      out.writeByte('X');
      out.writeInt(4);
      out.flush();
    } catch (IOException ignored) {
      // closing anyway
    }
    close(socket);
  }

  private void login(String user, String database, String password, String applicationName) throws IOException, DatabaseFailure {
    ByteArrayOutputStream params = new ByteArrayOutputStream();
    for (String kv : new String[] {"user", user, "database", database, "application_name", applicationName}) {
      params.writeBytes((kv + "\0").getBytes(StandardCharsets.UTF_8));
    }
    params.write(0);
    out.writeInt(8 + params.size());
    out.writeInt(PROTOCOL_3);
    out.write(params.toByteArray());
    out.flush();
    ScramClient scram = null;
    for (int messages = 0; ; messages++) {
      if (messages >= MAX_LOGIN_MESSAGES) {
        throw new DatabaseFailure(DatabaseFailure.Kind.OTHER, display + " sent " + MAX_LOGIN_MESSAGES
            + " messages without ending the login: not an admin console", null);
      }
      int type = in.readUnsignedByte();
      byte[] body = body();
      if (type == 'E') {
        String error = errorText(body);
        boolean auth = error.contains("password") || error.contains("auth") || error.contains("not allowed");
        throw new DatabaseFailure(auth ? DatabaseFailure.Kind.AUTHENTICATION : DatabaseFailure.Kind.OTHER,
            display + " refused the login: " + error, null);
      }
      if (type == 'Z') {
        return;
      }
      if (type != 'R') {
        continue; // parameter status, backend key data, notices
      }
      Reader r = new Reader(body);
      int code = r.int32();
      switch (code) {
        case 0 -> { }
        case 3 -> passwordMessage((need(password, user) + "\0").getBytes(StandardCharsets.UTF_8));
        case 5 -> {
          byte[] salt = r.bytes(4);
          String inner = md5Hex((need(password, user) + user).getBytes(StandardCharsets.UTF_8));
          byte[] salted = new byte[32 + 4];
          System.arraycopy(inner.getBytes(StandardCharsets.US_ASCII), 0, salted, 0, 32);
          System.arraycopy(salt, 0, salted, 32, 4);
          passwordMessage(("md5" + md5Hex(salted) + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        case 10 -> {
          List<String> mechanisms = new ArrayList<>();
          for (String m = r.cstring(); !m.isEmpty(); m = r.cstring()) {
            mechanisms.add(m);
          }
          if (!mechanisms.contains("SCRAM-SHA-256")) {
            throw new DatabaseFailure(DatabaseFailure.Kind.AUTHENTICATION, display + " offers " + mechanisms
                + ", not SCRAM-SHA-256", null);
          }
          scram = ScramClient.builder().advertisedMechanisms(List.of("SCRAM-SHA-256")).username("*")
              .password(need(password, user).toCharArray()).stringPreparation(StringPreparation.POSTGRESQL_PREPARATION).build();
          byte[] mechanism = "SCRAM-SHA-256\0".getBytes(StandardCharsets.US_ASCII);
          byte[] first = scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
          out.writeByte('p');
          out.writeInt(4 + mechanism.length + 4 + first.length);
          out.write(mechanism);
          out.writeInt(first.length);
          out.write(first);
          out.flush();
        }
        case 11 -> {
          try {
            scram.serverFirstMessage(r.text(body.length - 4));
          } catch (Exception x) {
            throw new DatabaseFailure(DatabaseFailure.Kind.AUTHENTICATION, display + " sent a SCRAM message pgopt cannot use", x);
          }
          passwordMessage(scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8));
        }
        case 12 -> {
          try {
            scram.serverFinalMessage(r.text(body.length - 4));
          } catch (Exception x) {
            throw new DatabaseFailure(DatabaseFailure.Kind.AUTHENTICATION, display + " did not prove it knows the password"
                + " (SCRAM server signature)", x);
          }
        }
        default -> throw new DatabaseFailure(DatabaseFailure.Kind.AUTHENTICATION, display + " asks for authentication method "
            + code + ", which pgopt does not speak to an admin console (SCRAM-SHA-256, MD5 and password do)", null);
      }
    }
  }

  private String need(String password, String user) throws DatabaseFailure {
    if (password == null) {
      throw new DatabaseFailure(DatabaseFailure.Kind.AUTHENTICATION, display + " asks user '" + user + "' for a password"
          + " and pgopt has none: put it in the URL, PGPASSWORD or the password file", null);
    }
    return password;
  }

  private void passwordMessage(byte[] payload) throws IOException {
    out.writeByte('p');
    out.writeInt(4 + payload.length);
    out.write(payload);
    out.flush();
  }

  private byte[] body() throws IOException {
    int len = in.readInt();
    if (len < 4 || len > 64 << 20) {
      throw new IOException("a message of " + len + " bytes is not PostgreSQL's protocol");
    }
    byte[] b = new byte[len - 4];
    in.readFully(b);
    return b;
  }

  /** The severity and message fields of an ErrorResponse, as one line. */
  private static String errorText(byte[] body) {
    Reader r = new Reader(body);
    String message = "";
    String code = "";
    while (r.remaining() > 1) {
      char field = (char) r.byte1();
      String value = r.cstring();
      if (field == 'M') {
        message = value;
      } else if (field == 'C') {
        code = value;
      }
    }
    return (message + (code.isEmpty() ? "" : " (" + code + ")")).replace('\n', ' ');
  }

  private static String md5Hex(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    } catch (GeneralSecurityException x) {
      throw new IllegalStateException("the JDK has no MD5", x);
    }
  }

  private static Socket tls(Socket plain, String host, int port, String sslmode, String where) throws IOException, DatabaseFailure {
    if (sslmode.equals("disable") || sslmode.equals("allow")) {
      return plain;
    }
    DataOutputStream o = new DataOutputStream(plain.getOutputStream());
    o.writeInt(8);
    o.writeInt(SSL_REQUEST);
    o.flush();
    int answer = plain.getInputStream().read();
    if (answer == 'N') {
      if (sslmode.equals("prefer")) {
        return plain;
      }
      throw new DatabaseFailure(DatabaseFailure.Kind.TLS, where + " does not offer TLS and sslmode is " + sslmode, null);
    }
    if (answer != 'S') {
      throw new IOException("unexpected answer to the TLS request");
    }
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      boolean verify = sslmode.startsWith("verify");
      context.init(null, verify ? null : new TrustManager[] {new EncryptOnly()}, null);
      SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
      if (sslmode.equals("verify-full")) {
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
      }
      s.startHandshake();
      return s;
    } catch (GeneralSecurityException | IOException x) {
      throw new DatabaseFailure(DatabaseFailure.Kind.TLS, "TLS with " + where + " failed (sslmode " + sslmode + "): "
          + x.getMessage(), x);
    }
  }

  /** sslmode require: encrypted, the certificate not checked (as libpq does without a root certificate). */
  private static final class EncryptOnly implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      // not a server
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // sslmode=require promises encryption, not identity
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }

  /** Reads a message body. */
  private static final class Reader {
    private final byte[] b;
    private int at;

    Reader(byte[] b) {
      this.b = b;
    }

    int remaining() {
      return b.length - at;
    }

    int byte1() {
      return b[at++] & 0xff;
    }

    int int16() {
      int v = ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
      at += 2;
      return v;
    }

    int int32() {
      int v = ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
      at += 4;
      return v;
    }

    void skip(int n) {
      at += n;
    }

    byte[] bytes(int n) {
      byte[] out = java.util.Arrays.copyOfRange(b, at, at + n);
      at += n;
      return out;
    }

    String text(int n) {
      String s = new String(b, at, n, StandardCharsets.UTF_8);
      at += n;
      return s;
    }

    String cstring() {
      int end = at;
      while (end < b.length && b[end] != 0) {
        end++;
      }
      String s = new String(b, at, end - at, StandardCharsets.UTF_8);
      at = Math.min(b.length, end + 1);
      return s;
    }
  }
}

package dev.pgopt.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin console client against a server that is not a pooler, or a hostile one: it speaks the protocol's framing
 * and then misbehaves. Every case ends in one {@link DatabaseFailure} without the password, never a hang, an
 * out-of-memory or a stray exception. (A real PgBouncer is tested in PoolerCommandIT; a hostile one cannot be.)
 */
class AdminConsoleHostileTest {
  private static final String PASSWORD = "s3cret-pw";

  @TempDir
  Path home;

  private ServerSocket server;
  private final AtomicReference<String> seen = new AtomicReference<>();

  /** What the fake server does once the client has sent its startup message. */
  private interface Script {
    void run(DataInputStream in, DataOutputStream out) throws IOException;
  }

  private DatabaseTarget serve(Script script) throws Exception {
    server = new ServerSocket(0);
    Thread t = new Thread(() -> {
      try (Socket s = server.accept()) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        byte[] startup = new byte[in.readInt() - 4];
        in.readFully(startup);
        script.run(in, out);
      } catch (IOException closed) {
        // the client hung up, as it should
      }
    });
    t.setDaemon(true);
    t.start();
    return DatabaseTarget.parse("postgres://admin:" + PASSWORD + "@127.0.0.1:" + server.getLocalPort() + "/pgbouncer?sslmode=disable",
        Environment.of(Map.of(), home, "tester"));
  }

  @AfterEach
  void close() throws IOException {
    server.close();
  }

  private static SessionOptions options() {
    return new SessionOptions(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(1), "pgopt-test");
  }

  private static void message(DataOutputStream out, char type, byte[] body) throws IOException {
    out.writeByte(type);
    out.writeInt(4 + body.length);
    out.write(body);
  }

  private static byte[] int32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  private static void loggedIn(DataOutputStream out) throws IOException {
    message(out, 'R', int32(0));
    message(out, 'Z', new byte[] {'I'});
    out.flush();
  }

  private static void skipQuery(DataInputStream in) throws IOException {
    in.readUnsignedByte();
    byte[] q = new byte[in.readInt() - 4];
    in.readFully(q);
  }

  @Test
  void aLoginThatNeverEndsIsCutOff() throws Exception {
    DatabaseTarget target = serve((in, out) -> {
      byte[] status = "client_encoding\0UTF8\0".getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 1_000_000; i++) {
        message(out, 'S', status);
      }
      out.flush();
    });
    assertThatThrownBy(() -> AdminConsole.open(target, options())).isInstanceOf(DatabaseFailure.class)
        .hasMessageContaining("without ending the login").hasMessageNotContaining(PASSWORD);
  }

  @Test
  void anAnswerWithoutEndIsCutOffBeforeItFillsTheHeap() throws Exception {
    DatabaseTarget target = serve((in, out) -> {
      loggedIn(out);
      skipQuery(in);
      ByteArrayOutput row = new ByteArrayOutput();
      row.int16(1);
      byte[] value = new byte[60_000];
      row.int32(value.length);
      row.bytes(value);
      message(out, 'T', ("\0\1pool\0" + "\0".repeat(18)).getBytes(StandardCharsets.US_ASCII));
      while (true) {
        message(out, 'D', row.toByteArray());
      }
    });
    try (AdminConsole c = AdminConsole.open(target, options())) {
      assertThatThrownBy(() -> c.query("SHOW POOLS")).isInstanceOf(DatabaseFailure.class)
          .hasMessageContaining("with more than 64 MB");
    }
  }

  @Test
  void aMessageLengthNoServerSendsAndAMalformedRowAreOneLine() throws Exception {
    DatabaseTarget huge = serve((in, out) -> {
      out.writeByte('R');
      out.writeInt(Integer.MAX_VALUE);
      out.flush();
    });
    assertThatThrownBy(() -> AdminConsole.open(huge, options())).isInstanceOf(DatabaseFailure.class)
        .hasMessageContaining("is not PostgreSQL's protocol");
    server.close();
    DatabaseTarget malformed = serve((in, out) -> {
      loggedIn(out);
      skipQuery(in);
      // a row that claims two columns, the second longer than the message
      ByteArrayOutput row = new ByteArrayOutput();
      row.int16(2);
      row.int32(1);
      row.bytes(new byte[] {'a'});
      row.int32(1 << 20);
      message(out, 'D', row.toByteArray());
      message(out, 'Z', new byte[] {'I'});
      out.flush();
    });
    try (AdminConsole c = AdminConsole.open(malformed, options())) {
      assertThatThrownBy(() -> c.query("SHOW POOLS")).isInstanceOf(DatabaseFailure.class)
          .hasMessageContaining("malformed message");
    }
  }

  @Test
  void aScramContinuationWithoutAStartIsRefusedAndMd5IsComputedAsPostgresDoes() throws Exception {
    DatabaseTarget stray = serve((in, out) -> {
      byte[] body = new byte[4 + 10];
      System.arraycopy(int32(11), 0, body, 0, 4);
      message(out, 'R', body);
      out.flush();
      in.read();
    });
    assertThatThrownBy(() -> AdminConsole.open(stray, options())).isInstanceOf(DatabaseFailure.class)
        .hasMessageContaining("SCRAM").hasMessageNotContaining(PASSWORD);
    server.close();
    byte[] salt = {1, 2, 3, 4};
    DatabaseTarget md5 = serve((in, out) -> {
      byte[] body = new byte[8];
      System.arraycopy(int32(5), 0, body, 0, 4);
      System.arraycopy(salt, 0, body, 4, 4);
      message(out, 'R', body);
      out.flush();
      in.readUnsignedByte();
      byte[] answer = new byte[in.readInt() - 4];
      in.readFully(answer);
      seen.set(new String(answer, 0, answer.length - 1, StandardCharsets.US_ASCII));
      loggedIn(out);
      in.read();
    });
    try (AdminConsole c = AdminConsole.open(md5, options())) {
      // PostgreSQL's rule: "md5" + md5(md5(password + user) + salt)
      String inner = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest((PASSWORD + "admin").getBytes(StandardCharsets.UTF_8)));
      MessageDigest outer = MessageDigest.getInstance("MD5");
      outer.update(inner.getBytes(StandardCharsets.US_ASCII));
      outer.update(salt);
      assertThat(seen.get()).isEqualTo("md5" + HexFormat.of().formatHex(outer.digest()));
    }
  }

  /** A growable byte buffer with the protocol's big-endian integers. */
  private static final class ByteArrayOutput extends java.io.ByteArrayOutputStream {
    void int16(int v) {
      write(v >>> 8);
      write(v);
    }

    void int32(int v) {
      writeBytes(AdminConsoleHostileTest.int32(v));
    }

    void bytes(byte[] b) {
      writeBytes(b);
    }
  }
}

package dev.pgopt.connect.internal;

import dev.pgopt.connect.DatabaseFailure;
import dev.pgopt.connect.DatabaseFailure.Kind;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Endpoint;
import dev.pgopt.connect.SessionOptions;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/** Turns driver exceptions into one line: what failed, where, what to do. */
public final class FailureClassifier {
  private FailureClassifier() {}

  public static DatabaseFailure classify(SQLException e, DatabaseTarget t, SessionOptions o) {
    String where = t.display();
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String server = serverMessage(e, t);
    DatabaseFailure f = switch (state) {
      case "28P01" -> new DatabaseFailure(Kind.AUTHENTICATION, "password authentication failed for user '" + t.user()
          + "' at " + where + ": check the password " + passwordHint(t), e);
      case "28000" -> new DatabaseFailure(Kind.AUTHENTICATION, "the server rejected user '" + t.user() + "' at " + where
          + " (" + server + "): check the user name and the server's pg_hba.conf", e);
      case "3D000" -> new DatabaseFailure(Kind.DATABASE_MISSING, "database '" + t.database() + "' does not exist at "
          + where + ": check the database name (psql -l lists them)", e);
      case "57014" -> new DatabaseFailure(Kind.STATEMENT_TIMEOUT, "a query ran past the statement timeout of "
          + o.statementTimeout().toMillis() + " ms at " + where
          + ": retry when the server is less busy, or raise it with --statement-timeout", e);
      case "55P03" -> new DatabaseFailure(Kind.STATEMENT_TIMEOUT, "a query waited on a lock longer than "
          + o.lockTimeout().toMillis() + " ms at " + where + ": retry when the locking transaction has finished", e);
      case "53300" -> new DatabaseFailure(Kind.SERVER_UNAVAILABLE, "the server at " + where
          + " has no free connection slots: retry later, or put a pooler in front", e);
      case "57P03" -> new DatabaseFailure(Kind.SERVER_UNAVAILABLE, "the server at " + where
          + " is not accepting connections yet (" + server + "): retry in a moment", e);
      case "42501" -> new DatabaseFailure(Kind.PERMISSION, "permission denied at " + where + " (" + server
          + "): grant the role pg_monitor, e.g. GRANT pg_monitor TO " + t.user(), e);
      default -> null;
    };
    if (f != null) {
      return f;
    }
    if (state.equals("08004") && t.password().isEmpty() && e.getMessage() != null && e.getMessage().contains("no password")) {
      return new DatabaseFailure(Kind.AUTHENTICATION, "the server at " + where + " asks user '" + t.user() + "' for a password "
          + "and pgopt has none: it looked in the URL, PGPASSWORD and " + t.passwordFile()
          + t.warnings().stream().filter(w -> w.contains("password file")).map(w -> " (" + w + ")").findFirst().orElse("")
          + "; put it in one of them", e);
    }
    Throwable root = rootCause(e);
    String hosts = t.endpoints().stream().map(Endpoint::toString).collect(Collectors.joining(", "));
    if (root instanceof UnknownHostException) {
      return new DatabaseFailure(Kind.UNKNOWN_HOST, "cannot resolve host '" + root.getMessage() + "' of " + where
          + ": check the host name and your DNS", e);
    }
    if (root instanceof ConnectException || root instanceof NoRouteToHostException) {
      return new DatabaseFailure(Kind.CONNECTION_REFUSED, "cannot reach " + hosts + " (" + root.getMessage()
          + "): check that the server runs, listens on TCP at that port, and that no firewall blocks it", e);
    }
    if (root instanceof SocketTimeoutException || state.equals("08001") && e.getMessage() != null
        && e.getMessage().toLowerCase().contains("timed out")) {
      return new DatabaseFailure(Kind.CONNECT_TIMEOUT, "no answer from " + hosts + " within "
          + JdbcConnector.connectTimeout(t, o).toSeconds() + " s: check the host, port and firewall, or raise --connect-timeout", e);
    }
    String msg = e.getMessage() == null ? "" : e.getMessage();
    if (msg.contains("does not support SSL")) {
      return new DatabaseFailure(Kind.TLS, "the server at " + where + " does not offer TLS, but sslmode="
          + t.setting("sslmode").orElse("require") + " requires it: enable ssl on the server, or use sslmode=prefer on a trusted network", e);
    }
    if (root instanceof SSLException || root instanceof java.security.cert.CertificateException
        || root instanceof java.security.GeneralSecurityException) {
      return new DatabaseFailure(Kind.TLS, "TLS with " + hosts + " failed (" + scrub(root.getMessage(), t)
          + "): set sslrootcert to the server's CA certificate, or check sslmode", e);
    }
    if (state.startsWith("08")) {
      return new DatabaseFailure(Kind.CONNECTION_LOST, "lost the connection to " + where + " (" + server
          + "): check the server's health and retry", e);
    }
    return new DatabaseFailure(Kind.OTHER, "database error at " + where + ": " + server, e);
  }

  private static String passwordHint(DatabaseTarget t) {
    return switch (t.passwordSource()) {
      case URL -> "in the URL";
      case PGPASSWORD -> "in PGPASSWORD";
      case PGPASS_FILE -> "in the password file (~/.pgpass or PGPASSFILE)";
      case NONE -> "(none was given: put it in PGPASSWORD or ~/.pgpass)";
    };
  }

  private static String serverMessage(SQLException e, DatabaseTarget t) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return scrub((nl >= 0 ? m.substring(0, nl) : m).replaceFirst("^ERROR: ", "").replaceFirst("^FATAL: ", ""), t);
  }

  static String scrub(String message, DatabaseTarget t) {
    if (message == null) {
      return "";
    }
    String out = message;
    if (t.password().isPresent() && !t.password().get().isEmpty()) {
      out = out.replace(t.password().get(), "****");
    }
    return out;
  }

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }
}

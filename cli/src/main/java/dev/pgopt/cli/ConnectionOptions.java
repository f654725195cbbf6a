package dev.pgopt.cli;

import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.InvalidTargetException;
import dev.pgopt.connect.Quantities;
import dev.pgopt.connect.SessionOptions;
import java.time.Duration;
import picocli.CommandLine.Option;

/** --url and the timeouts, shared by every command that talks to a database. */
public final class ConnectionOptions {
  @Option(names = "--url", paramLabel = "URL",
      description = "Database to connect to: postgres://user:pass@host:5432/db?sslmode=require, a JDBC URL, or "
          + "'host=... dbname=...'. Default: $PGOPT_URL, then $DATABASE_URL. Passwords may come from PGPASSWORD or ~/.pgpass.")
  String url;

  @Option(names = "--connect-timeout", paramLabel = "DURATION",
      description = "Give up connecting after this long (default: the URL's connect_timeout, else 10s).")
  String connectTimeout;

  @Option(names = "--statement-timeout", paramLabel = "DURATION", defaultValue = "30s",
      description = "statement_timeout for every query pgopt sends (default: ${DEFAULT-VALUE}).")
  String statementTimeout;

  /** The target from --url, PGOPT_URL or DATABASE_URL. */
  public DatabaseTarget target(Context ctx) {
    String raw = raw(ctx);
    String source = url != null ? "--url" : ctx.env().get("PGOPT_URL").isPresent() ? "PGOPT_URL" : "DATABASE_URL";
    try {
      return DatabaseTarget.parse(raw, ctx.env());
    } catch (InvalidTargetException e) {
      throw new CliFailure(ExitCode.UNKNOWN, "invalid connection string in " + source + ": " + e.getMessage());
    }
  }

  /** The connection string as given (--url, PGOPT_URL or DATABASE_URL), for a library that parses it itself. */
  public String raw(Context ctx) {
    String raw = url != null ? url : ctx.env().get("PGOPT_URL").orElse(ctx.env().get("DATABASE_URL").orElse(null));
    if (raw == null) {
      throw new CliFailure(ExitCode.USAGE, "no database given: pass --url postgres://user@host:5432/dbname, or set PGOPT_URL or DATABASE_URL");
    }
    return raw;
  }

  public SessionOptions sessionOptions() {
    SessionOptions o = SessionOptions.defaults().withStatementTimeout(duration(statementTimeout, "--statement-timeout"));
    return connectTimeout == null ? o : o.withConnectTimeout(duration(connectTimeout, "--connect-timeout"));
  }

  static Duration duration(String text, String option) {
    try {
      double seconds = Quantities.parseSeconds(text);
      if (seconds <= 0) {
        throw new IllegalArgumentException("'" + text + "' must be positive");
      }
      return Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCode.USAGE, option + ": " + e.getMessage());
    }
  }
}

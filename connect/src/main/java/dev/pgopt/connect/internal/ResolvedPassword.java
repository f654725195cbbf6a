package dev.pgopt.connect.internal;

import java.util.Properties;
import org.postgresql.plugin.AuthenticationPlugin;
import org.postgresql.plugin.AuthenticationRequestType;

/**
 * Gives pgjdbc exactly the password pgopt resolved (URL, PGPASSWORD or a password file that passed libpq's permission
 * check), or none. Without it pgjdbc reads ~/.pgpass on its own when no password is set, and uses one that libpq, and
 * pgopt, ignore because the file is readable by others.
 */
public final class ResolvedPassword implements AuthenticationPlugin {
  static final String PROPERTY = "pgoptResolvedPassword";

  private final String password;

  public ResolvedPassword(Properties info) {
    this.password = info.getProperty(PROPERTY);
  }

  @Override
  public char[] getPassword(AuthenticationRequestType type) {
    return password == null ? null : password.toCharArray();
  }
}

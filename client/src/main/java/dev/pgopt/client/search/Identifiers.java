package dev.pgopt.client.search;

import java.util.regex.Pattern;

/** Table and column names go into SQL text, so only plain identifiers are accepted. */
final class Identifiers {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}(\\.[A-Za-z_][A-Za-z0-9_$]{0,62})?");

  private Identifiers() {}

  static String check(String what, String name) {
    if (name == null || !PLAIN.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " must be a plain identifier (optionally schema.name): '" + name + "'");
    }
    return name;
  }
}

package dev.pgopt.cli.internal;

import dev.pgopt.connect.Environment;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Last line of defence: removes every password pgopt was given (in a URL argument, PGOPT_URL, DATABASE_URL or
 * PGPASSWORD) from text before it is printed, including stack traces. Messages are built without passwords; this
 * catches what a library might echo.
 */
public final class Redactor {
  private static final Pattern URL_PASSWORD = Pattern.compile("://[^:/@\\s]*:([^@\\s]+)@");
  private static final Pattern KV_PASSWORD = Pattern.compile("password\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'|\\S+)");
  private static final Pattern QUERY_PASSWORD = Pattern.compile("[?&]password=([^&\\s]+)");

  private final List<String> secrets = new ArrayList<>();

  public Redactor(String[] args, Environment env) {
    for (String a : args) {
      collect(a);
    }
    env.get("PGOPT_URL").ifPresent(this::collect);
    env.get("DATABASE_URL").ifPresent(this::collect);
    env.get("PGPASSWORD").ifPresent(this::add);
    env.get("NEON_API_KEY").ifPresent(this::add);
  }

  private void collect(String text) {
    for (Pattern p : new Pattern[] {URL_PASSWORD, KV_PASSWORD, QUERY_PASSWORD}) {
      Matcher m = p.matcher(text);
      while (m.find()) {
        String s = m.group(1);
        if (s.startsWith("'") && s.endsWith("'") && s.length() >= 2) {
          s = s.substring(1, s.length() - 1);
        }
        add(s);
        add(java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8));
      }
    }
  }

  private void add(String s) {
    if (s != null && s.length() >= 3 && !secrets.contains(s)) {
      secrets.add(s);
    }
  }

  public String scrub(String text) {
    String out = text;
    for (String s : secrets) {
      out = out.replace(s, "****");
    }
    return out;
  }
}

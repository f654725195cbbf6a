package dev.pgopt.monitor.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.Quantities;
import dev.pgopt.monitor.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One mapping of {@code pgopt.yml} and typed reads of its keys. Every failure names the file and the key's path
 * ({@code pgopt.yml: alerts.rules.cache_hit_ratio.for: ...}); values may hold {@code ${env:NAME}} and
 * {@code ${file:/path}} secrets, resolved on read so that the file itself can be committed.
 */
public final class YamlSection {
  private static final Pattern SECRET = Pattern.compile("\\$\\{(env|file):([^}]+)}");

  private final String source;
  private final Environment env;
  private final String path;
  private final JsonNode node;

  private YamlSection(String source, Environment env, String path, JsonNode node) {
    this.source = source;
    this.env = env;
    this.path = path;
    this.node = node;
  }

  /** The document's top mapping; {@code source} names the file in messages. */
  public static YamlSection root(JsonNode root, String source, Environment env) {
    return new YamlSection(source, env, "", root);
  }

  public String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** A failure at {@code path}, with the file named. */
  public ConfigException fail(String path, String message) {
    return new ConfigException(source + ": " + path + ": " + message);
  }

  /** Refuses any key but these: a misspelt key must not silently leave a default in place. */
  public void allow(String... keys) throws ConfigException {
    if (node.isMissingNode() || node.isNull()) {
      return;
    }
    if (!node.isObject()) {
      throw fail(path, "expected a mapping");
    }
    Set<String> allowed = Set.of(keys);
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw fail(path(k), "unknown key; expected one of " + String.join(", ", keys));
      }
    }
  }

  public List<String> keys() {
    List<String> out = new ArrayList<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }

  public YamlSection section(String key) {
    return new YamlSection(source, env, path(key), node.path(key));
  }

  public List<YamlSection> list(String key) throws ConfigException {
    JsonNode n = node.path(key);
    if (n.isMissingNode() || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw fail(path(key), "expected a list");
    }
    List<YamlSection> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      out.add(new YamlSection(source, env, path(key) + "[" + i + "]", n.get(i)));
    }
    return out;
  }

  public Optional<String> optional(String key) throws ConfigException {
    JsonNode n = node.path(key);
    if (n.isMissingNode() || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isValueNode()) {
      throw fail(path(key), "expected a single value");
    }
    String v = resolveSecrets(key, n.asText()).strip();
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  public String require(String key) throws ConfigException {
    return optional(key).orElseThrow(() -> fail(path(key), "is required"));
  }

  public String string(String key, String dflt) throws ConfigException {
    return optional(key).orElse(dflt);
  }

  public List<String> strings(String key) throws ConfigException {
    JsonNode n = node.path(key);
    if (n.isMissingNode() || n.isNull()) {
      return List.of();
    }
    if (n.isValueNode()) {
      return List.of(n.asText());
    }
    List<String> out = new ArrayList<>();
    for (JsonNode v : n) {
      if (!v.isValueNode()) {
        throw fail(path(key), "expected a list of values");
      }
      out.add(v.asText());
    }
    return List.copyOf(out);
  }

  public Duration duration(String key, Duration dflt) throws ConfigException {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      return Quantities.parseDuration(v.get());
    } catch (IllegalArgumentException e) {
      throw fail(path(key), "'" + v.get() + "' is not a duration; write e.g. 15s, 5min, 2h or 7d");
    }
  }

  public Optional<Long> bytes(String key) throws ConfigException {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of((long) Quantities.parseBytes(v.get()));
    } catch (IllegalArgumentException e) {
      throw fail(path(key), "'" + v.get() + "' is not a size; write e.g. 10GB or 512MB");
    }
  }

  public int integer(String key, int dflt, int min, int max) throws ConfigException {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v.get());
      if (i < min || i > max) {
        throw fail(path(key), i + " is out of range " + min + ".." + max);
      }
      return i;
    } catch (NumberFormatException e) {
      throw fail(path(key), "'" + v.get() + "' is not a whole number");
    }
  }

  public Double number(String key) throws ConfigException {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return null;
    }
    try {
      return Double.parseDouble(v.get());
    } catch (NumberFormatException e) {
      throw fail(path(key), "'" + v.get() + "' is not a number");
    }
  }

  public double number(String key, double dflt) throws ConfigException {
    Double d = number(key);
    return d == null ? dflt : d;
  }

  public Boolean bool(String key, Boolean dflt) throws ConfigException {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return dflt;
    }
    return switch (v.get()) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> throw fail(path(key), "'" + v.get() + "' is not true or false");
    };
  }

  private String resolveSecrets(String key, String value) throws ConfigException {
    Matcher m = SECRET.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(2).trim();
      String resolved;
      if (m.group(1).equals("env")) {
        Optional<String> set = env.get(name);
        if (set.isEmpty()) {
          throw fail(path(key), "environment variable " + name + " is not set; export it or use ${file:...}");
        }
        resolved = set.get();
      } else {
        try {
          resolved = Files.readString(Path.of(name)).strip();
        } catch (IOException e) {
          throw fail(path(key), "cannot read secret file " + name + " (" + e.getClass().getSimpleName() + ")");
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(resolved));
    }
    m.appendTail(out);
    return out.toString();
  }
}

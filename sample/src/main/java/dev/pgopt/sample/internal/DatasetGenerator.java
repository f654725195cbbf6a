package dev.pgopt.sample.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Generates the sample rows, deterministically from a seed: real Debian package text for repositories, and skewed
 * synthetic activity (a few users and projects make most of the traffic; time series are in time order).
 */
public final class DatasetGenerator {
  /** Rows per table at scale 1 (repositories are capped by the number of packages). */
  public static final Map<String, Integer> BASE_ROWS = baseRows();

  static final String[] MODELS = {"gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet", "claude-3-haiku", "text-embedding-3-small"};
  static final double[] MODEL_WEIGHTS = {0.45, 0.20, 0.15, 0.10, 0.10};
  /** USD per million prompt / completion tokens. */
  static final double[][] MODEL_PRICES = {{0.15, 0.60}, {2.50, 10.0}, {3.0, 15.0}, {0.25, 1.25}, {0.02, 0}};
  static final String[] ENDPOINTS = {"/api/chat", "/api/search", "/api/embed", "/api/summarize", "/api/review"};
  static final String[] EVENT_TYPES = {"page_view", "search", "click", "message_sent", "signup"};
  static final double[] EVENT_WEIGHTS = {0.60, 0.15, 0.15, 0.09, 0.01};
  static final String[] KINDS = {"good-first-issue", "bug", "feature", "docs", "security"};
  static final String[] ADJECTIVES = {"quick", "bright", "silent", "rapid", "clever", "brave", "calm", "eager", "fuzzy", "lucky"};
  static final String[] NOUNS = {"agent", "pipeline", "crawler", "assistant", "indexer", "notebook", "service", "bot", "tool", "study"};
  static final String[] QUESTIONS = {"How do I use %s to %s?", "Why does %s fail when I try to %s?",
      "Compare %s with alternatives for: %s", "Write a script that uses %s: %s", "Explain what %s does (%s)"};

  private final List<DebianPackage> packages;
  private final double scale;
  private final long seed;
  private final Instant now;

  public DatasetGenerator(List<DebianPackage> packages, double scale, long seed, Instant now) {
    this.packages = packages;
    this.scale = scale;
    this.seed = seed;
    this.now = now;
  }

  private static Map<String, Integer> baseRows() {
    Map<String, Integer> m = new LinkedHashMap<>();
    m.put("users", 20_000);
    m.put("repositories", 63_000);
    m.put("opportunities", 100_000);
    m.put("projects", 10_000);
    m.put("messages", 400_000);
    m.put("token_usage", 300_000);
    m.put("analytics_events", 500_000);
    return m;
  }

  public int rows(String table) {
    int n = (int) Math.max(10, Math.round(BASE_ROWS.get(table) * scale));
    return table.equals("repositories") ? Math.min(n, packages.size()) : n;
  }

  private SplittableRandom random(String table) {
    return new SplittableRandom(seed * 31 + table.hashCode());
  }

  private static String ts(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC).toString();
  }

  /** A time between {@code daysAgo} and now; later times are likelier when {@code recentBias} > 1. */
  private Instant pastTime(SplittableRandom r, double daysAgo, double recentBias) {
    double f = Math.pow(r.nextDouble(), recentBias);
    return now.minusSeconds((long) (f * daysAgo * 86400));
  }

  /** i-th of n times spread in order over the last {@code days}, with a day/night rhythm and jitter. */
  private Instant orderedTime(int i, int n, double days, SplittableRandom r) {
    double start = now.getEpochSecond() - days * 86400;
    double t = start + (days * 86400) * (i + r.nextDouble() * 0.5) / n;
    return Instant.ofEpochSecond((long) t);
  }

  /** Usernames: package maintainers first (they own repositories), then developers. */
  public List<String> usernames() {
    List<String> names = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (DebianPackage p : packages) {
      String u = slug(p.maintainer());
      if (!u.isEmpty() && seen.add(u)) {
        names.add(u);
      }
    }
    int n = rows("users");
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(i < names.size() && i < n / 2 ? names.get(i) : "dev" + i);
    }
    return out;
  }

  static String slug(String s) {
    String x = s.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    return x.length() > 40 ? x.substring(0, 40) : x;
  }

  public void users(List<String> usernames, Consumer<CopyText> sink, CopyText out) {
    SplittableRandom r = random("users");
    for (int i = 0; i < usernames.size(); i++) {
      String u = usernames.get(i);
      double p = r.nextDouble();
      String plan = p < 0.80 ? "free" : p < 0.97 ? "pro" : "team";
      Instant created = pastTime(r, 730, 0.7);
      Instant seen = r.nextDouble() < 0.9 ? pastTime(r, Math.max(1, Duration.between(created, now).toDays()), 4) : null;
      out.add(i + 1).add(u).add(u + "@example.com").add(displayName(u)).add(plan).add(r.nextDouble() < 0.95)
          .add(ts(created)).add(seen == null ? null : ts(seen));
      out.endRow();
      flushIfFull(out, sink);
    }
  }

  private static String displayName(String slug) {
    StringBuilder sb = new StringBuilder();
    for (String part : slug.split("-")) {
      if (!part.isEmpty()) {
        sb.append(sb.length() == 0 ? "" : " ").append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
      }
    }
    return sb.toString();
  }

  public void repositories(List<String> usernames, Consumer<CopyText> sink, CopyText out) {
    SplittableRandom r = random("repositories");
    Map<String, Integer> ownerByMaintainer = new java.util.HashMap<>();
    for (int i = 0; i < usernames.size(); i++) {
      ownerByMaintainer.putIfAbsent(usernames.get(i), i + 1);
    }
    int n = rows("repositories");
    int step = Math.max(1, packages.size() / n);
    int written = 0;
    for (int i = 0; i < packages.size() && written < n; i += step) {
      DebianPackage p = packages.get(i);
      written++;
      Integer owner = ownerByMaintainer.get(slug(p.maintainer()));
      long ownerId = owner != null ? owner : 1 + r.nextInt(usernames.size());
      String ownerName = usernames.get((int) ownerId - 1);
      // stars follow a log-normal: most repositories have a handful, a few have tens of thousands
      int stars = (int) Math.min(250_000, Math.exp(2.5 + 2.0 * r.nextGaussian()));
      int forks = (int) (stars * (0.05 + r.nextDouble() * 0.25));
      Instant created = pastTime(r, 2200, 0.8);
      Instant updated = created.plusSeconds((long) (r.nextDouble() * Duration.between(created, now).getSeconds()));
      out.add(written).add(ownerId).add(p.name()).add(ownerName + "/" + p.name()).add(p.description()).add(p.language())
          .addArray(p.topics()).add(p.section()).add(stars).add(forks).add(p.installedSizeKb()).add(p.homepage())
          .add(ts(created)).add(ts(updated));
      out.endRow();
      flushIfFull(out, sink);
    }
  }

  public void opportunities(int repositories, Consumer<CopyText> sink, CopyText out) {
    SplittableRandom r = random("opportunities");
    Zipf popular = new Zipf(repositories, 0.8);
    int n = rows("opportunities");
    for (int i = 0; i < n; i++) {
      int repo = 1 + popular.next(r);
      String kind = KINDS[Math.min(KINDS.length - 1, (int) (Math.abs(r.nextGaussian()) * 1.6))];
      DebianPackage p = packages.get(Math.floorMod(repo * 7919, packages.size()));
      String title = switch (kind) {
        case "bug" -> "Fix crash in " + p.name() + " when input is empty";
        case "feature" -> "Add " + word(p, r) + " support to " + p.name();
        case "docs" -> "Document " + word(p, r) + " in " + p.name();
        case "security" -> "Harden " + p.name() + " against untrusted " + word(p, r);
        default -> "Good first issue: tidy " + word(p, r) + " handling in " + p.name();
      };
      double s = r.nextDouble();
      String status = s < 0.5 ? "open" : s < 0.7 ? "claimed" : "closed";
      Instant created = pastTime(r, 365, 1.5);
      out.add(i + 1).add(repo).add(title).add(kind).add(status).add(r.nextDouble() < 0.9 ? "public" : "private")
          .add(1 + r.nextInt(5)).add(ts(created)).add(ts(created.plusSeconds(r.nextInt(86400 * 20))));
      out.endRow();
      flushIfFull(out, sink);
    }
  }

  private static String word(DebianPackage p, SplittableRandom r) {
    String[] words = p.description().toLowerCase().replaceAll("[^a-z0-9 ]", " ").trim().split("\\s+");
    for (int tries = 0; tries < 5; tries++) {
      String w = words[r.nextInt(words.length)];
      if (w.length() > 3) {
        return w;
      }
    }
    return "config";
  }

  public void projects(int users, Consumer<CopyText> sink, CopyText out) {
    SplittableRandom r = random("projects");
    Zipf heavy = new Zipf(users, 0.9);
    int n = rows("projects");
    for (int i = 0; i < n; i++) {
      Instant created = pastTime(r, 365, 1.2);
      out.add(i + 1).add(1 + heavy.next(r)).add(ADJECTIVES[r.nextInt(ADJECTIVES.length)] + " " + NOUNS[r.nextInt(NOUNS.length)] + " " + (i + 1))
          .add(r.nextDouble() < 0.7 ? "private" : "public").add(ts(created)).add(ts(created.plusSeconds(r.nextInt(86400 * 30))));
      out.endRow();
      flushIfFull(out, sink);
    }
  }

  /** Messages alternate user and assistant turns within busy (Zipf-chosen) projects, in time order. */
  public void messages(long[] projectOwners, Consumer<CopyText> sink, CopyText out) {
    SplittableRandom r = random("messages");
    Zipf busy = new Zipf(projectOwners.length, 1.0);
    int n = rows("messages");
    for (int i = 0; i < n; i++) {
      int project = busy.next(r);
      boolean user = r.nextDouble() < 0.5;
      DebianPackage p = packages.get(r.nextInt(packages.size()));
      String content = user
          ? String.format(QUESTIONS[r.nextInt(QUESTIONS.length)], p.name(), p.description().toLowerCase())
          : "You can use " + p.name() + " (" + p.description() + "). Install it with apt install " + p.name()
              + ", then read /usr/share/doc/" + p.name() + " for examples.";
      out.add(i + 1).add(project + 1).add(projectOwners[project]).add(user ? "user" : "assistant").add(content)
          .add(Math.max(1, content.length() / 4)).add(ts(orderedTime(i, n, 90, r)));
      out.endRow();
      flushIfFull(out, sink);
    }
  }

  public void tokenUsage(int users, Consumer<CopyText> sink, CopyText out) {
    SplittableRandom r = random("token_usage");
    Zipf heavy = new Zipf(users, 1.1);
    int n = rows("token_usage");
    for (int i = 0; i < n; i++) {
      int m = pick(MODEL_WEIGHTS, r);
      int prompt = (int) Math.min(120_000, Math.exp(6 + 1.2 * r.nextGaussian()));
      int completion = MODELS[m].startsWith("text-embedding") ? 0 : (int) Math.min(8_000, Math.exp(5 + r.nextGaussian()));
      BigDecimal cost = BigDecimal.valueOf((prompt * MODEL_PRICES[m][0] + completion * MODEL_PRICES[m][1]) / 1_000_000)
          .setScale(6, RoundingMode.HALF_UP);
      String endpoint = MODELS[m].startsWith("text-embedding") ? "/api/embed" : ENDPOINTS[r.nextInt(ENDPOINTS.length)];
      out.add(i + 1).add(1 + heavy.next(r)).add(MODELS[m]).add(endpoint).add(prompt).add(completion).add(cost.toPlainString())
          .add(ts(orderedTime(i, n, 90, r)));
      out.endRow();
      flushIfFull(out, sink);
    }
  }

  public void analyticsEvents(int users, int repositories, Consumer<CopyText> sink, CopyText out) {
    SplittableRandom r = random("analytics_events");
    Zipf active = new Zipf(users, 0.9);
    Zipf popular = new Zipf(repositories, 1.0);
    int n = rows("analytics_events");
    for (int i = 0; i < n; i++) {
      String type = EVENT_TYPES[pick(EVENT_WEIGHTS, r)];
      Long user = r.nextDouble() < 0.1 ? null : (long) (1 + active.next(r));
      String props = switch (type) {
        case "search" -> "{\"query\": \"" + NOUNS[r.nextInt(NOUNS.length)] + "\", \"results\": " + r.nextInt(50) + "}";
        case "click", "page_view" -> "{\"path\": \"/repositories/" + (1 + popular.next(r)) + "\", \"ref\": \""
            + (r.nextDouble() < 0.5 ? "search" : "home") + "\"}";
        default -> "{}";
      };
      out.add(i + 1).add(user).add(type).add(props).add(ts(orderedTime(i, n, 90, r)));
      out.endRow();
      flushIfFull(out, sink);
    }
  }

  private static int pick(double[] weights, SplittableRandom r) {
    double x = r.nextDouble();
    double acc = 0;
    for (int i = 0; i < weights.length; i++) {
      acc += weights[i];
      if (x < acc) {
        return i;
      }
    }
    return weights.length - 1;
  }

  private static void flushIfFull(CopyText out, Consumer<CopyText> sink) {
    if (out.length() > (1 << 20)) {
      sink.accept(out);
    }
  }
}

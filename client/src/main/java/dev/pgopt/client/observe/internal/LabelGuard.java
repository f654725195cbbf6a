package dev.pgopt.client.observe.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Keeps metric cardinality bounded: the first {@code max} distinct labels are kept, later ones become "other", and
 * anything that does not look like a label (SQL pasted by mistake, say) becomes "invalid".
 */
final class LabelGuard {
  static final String NONE = "unlabeled";
  private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_.:/-]{1,64}");

  private final int max;
  private final ConcurrentHashMap<String, String> seen = new ConcurrentHashMap<>();

  LabelGuard(int max) {
    this.max = max;
  }

  String tag(String label) {
    if (label == null) {
      return NONE;
    }
    String known = seen.get(label);
    if (known != null) {
      return known;
    }
    if (!SHAPE.matcher(label).matches()) {
      return "invalid";
    }
    if (seen.size() >= max) {
      return "other";
    }
    return seen.computeIfAbsent(label, l -> l);
  }
}

package dev.pgopt.analyze.health;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Threshold values by key: the documented defaults, overridden by a config file and then by flags. */
public final class Thresholds {
  private final Map<String, ThresholdDefinition> definitions;
  private final Map<String, Double> values;

  private Thresholds(Map<String, ThresholdDefinition> definitions, Map<String, Double> values) {
    this.definitions = definitions;
    this.values = values;
  }

  public static Thresholds defaults(List<ThresholdDefinition> definitions) {
    Map<String, ThresholdDefinition> defs = new LinkedHashMap<>();
    Map<String, Double> values = new LinkedHashMap<>();
    for (ThresholdDefinition d : definitions) {
      defs.put(d.key(), d);
      if (d.defaultValue() != null) {
        values.put(d.key(), d.kind().parse(d.defaultValue()));
      }
    }
    return new Thresholds(Collections.unmodifiableMap(defs), values);
  }

  /** A copy with one value changed. Unknown keys and malformed values are errors that name the valid choices. */
  public Thresholds with(String key, String text) {
    ThresholdDefinition d = definitions.get(key);
    if (d == null) {
      throw new IllegalArgumentException("unknown threshold '" + key + "': valid keys are "
          + String.join(", ", definitions.keySet()));
    }
    Map<String, Double> copy = new LinkedHashMap<>(values);
    if (text.isBlank() || text.strip().equalsIgnoreCase("off")) {
      copy.remove(key);
    } else {
      try {
        copy.put(key, d.kind().parse(text));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("threshold " + key + ": " + e.getMessage());
      }
    }
    return new Thresholds(definitions, copy);
  }

  /** The value, or empty when the threshold is off. */
  public Optional<Double> get(String key) {
    if (!definitions.containsKey(key)) {
      throw new IllegalStateException("check asked for undefined threshold " + key);
    }
    return Optional.ofNullable(values.get(key));
  }

  public Double orNull(String key) {
    return get(key).orElse(null);
  }

  public double require(String key) {
    return get(key).orElseThrow(() -> new IllegalStateException("threshold " + key + " is off"));
  }

  public Map<String, ThresholdDefinition> definitions() {
    return definitions;
  }

  @Override
  public String toString() {
    return values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
  }
}

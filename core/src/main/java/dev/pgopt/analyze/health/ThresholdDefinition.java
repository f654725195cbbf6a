package dev.pgopt.analyze.health;

import dev.pgopt.connect.Quantities;

/**
 * A configurable limit: {@code key} as used in flags and config files (e.g. {@code connections.warning}),
 * its kind, its default (null: off unless set) and why the default is what it is.
 */
public record ThresholdDefinition(String key, Kind kind, String defaultValue, String reason) {
  /** How a value is written and what number it becomes. */
  public enum Kind {
    PERCENT("percent"), SECONDS("duration"), BYTES("size"), COUNT("count");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    public double parse(String text) {
      return switch (this) {
        case SECONDS -> Quantities.parseSeconds(text);
        case BYTES -> Quantities.parseBytes(text);
        case PERCENT -> {
          double v = number(text.replace("%", ""));
          // some limits are percentages of a setting and may exceed 100 (xid_wraparound.warning)
          if (v < 0 || v > 1000) {
            throw new IllegalArgumentException("'" + text + "' is not a percentage from 0 to 1000");
          }
          yield v;
        }
        case COUNT -> {
          double v = number(text);
          if (v < 0) {
            throw new IllegalArgumentException("'" + text + "' must not be negative");
          }
          yield v;
        }
      };
    }

    private static double number(String text) {
      try {
        return Double.parseDouble(text.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is not a number");
      }
    }
  }
}

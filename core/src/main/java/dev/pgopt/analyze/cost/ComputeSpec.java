package dev.pgopt.analyze.cost;

import java.util.Optional;

/**
 * What the server runs on, as far as the user or the platform's API said: an instance class, its hourly price, or
 * compute-unit hours used (Neon). All empty: compute is left out of the cost, and the report says so.
 *
 * @param cuHoursPerMonth Neon compute-unit hours for a month (measured this period and carried to a whole month)
 */
public record ComputeSpec(Optional<String> instanceClass, Optional<Double> instanceHourPrice,
                          Optional<Double> cuHoursPerMonth, Optional<String> source) {
  public static ComputeSpec unknown() {
    return new ComputeSpec(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }
}

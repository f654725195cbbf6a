package dev.pgopt.cloud.price;

import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;

/**
 * One provider's prices, with where they came from and when they were read: prices change, so a cost is only as good
 * as the date beside it.
 *
 * @param storageGbMonth database storage per GB-month
 * @param backupGbMonth backup or point-in-time history per GB-month
 * @param includedStorageGb storage the plan includes before {@code storageGbMonth} applies
 * @param includedBackupRatio backup storage that is free, as a multiple of the database's storage (RDS: 1)
 * @param computeUnit what {@code computeUnitHour} or {@code instanceHour} prices: "CU-hour" or "instance-hour"
 * @param computeUnitHour the price of one compute unit for an hour (Neon), when the provider prices units
 * @param instanceHour the hourly price per instance class or compute size
 */
public record PriceTable(String id, String name, String source, LocalDate checked, String currency,
                         double storageGbMonth, double backupGbMonth, double includedStorageGb,
                         double includedBackupRatio, String computeUnit, Optional<Double> computeUnitHour,
                         Map<String, Double> instanceHour, String notes) {
  /** Hours in an average month (365.25 × 24 / 12), as providers' "per month" figures use. */
  public static final double HOURS_PER_MONTH = 730.5;
  private static final double GB = 1024.0 * 1024 * 1024;

  public PriceTable {
    instanceHour = Map.copyOf(instanceHour);
  }

  /** What storing {@code bytes} costs a month, before anything the plan includes. */
  public double storagePerMonth(long bytes) {
    return bytes / GB * storageGbMonth;
  }

  /** What the database's storage costs a month, after what the plan includes. */
  public double databaseStoragePerMonth(long bytes) {
    return Math.max(0, bytes / GB - includedStorageGb) * storageGbMonth;
  }

  /** An instance class's monthly price, when the table knows it. */
  public Optional<Double> instancePerMonth(String instanceClass) {
    return Optional.ofNullable(instanceHour.get(instanceClass)).map(h -> h * HOURS_PER_MONTH);
  }
}

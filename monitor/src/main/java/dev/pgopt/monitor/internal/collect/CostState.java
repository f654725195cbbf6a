package dev.pgopt.monitor.internal.collect;

import dev.pgopt.cloud.price.PriceTable;
import dev.pgopt.monitor.MonitorConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;

/**
 * A target's monthly cost at its prices and where the storage trend takes it by the end of the month (UTC). The trend
 * is a least-squares line through the database sizes seen, one kept per quarter hour for up to 30 days; until two
 * sizes an hour apart exist the forecast is the cost now. A shrinking database forecasts no less than the cost now:
 * deleted rows do not return storage a provider bills by the provisioned size.
 */
public final class CostState {
  private static final Duration STEP = Duration.ofMinutes(15);
  private static final int KEPT = 30 * 24 * 4;
  private static final Duration MIN_SPAN = Duration.ofHours(1);

  private record Point(Instant at, long bytes) {}

  private final MonitorConfig.Cost cost;
  private final Deque<Point> points = new ArrayDeque<>();

  public CostState(MonitorConfig.Cost cost) {
    this.cost = cost;
  }

  public synchronized Map<Series, Double> values(Instant at, long databaseBytes) {
    if (points.isEmpty() || !at.isBefore(points.peekLast().at().plus(STEP))) {
      points.addLast(new Point(at, databaseBytes));
      while (points.size() > KEPT) {
        points.removeFirst();
      }
    }
    double now = monthly(databaseBytes);
    double forecast = now;
    if (Duration.between(points.peekFirst().at(), at).compareTo(MIN_SPAN) >= 0) {
      double slope = bytesPerSecond(at, databaseBytes);
      Instant monthEnd = YearMonth.from(at.atZone(ZoneOffset.UTC)).plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      double projected = databaseBytes + slope * Duration.between(at, monthEnd).toSeconds();
      forecast = Math.max(now, monthly((long) Math.max(0, projected)));
    }
    Map<Series, Double> v = new EnumMap<>(Series.class);
    v.put(Series.COST_MONTHLY, round(now));
    v.put(Series.COST_FORECAST_MONTHLY, round(forecast));
    return v;
  }

  private double monthly(long bytes) {
    PriceTable p = cost.prices();
    return p.databaseStoragePerMonth(bytes) + cost.instanceHour().orElse(0.0) * PriceTable.HOURS_PER_MONTH;
  }

  /** Least squares through the kept points and the newest size (once, when it was just kept). */
  private double bytesPerSecond(Instant at, long bytes) {
    double t0 = points.peekFirst().at().getEpochSecond();
    double n = 0;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (Point p : points) {
      double x = p.at().getEpochSecond() - t0;
      n++;
      sx += x;
      sy += p.bytes();
      sxx += x * x;
      sxy += x * p.bytes();
    }
    if (!points.peekLast().at().equals(at)) {
      double x = at.getEpochSecond() - t0;
      n++;
      sx += x;
      sy += bytes;
      sxx += x * x;
      sxy += x * bytes;
    }
    double d = n * sxx - sx * sx;
    return d == 0 ? 0 : (n * sxy - sx * sy) / d;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}

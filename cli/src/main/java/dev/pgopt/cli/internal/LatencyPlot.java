package dev.pgopt.cli.internal;

import dev.pgopt.load.LoadResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * A bench run as a PNG: latency p50/p95/p99 second by second on a logarithmic axis (where a growing queue shows as a
 * rising line), and below it the requests sent each second against the target rate.
 */
public final class LatencyPlot {
  private static final int W = 960;
  private static final int H = 640;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 56;
  private static final int SPLIT = 420;
  private static final int BOTTOM = 50;
  private static final Color[] SERIES = {new Color(0x2ca02c), new Color(0x1f77b4), new Color(0xd62728)};

  private LatencyPlot() {}

  /** One run, or runs one after another (stages): their seconds side by side, each with its own target rate. */
  public static void write(List<LoadResult> runs, String title, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<LoadResult.Second> t = new java.util.ArrayList<>();
    List<double[]> targets = new java.util.ArrayList<>();
    long offset = 0;
    for (LoadResult run : runs) {
      for (LoadResult.Second s : run.timeline()) {
        t.add(new LoadResult.Second(offset + s.second(), s.sent(), s.failed(), s.p50(), s.p95(), s.p99()));
      }
      targets.add(new double[] {offset, offset + run.timeline().size(), run.targetRate()});
      offset += run.timeline().size();
    }
    LoadResult r = runs.get(0);
    double topRate = runs.stream().mapToDouble(LoadResult::targetRate).max().orElse(1);
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, LEFT, 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(String.format(Locale.ROOT, "%s %d clients; latency from when each request was due (ms, log scale)",
        runs.size() == 1 ? String.format(Locale.ROOT, "target %,.0f/s,", r.targetRate()) : runs.size() + " stages,",
        r.clients()), LEFT, 40);
    int seconds = Math.max(1, t.size());
    double maxMs = Math.max(1, t.stream().mapToDouble(LoadResult.Second::p99).max().orElse(1));
    double minMs = Math.max(0.01, t.stream().mapToDouble(LoadResult.Second::p50).filter(v -> v > 0).min().orElse(0.1));
    double lo = Math.log10(minMs) - 0.1;
    double hi = Math.log10(maxMs) + 0.1;
    int plotBottom = SPLIT - 30;
    g.drawRect(LEFT, TOP, W - LEFT - RIGHT, plotBottom - TOP);
    for (double d = Math.ceil(lo); d <= hi; d++) {
      int py = plotBottom - (int) ((d - lo) / (hi - lo) * (plotBottom - TOP));
      g.drawLine(LEFT - 5, py, LEFT, py);
      g.drawString(label(Math.pow(10, d)), 10, py + 4);
    }
    List<ToDoubleFunction<LoadResult.Second>> series = List.of(LoadResult.Second::p50, LoadResult.Second::p95,
        LoadResult.Second::p99);
    String[] names = {"p50", "p95", "p99"};
    for (int k = 0; k < 3; k++) {
      g.setColor(SERIES[k]);
      g.setStroke(new BasicStroke(2f));
      int px0 = -1;
      int py0 = -1;
      for (LoadResult.Second s : t) {
        double v = series.get(k).applyAsDouble(s);
        if (v <= 0) {
          px0 = -1;
          continue;
        }
        int px = x(s.second(), seconds);
        int py = plotBottom - (int) ((Math.log10(v) - lo) / (hi - lo) * (plotBottom - TOP));
        if (px0 >= 0) {
          g.drawLine(px0, py0, px, py);
        }
        px0 = px;
        py0 = py;
      }
      g.drawString(names[k], W - RIGHT - 120 + k * 40, TOP - 6);
    }
    // requests sent each second against the target
    g.setStroke(new BasicStroke(1f));
    g.setColor(Color.DARK_GRAY);
    int top2 = SPLIT;
    int bottom2 = H - BOTTOM;
    g.drawRect(LEFT, top2, W - LEFT - RIGHT, bottom2 - top2);
    double maxRate = Math.max(topRate, t.stream().mapToLong(LoadResult.Second::sent).max().orElse(1)) * 1.15;
    g.drawString("sent/s", 20, top2 + 12);
    g.drawString(String.format(Locale.ROOT, "%,.0f", maxRate), 10, top2 + 28);
    g.drawString("0", 60, bottom2);
    g.setColor(Color.GRAY);
    for (double[] target : targets) {
      int py = bottom2 - (int) (target[2] / maxRate * (bottom2 - top2));
      g.drawLine(x((long) target[0], seconds), py, x((long) target[1], seconds), py);
    }
    g.drawString("target", W - RIGHT - 45, bottom2 - (int) (targets.get(targets.size() - 1)[2] / maxRate * (bottom2 - top2)) - 4);
    g.setColor(SERIES[1]);
    for (LoadResult.Second s : t) {
      int px = x(s.second(), seconds);
      int h = (int) (s.sent() / maxRate * (bottom2 - top2));
      g.fillRect(px - 2, bottom2 - h, 4, h);
      if (s.failed() > 0) {
        g.setColor(SERIES[2]);
        int f = (int) (s.failed() / maxRate * (bottom2 - top2));
        g.fillRect(px - 2, bottom2 - f, 4, f);
        g.setColor(SERIES[1]);
      }
    }
    g.setColor(Color.DARK_GRAY);
    for (int i = 0; i <= 5; i++) {
      long sec = Math.round((double) seconds * i / 5);
      int px = x(sec, seconds);
      g.drawLine(px, bottom2, px, bottom2 + 5);
      g.drawString(sec + " s", px - 8, bottom2 + 20);
    }
    g.dispose();
    if (!ImageIO.write(img, "png", file.toFile())) {
      throw new IOException("no PNG writer in this Java runtime");
    }
  }

  private static int x(long second, int seconds) {
    return LEFT + (int) ((double) second / seconds * (W - LEFT - RIGHT));
  }

  /** A tick label of a log-scaled milliseconds axis (also {@link StatementPlot}'s). */
  static String label(double ms) {
    return ms >= 1000 ? String.format(Locale.ROOT, "%.0f s", ms / 1000) : ms >= 1 ? String.format(Locale.ROOT, "%.0f ms", ms)
        : String.format(Locale.ROOT, "%.2f ms", ms);
  }
}

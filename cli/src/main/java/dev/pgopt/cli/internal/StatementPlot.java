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
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A bench run's statements as a PNG, one row each (most requested first, at most 20): a bar from p50 to p99 with a
 * tick at p95 on a logarithmic axis, the share of requests and the statement's text, so the one that dominates the
 * tail stands out.
 */
public final class StatementPlot {
  private static final int W = 1100;
  private static final int ROW = 30;
  private static final int TOP = 70;
  private static final int TEXT = 430;
  private static final int LEFT = TEXT + 20;
  private static final int RIGHT = 40;
  private static final int MAX_ROWS = 20;
  private static final Color BAR = new Color(0x1f77b4);
  private static final Color TAIL = new Color(0xd62728);

  private StatementPlot() {}

  public static void write(LoadResult run, String title, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<LoadResult.StatementResult> rows = run.statements().stream()
        .filter(s -> s.completed() > 0)
        .sorted(Comparator.comparingDouble(LoadResult.StatementResult::share).reversed())
        .limit(MAX_ROWS).toList();
    int h = TOP + Math.max(1, rows.size()) * ROW + 50;
    BufferedImage img = new BufferedImage(W, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, h);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, 20, 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(String.format(Locale.ROOT, "latency per statement at %,.0f/s, from when each request was due (ms, log"
        + " scale): bar p50 to p99, tick p95; share of requests", run.targetRate()), 20, 40);
    if (rows.isEmpty()) {
      g.drawString("no statement was answered", LEFT, TOP + 20);
    } else {
      double min = Math.max(0.01, rows.stream().mapToDouble(s -> s.latency().p50()).filter(v -> v > 0).min().orElse(0.1));
      double max = Math.max(min * 10, rows.stream().mapToDouble(s -> s.latency().p99()).max().orElse(1));
      double lo = Math.log10(min) - 0.1;
      double hi = Math.log10(max) + 0.1;
      int bottom = TOP + rows.size() * ROW;
      g.drawRect(LEFT, TOP - 10, W - LEFT - RIGHT, bottom - TOP + 10);
      for (double d = Math.ceil(lo); d <= hi; d++) {
        int px = x(d, lo, hi);
        g.setColor(new Color(0xdddddd));
        g.drawLine(px, TOP - 10, px, bottom);
        g.setColor(Color.DARK_GRAY);
        g.drawString(LatencyPlot.label(Math.pow(10, d)), px - 12, bottom + 18);
      }
      for (int i = 0; i < rows.size(); i++) {
        LoadResult.StatementResult s = rows.get(i);
        int y = TOP + i * ROW + ROW / 2;
        g.setColor(Color.DARK_GRAY);
        g.drawString(String.format(Locale.ROOT, "%4.1f %%", 100 * s.share()), 20, y + 4);
        g.drawString(truncate(s.query().replaceAll("\\s+", " ").strip(), g, TEXT - 70), 70, y + 4);
        if (s.latency().p50() <= 0) {
          continue;
        }
        int x50 = x(Math.log10(s.latency().p50()), lo, hi);
        int x95 = x(Math.log10(Math.max(s.latency().p95(), s.latency().p50())), lo, hi);
        int x99 = x(Math.log10(Math.max(s.latency().p99(), s.latency().p50())), lo, hi);
        g.setColor(BAR);
        g.fillRect(x50, y - 6, Math.max(2, x95 - x50), 12);
        g.setColor(TAIL);
        g.fillRect(x95, y - 6, Math.max(2, x99 - x95), 12);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(2f));
        g.drawLine(x95, y - 9, x95, y + 9);
        g.setStroke(new BasicStroke(1f));
        if (s.failed() > 0) {
          g.setColor(TAIL);
          g.drawString(s.failed() + " failed", Math.min(x99 + 6, W - RIGHT - 60), y + 4);
        }
      }
    }
    g.dispose();
    if (!ImageIO.write(img, "png", file.toFile())) {
      throw new IOException("no PNG writer in this Java runtime");
    }
  }

  private static int x(double log, double lo, double hi) {
    return LEFT + (int) ((log - lo) / (hi - lo) * (W - LEFT - RIGHT));
  }

  private static String truncate(String s, Graphics2D g, int width) {
    if (g.getFontMetrics().stringWidth(s) <= width) {
      return s;
    }
    String t = s;
    while (!t.isEmpty() && g.getFontMetrics().stringWidth(t + "…") > width) {
      t = t.substring(0, t.length() - 1);
    }
    return t + "…";
  }
}

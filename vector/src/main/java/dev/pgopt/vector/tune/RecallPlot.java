package dev.pgopt.vector.tune;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** The recall/throughput curve as a PNG: one line per iterative-scan mode, the target and exact search marked. */
public final class RecallPlot {
  private static final int W = 900;
  private static final int H = 560;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;
  private static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

  private RecallPlot() {}

  public static void write(TuneResult r, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    double minRecall = Math.min(r.targetRecall(), r.points().stream().mapToDouble(SweepPoint::recall).min().orElse(0));
    double xMin = Math.max(0, Math.floor((minRecall - 0.02) * 20) / 20);
    double yMax = Math.max(r.exactQps(), r.points().stream().mapToDouble(SweepPoint::qps).max().orElse(1)) * 1.1;
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(String.format("%s.%s: recall@%d against queries per second", r.table(), r.column(), r.k()), LEFT, 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(String.format("%s %s (%s), %d queries, %s rows", r.method(), r.opclass(), r.indexParameters(), r.queries(),
        String.format("%,d", r.rows())), LEFT, 40);
    g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
    for (int i = 0; i <= 5; i++) {
      double x = xMin + (1 - xMin) * i / 5;
      int px = px(x, xMin);
      g.drawLine(px, H - BOTTOM, px, H - BOTTOM + 5);
      g.drawString(String.format("%.2f", x), px - 12, H - BOTTOM + 20);
      double y = yMax * i / 5;
      int py = py(y, yMax);
      g.drawLine(LEFT - 5, py, LEFT, py);
      g.drawString(String.format("%,.0f", y), 10, py + 4);
    }
    g.drawString("recall@" + r.k(), W / 2 - 20, H - 15);
    g.drawString("QPS", 20, TOP - 10);
    float[] dash = {6f, 4f};
    g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
    g.setColor(Color.GRAY);
    int tx = px(r.targetRecall(), xMin);
    g.drawLine(tx, TOP, tx, H - BOTTOM);
    g.drawString("target " + r.targetRecall(), tx + 4, TOP + 14);
    int ey = py(r.exactQps(), yMax);
    g.drawLine(LEFT, ey, W - RIGHT, ey);
    g.drawString(String.format("exact search %,.0f QPS", r.exactQps()), LEFT + 6, ey - 4);
    Map<String, List<SweepPoint>> byMode = new LinkedHashMap<>();
    for (SweepPoint p : r.points()) {
      byMode.computeIfAbsent(p.iterativeScan(), m -> new ArrayList<>()).add(p);
    }
    int s = 0;
    for (Map.Entry<String, List<SweepPoint>> e : byMode.entrySet()) {
      Color c = SERIES[s % SERIES.length];
      g.setColor(c);
      g.setStroke(new BasicStroke(2f));
      SweepPoint prev = null;
      for (SweepPoint p : e.getValue()) {
        int x = px(p.recall(), xMin);
        int y = py(p.qps(), yMax);
        g.fillOval(x - 4, y - 4, 8, 8);
        g.drawString(Integer.toString(p.value()) + (p.complete(r.k()) ? "" : "*"), x + 5, y - 5);
        if (prev != null) {
          g.drawLine(px(prev.recall(), xMin), py(prev.qps(), yMax), x, y);
        }
        prev = p;
      }
      String label = e.getKey().equals("n/a") || byMode.size() == 1 ? e.getValue().get(0).setting()
          : e.getValue().get(0).setting() + ", iterative scan " + e.getKey();
      g.drawString(label, LEFT + 12, H - BOTTOM - 30 - 16 * (byMode.size() - s));
      s++;
    }
    g.setColor(Color.DARK_GRAY);
    g.drawString("* fewer rows than k returned", LEFT + 12, H - BOTTOM - 30);
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static int px(double recall, double xMin) {
    return LEFT + (int) Math.round((recall - xMin) / (1 - xMin) * (W - LEFT - RIGHT));
  }

  private static int py(double qps, double yMax) {
    return H - BOTTOM - (int) Math.round(qps / yMax * (H - TOP - BOTTOM));
  }
}

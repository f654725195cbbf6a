package dev.pgopt.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SentenceEmbedderTest {
  @TempDir
  Path home;

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void similarTextsAreCloserThanUnrelatedOnesOffline() {
    SentenceEmbedder e = new SentenceEmbedder(home);
    List<float[]> v = e.embed(List.of("PostgreSQL database server", "relational database management system",
        "a game of chess against the computer"));
    assertThat(v).allMatch(x -> x.length == SentenceEmbedder.DIMENSIONS);
    assertThat(cosine(v.get(0), v.get(1))).isGreaterThan(cosine(v.get(0), v.get(2)) + 0.1);
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      many.add("library for parsing configuration files, version " + i);
    }
    long t0 = System.nanoTime();
    e.embed(many);
    System.out.printf("embedded 1000 short texts in %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }
}

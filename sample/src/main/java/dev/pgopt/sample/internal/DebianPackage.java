package dev.pgopt.sample.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** One package of the shipped Debian extract (scripts/extract-debian-packages made it from apt-cache dumpavail). */
public record DebianPackage(String name, String section, String version, int installedSizeKb, String homepage,
                            String maintainer, List<String> tags, String description) {
  static final String RESOURCE = "/pgopt/sample/debian-packages.tsv.gz";

  public static List<DebianPackage> loadAll() {
    InputStream in = DebianPackage.class.getResourceAsStream(RESOURCE);
    if (in == null) {
      throw new IllegalStateException("missing resource " + RESOURCE);
    }
    List<DebianPackage> out = new ArrayList<>(64_000);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split("\t", -1);
        if (f.length < 8) {
          continue;
        }
        List<String> tags = f[6].isEmpty() ? List.of() : List.of(f[6].split(","));
        int size;
        try {
          size = Integer.parseInt(f[3]);
        } catch (NumberFormatException e) {
          size = 0;
        }
        out.add(new DebianPackage(f[0], f[1], f[2], size, f[4].isEmpty() ? null : f[4], f[5], tags, f[7]));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return out;
  }

  /** The implementation language: from the implemented-in debtag, else from Debian's naming conventions. */
  public String language() {
    for (String t : tags) {
      if (t.startsWith("implemented-in::") && t.length() > "implemented-in::".length()) {
        return t.substring("implemented-in::".length());
      }
    }
    if (name.startsWith("python3-") || name.startsWith("python-")) {
      return "python";
    }
    if (name.endsWith("-perl")) {
      return "perl";
    }
    if (name.startsWith("ruby-")) {
      return "ruby";
    }
    if (name.startsWith("golang-")) {
      return "go";
    }
    if (name.startsWith("node-")) {
      return "javascript";
    }
    if (name.startsWith("librust-") || name.startsWith("rust-")) {
      return "rust";
    }
    if (name.startsWith("r-cran-") || name.startsWith("r-bioc-")) {
      return "r";
    }
    if (name.startsWith("libghc-") || name.startsWith("haskell-")) {
      return "haskell";
    }
    if (name.startsWith("php-")) {
      return "php";
    }
    if (name.endsWith("-java")) {
      return "java";
    }
    if (name.startsWith("libocaml") || name.startsWith("ocaml-")) {
      return "ocaml";
    }
    if (name.startsWith("elpa-")) {
      return "lisp";
    }
    return null;
  }

  /** Debtag values that read like topics: biology, gameplaying, web, ... */
  public List<String> topics() {
    List<String> out = new ArrayList<>();
    for (String t : tags) {
      int sep = t.indexOf("::");
      if (sep < 0) {
        continue;
      }
      String facet = t.substring(0, sep);
      if (facet.equals("field") || facet.equals("use") || facet.equals("works-with") || facet.equals("game")
          || facet.equals("network") || facet.equals("web") || facet.equals("scope") || facet.equals("sound")) {
        String v = t.substring(sep + 2);
        int colon = v.lastIndexOf(':');
        out.add(colon >= 0 ? v.substring(colon + 1) : v);
      }
    }
    return out.stream().distinct().limit(8).toList();
  }
}

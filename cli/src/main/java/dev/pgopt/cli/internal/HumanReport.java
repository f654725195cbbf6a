package dev.pgopt.cli.internal;

import dev.pgopt.analyze.health.CheckResult;
import dev.pgopt.analyze.health.HealthReport;
import dev.pgopt.analyze.health.Status;
import dev.pgopt.analyze.health.Threshold;
import dev.pgopt.analyze.health.Units;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The health report as an aligned table for people; ANSI colour only when asked (on a terminal). */
public final class HumanReport {
  private static final String RESET = "\u001b[0m";

  private HumanReport() {}

  public static String render(HealthReport r, boolean colour) {
    Object version = r.server().getOrDefault("version_num", "?");
    String about = r.checks().stream().filter(c -> c.name().equals("server") && c.status() != Status.UNKNOWN).findFirst()
        .map(CheckResult::message).orElse("server_version_num " + version);
    return render(r, colour, "pgopt check", about);
  }

  /** @param command what produced the report; {@code about} the line under it (the server, the pooler's version) */
  public static String render(HealthReport r, boolean colour, String command, String about) {
    StringBuilder sb = new StringBuilder();
    sb.append(command).append("  ").append(r.target()).append('\n');
    sb.append(" ".repeat(command.length() + 2)).append(about).append("\n\n");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"STATUS", "CHECK", "VALUE", "WARN / CRIT", "DETAIL"});
    for (CheckResult c : r.checks()) {
      rows.add(new String[] {label(c.status()), c.name(), c.display(), threshold(c.threshold()), c.message()});
    }
    int[] width = new int[4];
    for (String[] row : rows) {
      for (int i = 0; i < 4; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (int j = 0; j < rows.size(); j++) {
      String[] row = rows.get(j);
      String status = pad(row[0], width[0]);
      if (colour && j > 0) {
        status = colourOf(r.checks().get(j - 1).status()) + status + RESET;
      }
      sb.append("  ").append(status).append("  ").append(pad(row[1], width[1])).append("  ").append(pad(row[2], width[2]))
          .append("  ").append(pad(row[3], width[3])).append("  ").append(row[4]).append('\n');
    }
    List<CheckResult> attention = r.checks().stream().filter(c -> c.status() != Status.OK && c.fix() != null).toList();
    if (!attention.isEmpty()) {
      sb.append("\nWhat to do:\n");
      attention.forEach(c -> sb.append("  ").append(c.name()).append(": ").append(c.fix()).append('\n'));
    }
    if (!r.notes().isEmpty()) {
      sb.append("\nNotes:\n");
      r.notes().forEach(n -> sb.append("  ").append(n).append('\n'));
    }
    long warnings = r.checks().stream().filter(c -> c.status() == Status.WARNING).count();
    long critical = r.checks().stream().filter(c -> c.status() == Status.CRITICAL).count();
    long unknown = r.checks().stream().filter(c -> c.status() == Status.UNKNOWN).count();
    String overall = r.status().toUpperCase(Locale.ROOT);
    if (colour) {
      overall = colourOf(switch (r.status()) {
        case "critical" -> Status.CRITICAL;
        case "warning" -> Status.WARNING;
        default -> Status.OK;
      }) + overall + RESET;
    }
    sb.append("\nStatus: ").append(overall).append("  (").append(critical).append(" critical, ").append(warnings)
        .append(" warning").append(unknown > 0 ? ", " + unknown + " unknown" : "").append(", ")
        .append(r.checks().size()).append(" checks)\n");
    return sb.toString();
  }

  static String label(Status s) {
    return switch (s) {
      case OK -> "✔ ok";
      case WARNING -> "▲ WARN";
      case CRITICAL -> "✖ CRIT";
      case UNKNOWN -> "? unknown";
    };
  }

  private static String colourOf(Status s) {
    return switch (s) {
      case OK -> "\u001b[32m";
      case WARNING -> "\u001b[33m";
      case CRITICAL -> "\u001b[1;31m";
      case UNKNOWN -> "\u001b[35m";
    };
  }

  static String threshold(Threshold t) {
    if (t.warning() == null && t.critical() == null) {
      return "-";
    }
    String prefix = t.direction().equals("below") ? "≤ " : "≥ ";
    return prefix + format(t.warning(), t.unit()) + " / " + format(t.critical(), t.unit());
  }

  private static String format(Double v, String unit) {
    if (v == null) {
      return "-";
    }
    return switch (unit == null ? "" : unit) {
      case "seconds" -> Units.seconds(v);
      case "bytes" -> Units.bytes(v);
      case "percent" -> (v == Math.rint(v) ? String.valueOf(v.longValue()) : String.valueOf(v)) + " %";
      default -> Units.count(v);
    };
  }

  private static String pad(String s, int w) {
    return s.length() >= w ? s : s + " ".repeat(w - s.length());
  }
}

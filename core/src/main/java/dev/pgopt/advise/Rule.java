package dev.pgopt.advise;

import java.sql.SQLException;
import java.util.List;

/**
 * A source of findings. Rule ids ({@code index.unused}, {@code table.vacuum}, ...) are part of pgopt's interface:
 * they appear in JSON and select findings for {@code pgopt apply}. A rule reads, never writes.
 */
public interface Rule {
  /** The rule id, or the family for rules that emit several (e.g. {@code config}). */
  String id();

  List<Finding> evaluate(AdviceContext context) throws SQLException;
}

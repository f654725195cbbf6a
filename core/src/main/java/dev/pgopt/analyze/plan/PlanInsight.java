package dev.pgopt.analyze.plan;

import java.util.Map;

/**
 * Something in a plan worth acting on: a stable {@code rule} id, the node it is about, one line of explanation, the
 * numbers behind it, and what to do.
 */
public record PlanInsight(String rule, String node, String message, Map<String, Object> numbers, String suggestion) {}

package dev.pgopt.monitor.internal.incident;

import java.time.Instant;

/** A detected problem, open until its condition is gone. {@code key} identifies it across samples. */
public record Incident(String id, String target, String kind, String severity, String key, String subject,
                       String details, Instant detectedAt) {}

package dev.pgopt.analyze.health;

import java.sql.Connection;
import java.time.Clock;

/** What a check runs with: a connection inside a read-only transaction, thresholds, our own pid and a clock. */
public record CheckContext(Connection connection, Thresholds thresholds, int serverVersionNum, int ownPid, Clock clock) {}

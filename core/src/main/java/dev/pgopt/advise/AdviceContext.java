package dev.pgopt.advise;

import dev.pgopt.collect.PlanGuard;
import dev.pgopt.collect.StatementSnapshot;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What rules see: a connection in a read-only transaction, the server version, a clock, the workload when
 * pg_stat_statements is readable, index usage counted on replicas, and the user's facts about the machine.
 *
 * @param replicaIndexScans idx_scan per "schema.index" summed over the replicas given with --replica
 * @param machine what the user told us (memory_bytes, storage ssd|hdd); empty when unknown
 * @param guard what every statement a rule plans must pass (one per run, so its catalog is read once)
 */
public record AdviceContext(Connection connection, int serverVersionNum, Clock clock, Optional<StatementSnapshot> workload,
                            Map<String, Long> replicaIndexScans, Map<String, String> machine, List<String> notes,
                            PlanGuard guard) {}

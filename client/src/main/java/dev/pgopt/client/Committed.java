package dev.pgopt.client;

/**
 * What {@link PgoptDataSource#tx} committed: the callback's result and the commit's position in the primary's WAL.
 * Hand the token to reads that must see this write ({@link PgoptDataSource#read(ConsistencyToken, String,
 * SqlFunction)}, another service) and to cache invalidations ({@code QueryCache.invalidateTags(token, ...)}).
 *
 * @param token never null: position 0 when the callback sent nothing; {@link ConsistencyToken#primaryOnly()} when the
 *     position could not be read after COMMIT
 */
public record Committed<T>(T value, ConsistencyToken token) {}

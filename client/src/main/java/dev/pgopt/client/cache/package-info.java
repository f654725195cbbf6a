/**
 * The multi-tier query cache API: strategies, statistics, serializers and invalidation by table through the
 * database's own notifications.
 */
package dev.pgopt.client.cache;

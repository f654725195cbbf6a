/**
 * The cache's tiers (Caffeine in process, Redis shared), single-flight loading and the listener that turns database
 * notifications into invalidations.
 */
package dev.pgopt.client.cache.internal;

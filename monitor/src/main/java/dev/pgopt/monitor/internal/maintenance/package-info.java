/**
 * Scheduled maintenance: daily health checks, weekly optimization reports, view refreshes and emergency cleanup, run
 * once per schedule across instances.
 */
package dev.pgopt.monitor.internal.maintenance;

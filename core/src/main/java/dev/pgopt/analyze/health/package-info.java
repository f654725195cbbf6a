/**
 * The health report of {@code pgopt check}: checks, their results and statuses, and the report's JSON form.
 */
package dev.pgopt.analyze.health;

/**
 * One class per rule or family of rules: indexes (missing, unused, duplicate, redundant, invalid, foreign keys),
 * tables (vacuum, analyze, bloat), configuration, connections, queries.
 */
package dev.pgopt.advise.rules;

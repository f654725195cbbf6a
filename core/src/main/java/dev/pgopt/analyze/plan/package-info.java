/**
 * Plan insights: slow patterns read from EXPLAIN plans, each with what to do about it.
 */
package dev.pgopt.analyze.plan;

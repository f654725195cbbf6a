/**
 * The advisor: rules produce {@link dev.pgopt.advise.Finding}s with evidence, impact, confidence and an action;
 * {@link dev.pgopt.advise.IndexDefinition} writes every index DDL and {@link dev.pgopt.advise.IndexStatement} reads
 * it back.
 */
package dev.pgopt.advise;

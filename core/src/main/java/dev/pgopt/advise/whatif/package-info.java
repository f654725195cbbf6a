/**
 * Index selection for a whole workload: candidates from plans, HypoPG what-if costs (with hot values and typical
 * LIMITs), sizes with B-tree deduplication, and a budget-aware choice.
 */
package dev.pgopt.advise.whatif;

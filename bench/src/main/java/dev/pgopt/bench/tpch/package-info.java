/**
 * The advisor evaluated on TPC-H as the index-selection literature does: official data (Trino's port of dbgen), the
 * 22 queries at several seeds, per storage budget the proposed indexes built for real and the queries measured again
 * ({@code scripts/bench-advise-tpch}).
 */
package dev.pgopt.bench.tpch;

/**
 * Vector and hybrid search helpers over pgvector: k-nearest-neighbour queries with the index settings they need, and
 * rank fusion with full-text search.
 */
package dev.pgopt.client.search;

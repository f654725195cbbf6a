/**
 * What a database holds for pgvector: columns, indexes, settings and the distance operators statements use.
 */
package dev.pgopt.vector.inspect;

/**
 * Parsing connection strings and pgpass files, opening JDBC connections, and classifying failures.
 */
package dev.pgopt.connect.internal;

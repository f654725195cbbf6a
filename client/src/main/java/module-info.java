/**
 * The application-side data-access layer: route → resilience → cache → observe. Each concern exports its API package;
 * the {@code internal} packages are not exported.
 */
module dev.pgopt.client {
  requires transitive dev.pgopt.connect;
  requires transitive java.sql;
  requires transitive micrometer.core;
  requires transitive com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.datatype.jsr310;
  requires com.github.benmanes.caffeine;
  requires com.zaxxer.hikari;
  requires transitive io.github.resilience4j.circuitbreaker;
  requires io.github.resilience4j.core;
  requires io.github.resilience4j.retry;
  requires java.net.http;
  requires lettuce.core;
  requires org.postgresql.jdbc;
  requires pgvector;

  exports dev.pgopt.client;
  exports dev.pgopt.client.bulk;
  exports dev.pgopt.client.cache;
  exports dev.pgopt.client.observe;
  exports dev.pgopt.client.paging;
  exports dev.pgopt.client.resilience;
  exports dev.pgopt.client.route;
  exports dev.pgopt.client.search;
}

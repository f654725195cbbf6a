/** {@code pgopt serve}: history, dashboard, metrics, alerts, incident response and maintenance. Only the entry points are exported. */
module dev.pgopt.monitor {
  requires transitive dev.pgopt.connect;
  requires dev.pgopt.backup;
  requires transitive dev.pgopt.core;
  requires dev.pgopt.lifecycle;
  requires transitive dev.pgopt.cloud;
  requires dev.pgopt.vector;
  requires com.cronutils;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires com.fasterxml.jackson.datatype.jsr310;
  requires com.zaxxer.hikari;
  requires flyway.core;
  requires io.github.resilience4j.ratelimiter;
  requires io.javalin;
  requires jakarta.mail;
  requires java.management;
  requires java.net.http;
  requires micrometer.core;
  requires micrometer.registry.prometheus;
  requires org.eclipse.jetty.server;
  requires org.eclipse.jetty.util;
  requires org.postgresql.jdbc;
  requires org.slf4j;

  exports dev.pgopt.monitor;
}

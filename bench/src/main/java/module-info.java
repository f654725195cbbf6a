/** Benchmarks and load commands (docs/benchmarks). It uses the other modules only through what they export. */
module dev.pgopt.bench {
  requires dev.pgopt.client;
  requires dev.pgopt.core;
  requires dev.pgopt.lifecycle;
  requires dev.pgopt.sample;
  requires dev.pgopt.vector;
  requires HdrHistogram;
  requires dev.pgopt.load;
  requires dev.pgopt.local;
  requires dev.pgopt.monitor;
  requires com.zaxxer.hikari;
  requires java.management;
  requires jdk.management;
  requires java.net.http;
  requires jmh.core;
  requires org.postgresql.jdbc;
  requires pgvector;
  requires tpch;
}

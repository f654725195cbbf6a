/**
 * The {@code pgopt} command line. It exports nothing: it is run, not linked. The shaded jar runs on the class path;
 * the opens say what picocli reads reflectively should it run as a module.
 */
module dev.pgopt.cli {
  requires dev.pgopt.backup;
  requires dev.pgopt.client;
  requires dev.pgopt.core;
  requires dev.pgopt.lifecycle;
  requires dev.pgopt.load;
  requires dev.pgopt.local;
  requires dev.pgopt.monitor;
  requires dev.pgopt.sample;
  requires dev.pgopt.vector;
  requires info.picocli;
  requires java.desktop;
  requires org.postgresql.jdbc;

  opens dev.pgopt.cli to info.picocli;

  uses dev.pgopt.sample.EmbeddingFiller;
}

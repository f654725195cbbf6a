package dev.pgopt.cli;

import picocli.CommandLine.Option;

/** The vector column a {@code pgopt vector} subcommand works on: {@code --table [schema.]table --column name}. */
public final class VectorColumnOptions {
  @Option(names = "--table", required = true, paramLabel = "[SCHEMA.]TABLE")
  String table;

  @Option(names = "--column", required = true)
  String column;

  String schema() {
    return table.contains(".") ? table.substring(0, table.indexOf('.')) : "public";
  }

  String tableName() {
    return table.contains(".") ? table.substring(table.indexOf('.') + 1) : table;
  }

  String column() {
    return column;
  }
}

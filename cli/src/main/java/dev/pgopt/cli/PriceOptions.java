package dev.pgopt.cli;

import dev.pgopt.cloud.price.PriceTable;
import dev.pgopt.cloud.price.PriceTableException;
import dev.pgopt.cloud.price.PriceTables;
import dev.pgopt.collect.platform.Platform;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which provider's prices a cost uses: named, or the detected platform's; the shipped tables or a file over them. */
public final class PriceOptions {
  @Option(names = "--price-table", paramLabel = "ID",
      description = "Prices to use: neon-launch, neon-scale, rds, supabase, self-managed, or one from --price-file"
          + " (default: the detected platform's).")
  String table;

  @Option(names = "--price-file", paramLabel = "FILE",
      description = "A JSON file of prices laid over the shipped ones (docs/cost.md).")
  Path file;

  boolean given() {
    return table != null || file != null;
  }

  PriceTable resolve(Platform platform) {
    try {
      PriceTables tables = file == null ? PriceTables.shipped() : PriceTables.withOverrides(file);
      return tables.require(table != null ? table : switch (platform) {
        case NEON -> "neon-launch";
        case RDS, AURORA -> "rds";
        case SUPABASE -> "supabase";
        case SELF_MANAGED -> "self-managed";
      });
    } catch (PriceTableException e) {
      throw new CliFailure(ExitCode.USAGE, (file != null && e.getMessage().contains(file.toString()) ? "--price-file: "
          : "--price-table: ") + e.getMessage());
    }
  }
}

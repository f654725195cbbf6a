package dev.pgopt.sample;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Consumer;

/**
 * Fills {@code repositories.embedding} of the sample dataset with real sentence embeddings. The implementation (module
 * {@code embed}: ONNX Runtime and the model, about 150 MB) is found with {@link java.util.ServiceLoader}, so that
 * only {@code pgopt sample embed} needs it on its class path.
 */
public interface EmbeddingFiller {
  /** What was done. */
  record Result(long rows, long computed, long fromCache, double seconds) {}

  /** Resumable: only rows still NULL are done; {@code cacheDir} keeps computed embeddings across runs. */
  Result fill(Connection c, Path cacheDir, Consumer<String> progress) throws SQLException, IOException;
}

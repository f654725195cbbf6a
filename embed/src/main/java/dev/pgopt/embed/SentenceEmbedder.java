package dev.pgopt.embed;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * all-MiniLM-L6-v2 (quantized), in process and offline: the ONNX model ships inside the jar; DJL is told not to
 * download anything and to keep its native tokenizer library under pgopt's home. 384 dimensions, normalized.
 */
public final class SentenceEmbedder {
  public static final String MODEL = "all-minilm-l6-v2-q";
  public static final int DIMENSIONS = 384;

  private final AllMiniLmL6V2QuantizedEmbeddingModel model;

  public SentenceEmbedder(Path cacheDir) {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("DJL_CACHE_DIR", cacheDir.resolve("djl").toString());
    System.setProperty("ENGINE_CACHE_DIR", cacheDir.resolve("djl").toString());
    this.model = new AllMiniLmL6V2QuantizedEmbeddingModel();
  }

  public List<float[]> embed(List<String> texts) {
    List<TextSegment> segments = new ArrayList<>(texts.size());
    for (String t : texts) {
      segments.add(TextSegment.from(t == null || t.isBlank() ? " " : t));
    }
    List<float[]> out = new ArrayList<>(texts.size());
    for (Embedding e : model.embedAll(segments).content()) {
      out.add(e.vector());
    }
    return out;
  }
}

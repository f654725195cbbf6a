package dev.pgopt.vector;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.vector.inspect.VectorInventory;
import dev.pgopt.vector.tune.TuneResult;
import java.time.Instant;

/**
 * The JSON forms of {@code pgopt vector inspect} and {@code pgopt vector tune}: the records' fields in snake_case under
 * a versioned envelope (docs/vector.md).
 */
public final class VectorJson {
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT);

  private VectorJson() {}

  public static String inspect(VectorInventory inventory, String target, Instant at) {
    return envelope("pgopt.vector.inspect/v1", target, at).setAll((ObjectNode) JSON.valueToTree(inventory)).toPrettyString();
  }

  public static String tune(TuneResult result, String target, Instant at) {
    ObjectNode root = envelope("pgopt.vector.tune/v1", target, at);
    root.setAll((ObjectNode) JSON.valueToTree(result));
    root.put("target_met", result.targetMet());
    return root.toPrettyString();
  }

  private static ObjectNode envelope(String format, String target, Instant at) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", format);
    root.put("target", target);
    root.put("generated_at", at.toString());
    return root;
  }
}

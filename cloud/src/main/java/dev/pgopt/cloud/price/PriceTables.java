package dev.pgopt.cloud.price;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The price tables pgopt ships ({@code prices.json} beside this class: dated, each with its source) and the user's
 * overrides: a file of the same shape whose providers replace the shipped fields they name, or add providers.
 */
public final class PriceTables {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS = Set.of("name", "source", "checked", "storage_gb_month", "backup_gb_month",
      "included_storage_gb", "included_backup_ratio", "compute_unit", "compute_unit_hour", "instance_hour", "notes");
  private static final long MAX_FILE = 1 << 20;

  private final Map<String, PriceTable> tables;

  private PriceTables(Map<String, PriceTable> tables) {
    this.tables = Map.copyOf(tables);
  }

  /** The tables pgopt ships. */
  public static PriceTables shipped() {
    try (InputStream in = PriceTables.class.getResourceAsStream("prices.json")) {
      if (in == null) {
        throw new IllegalStateException("prices.json is missing from pgopt's jar");
      }
      return parse((ObjectNode) JSON.readTree(in), "pgopt's prices.json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The shipped tables with {@code file}'s providers laid over them. */
  public static PriceTables withOverrides(Path file) {
    JsonNode override;
    try {
      if (Files.size(file) > MAX_FILE) {
        throw new PriceTableException(file + " is larger than 1 MB; a price file lists a few providers");
      }
      override = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new PriceTableException("cannot read the price file " + file + ": " + firstLine(e.getMessage()));
    }
    return shipped().overlay(override, file.toString());
  }

  /** The shipped tables with {@code override} (same shape as the file, e.g. from the monitor's YAML) laid over them. */
  public PriceTables overlay(JsonNode override, String where) {
    if (override == null || !override.isObject() || !override.path("providers").isObject()) {
      throw new PriceTableException(where + ": expected an object with \"providers\": {id: {...}} (see docs/cost.md)");
    }
    ObjectNode merged = JSON.createObjectNode();
    merged.put("currency", override.path("currency").asText(tables.values().iterator().next().currency()));
    ObjectNode providers = merged.putObject("providers");
    for (PriceTable t : tables.values()) {
      providers.set(t.id(), JSON.valueToTree(toJson(t)));
    }
    for (Map.Entry<String, JsonNode> e : override.path("providers").properties()) {
      if (!e.getValue().isObject()) {
        throw new PriceTableException(where + ": provider " + e.getKey() + " is not an object");
      }
      ObjectNode base = providers.has(e.getKey()) ? (ObjectNode) providers.get(e.getKey()) : providers.putObject(e.getKey());
      e.getValue().properties().forEach(f -> {
        if (f.getKey().equals("instance_hour") && base.path("instance_hour").isObject() && f.getValue().isObject()) {
          ((ObjectNode) base.get("instance_hour")).setAll((ObjectNode) f.getValue());
        } else {
          base.set(f.getKey(), f.getValue());
        }
      });
    }
    return parse(merged, where);
  }

  public Optional<PriceTable> get(String id) {
    return Optional.ofNullable(tables.get(id));
  }

  /** The table for {@code id}, or an error that lists those known. */
  public PriceTable require(String id) {
    return get(id).orElseThrow(() -> new PriceTableException("no price table '" + id + "'; known: "
        + String.join(", ", new TreeMap<>(tables).keySet()) + " (add one with --prices FILE, see docs/cost.md)"));
  }

  public Map<String, PriceTable> all() {
    return new TreeMap<>(tables);
  }

  private static PriceTables parse(ObjectNode root, String where) {
    String currency = root.path("currency").asText("USD");
    Map<String, PriceTable> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.path("providers").properties()) {
      out.put(e.getKey(), table(e.getKey(), e.getValue(), currency, where));
    }
    return new PriceTables(out);
  }

  private static PriceTable table(String id, JsonNode n, String currency, String where) {
    String at = where + ", provider " + id;
    n.fieldNames().forEachRemaining(f -> {
      if (!FIELDS.contains(f)) {
        throw new PriceTableException(at + ": unknown field '" + f + "' (known: " + String.join(", ", new java.util.TreeSet<>(FIELDS)) + ")");
      }
    });
    String source = n.path("source").asText("");
    if (source.isBlank()) {
      throw new PriceTableException(at + ": 'source' is required (where the prices come from)");
    }
    LocalDate checked;
    try {
      checked = LocalDate.parse(n.path("checked").asText(""));
    } catch (DateTimeParseException e) {
      throw new PriceTableException(at + ": 'checked' must be the date the prices were read, as 2026-12-03");
    }
    Map<String, Double> instances = new TreeMap<>();
    n.path("instance_hour").properties().forEach(i -> instances.put(i.getKey(), price(i.getValue(), at + ", instance " + i.getKey())));
    Optional<Double> unitHour = n.has("compute_unit_hour") ? Optional.of(price(n.get("compute_unit_hour"), at + ", compute_unit_hour"))
        : Optional.empty();
    return new PriceTable(id, n.path("name").asText(id), source, checked, currency,
        price(n.path("storage_gb_month"), at + ", storage_gb_month"),
        n.has("backup_gb_month") ? price(n.get("backup_gb_month"), at + ", backup_gb_month") : 0,
        n.has("included_storage_gb") ? price(n.get("included_storage_gb"), at + ", included_storage_gb") : 0,
        n.has("included_backup_ratio") ? price(n.get("included_backup_ratio"), at + ", included_backup_ratio") : 0,
        n.path("compute_unit").asText("instance-hour"), unitHour, instances, n.path("notes").asText(""));
  }

  private static double price(JsonNode v, String at) {
    if (!v.isNumber() || v.asDouble() < 0 || !Double.isFinite(v.asDouble())) {
      throw new PriceTableException(at + ": expected a number ≥ 0, got " + (v.isMissingNode() ? "nothing" : v.toString()));
    }
    return v.asDouble();
  }

  private static Map<String, Object> toJson(PriceTable t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", t.name());
    m.put("source", t.source());
    m.put("checked", t.checked().toString());
    m.put("storage_gb_month", t.storageGbMonth());
    m.put("backup_gb_month", t.backupGbMonth());
    m.put("included_storage_gb", t.includedStorageGb());
    m.put("included_backup_ratio", t.includedBackupRatio());
    m.put("compute_unit", t.computeUnit());
    t.computeUnitHour().ifPresent(h -> m.put("compute_unit_hour", h));
    m.put("instance_hour", t.instanceHour());
    m.put("notes", t.notes());
    return m;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}

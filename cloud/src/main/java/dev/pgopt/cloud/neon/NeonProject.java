package dev.pgopt.cloud.neon;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The read-only calls pgopt makes about one project: its branches, computes and consumption. */
public final class NeonProject {
  private static final Pattern ID = Pattern.compile("[a-z0-9-]{1,60}");

  private final NeonClient client;
  private final String id;

  public NeonProject(NeonClient client, String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new NeonApiException(0, "'" + id + "' is not a Neon project id (lower case letters, digits and -, as in"
          + " the console's Settings page)");
    }
    this.client = client;
    this.id = id;
  }

  public String id() {
    return id;
  }

  /** Every branch, following the cursor. */
  public List<NeonBranch> branches() {
    List<NeonBranch> out = new ArrayList<>();
    for (JsonNode b : client.all(path("/branches"), Map.of("limit", "100"), "branches")) {
      out.add(new NeonBranch(text(b, "id"), text(b, "name"), b.path("parent_id").asText(null), instant(b, "created_at"),
          instant(b, "updated_at"), b.path("logical_size").asLong(0),
          b.path("default").asBoolean(b.path("primary").asBoolean(false)), b.path("protected").asBoolean(false),
          b.path("current_state").asText("")));
    }
    return out;
  }

  public List<NeonCompute> computes() {
    List<NeonCompute> out = new ArrayList<>();
    for (JsonNode e : client.get(path("/endpoints"), Map.of()).path("endpoints")) {
      Instant last = instant(e, "last_active");
      out.add(new NeonCompute(text(e, "id"), text(e, "branch_id"), e.path("type").asText(""),
          e.path("autoscaling_limit_min_cu").asDouble(0), e.path("autoscaling_limit_max_cu").asDouble(0),
          e.path("suspend_timeout_seconds").asInt(0), Optional.ofNullable(last), e.path("current_state").asText("")));
    }
    return out;
  }

  /** The project's own counters for its current billing period (all plans). */
  public NeonUsage currentPeriod() {
    JsonNode p = client.get(path(""), Map.of()).path("project");
    if (p.isMissingNode()) {
      throw new NeonApiException(200, "the Neon API's answer for project " + id + " has no 'project'");
    }
    return new NeonUsage(instant(p, "consumption_period_start"), instant(p, "consumption_period_end"),
        p.path("active_time_seconds").asLong(0), p.path("compute_time_seconds").asLong(0),
        p.path("written_data_bytes").asLong(0), p.path("data_storage_bytes_hour").asLong(0),
        p.path("synthetic_storage_size").asLong(0));
  }

  /**
   * Consumption per step ({@code hourly}, {@code daily} or {@code monthly}) from the project consumption history
   * (legacy metrics; Scale, Business and Enterprise plans), oldest first.
   */
  public List<NeonUsage> history(Instant from, Instant to, String granularity) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("project_ids", id);
    q.put("from", from.toString());
    q.put("to", to.toString());
    q.put("granularity", granularity);
    q.put("limit", "100");
    List<NeonUsage> out = new ArrayList<>();
    for (JsonNode project : client.all("/consumption_history/projects", q, "projects")) {
      if (!id.equals(project.path("project_id").asText())) {
        continue;
      }
      for (JsonNode period : project.path("periods")) {
        for (JsonNode c : period.path("consumption")) {
          out.add(new NeonUsage(instant(c, "timeframe_start"), instant(c, "timeframe_end"),
              c.path("active_time_seconds").asLong(0), c.path("compute_time_seconds").asLong(0),
              c.path("written_data_bytes").asLong(0), c.path("data_storage_bytes_hour").asLong(0), 0));
        }
      }
    }
    out.sort(java.util.Comparator.comparing(NeonUsage::from, java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())));
    return out;
  }

  private String path(String rest) {
    return "/projects/" + NeonClient.encode(id) + rest;
  }

  private static String text(JsonNode n, String field) {
    String s = n.path(field).asText("");
    if (s.isEmpty()) {
      throw new NeonApiException(200, "the Neon API left out '" + field + "' in " + NeonClient.abbreviate(n.toString()));
    }
    return s;
  }

  private static Instant instant(JsonNode n, String field) {
    String s = n.path(field).asText("");
    if (s.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new NeonApiException(200, "the Neon API's " + field + " is not a time: " + NeonClient.abbreviate(s));
    }
  }
}

package dev.pgopt.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A saved {@link StatementSnapshot}: JSON with {@code "format": "pgopt-statement-snapshot", "version": 1}, so a later
 * {@code pgopt queries --since FILE} reports what happened in between without ever resetting the statistics.
 */
public final class StatementSnapshotFile {
  public static final String FORMAT = "pgopt-statement-snapshot";
  public static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private StatementSnapshotFile() {}

  /** Writes the snapshot readable by its owner only: statement texts can hold literals, names, even secrets. */
  public static void write(StatementSnapshot s, Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(tmp);
    }
    MAPPER.writeValue(tmp.toFile(), tree(s));
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** The snapshot as JSON text (the monitor keeps its last one in the history store). */
  public static String toJson(StatementSnapshot s) {
    return tree(s).toString();
  }

  /** Reads {@link #toJson} output; text that is not a snapshot is an {@link IllegalArgumentException}. */
  public static StatementSnapshot fromJson(String json, String source) {
    try {
      return fromTree(MAPPER.readTree(json), source);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(source + " is not a pgopt statement snapshot (not JSON)");
    }
  }

  private static ObjectNode tree(StatementSnapshot s) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", VERSION);
    root.put("taken_at", s.takenAt().toString());
    root.put("database", s.database());
    root.put("dbid", s.dbId());
    root.put("server_version_num", s.serverVersionNum());
    root.put("stats_reset", s.statsReset() == null ? null : s.statsReset().toString());
    if (s.deallocations() == null) {
      root.putNull("deallocations");
    } else {
      root.put("deallocations", s.deallocations());
    }
    if (s.maxEntries() == null) {
      root.putNull("max_entries");
    } else {
      root.put("max_entries", s.maxEntries());
    }
    ArrayNode entries = root.putArray("entries");
    for (StatementEntry e : s.entries()) {
      ObjectNode n = entries.addObject();
      StatementCounters c = e.counters();
      n.put("userid", e.userId()).put("dbid", e.dbId()).put("queryid", e.queryId()).put("toplevel", e.topLevel())
          .put("user", e.user()).put("query", e.query()).put("calls", c.calls()).put("total_exec_ms", c.totalExecMs())
          .put("rows", c.rows()).put("shared_blks_hit", c.sharedBlksHit()).put("shared_blks_read", c.sharedBlksRead())
          .put("temp_blks_read", c.tempBlksRead()).put("temp_blks_written", c.tempBlksWritten())
          .put("blk_read_ms", c.blkReadMs()).put("blk_write_ms", c.blkWriteMs()).put("wal_bytes", c.walBytes());
    }
    return root;
  }

  /** Reads a snapshot; a file that is not one is an {@link IllegalArgumentException} saying so. */
  public static StatementSnapshot read(Path file) throws IOException {
    JsonNode root;
    try {
      root = MAPPER.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(file + " is not a pgopt statement snapshot (not JSON)");
    }
    return fromTree(root, file.toString());
  }

  private static StatementSnapshot fromTree(JsonNode root, String file) {
    if (root == null || !FORMAT.equals(root.path("format").asText()) || root.path("version").asInt() != VERSION) {
      throw new IllegalArgumentException(file + " is not a version " + VERSION + " pgopt statement snapshot");
    }
    List<StatementEntry> entries = new ArrayList<>();
    for (JsonNode n : root.path("entries")) {
      entries.add(new StatementEntry(n.path("userid").asLong(), n.path("dbid").asLong(), n.path("queryid").asLong(),
          n.path("toplevel").asBoolean(), n.path("user").asText(null), n.path("query").asText(),
          new StatementCounters(n.path("calls").asLong(), n.path("total_exec_ms").asDouble(), n.path("rows").asLong(),
              n.path("shared_blks_hit").asLong(), n.path("shared_blks_read").asLong(), n.path("temp_blks_read").asLong(),
              n.path("temp_blks_written").asLong(), n.path("blk_read_ms").asDouble(), n.path("blk_write_ms").asDouble(),
              n.path("wal_bytes").asLong())));
    }
    return new StatementSnapshot(Instant.parse(root.path("taken_at").asText()), root.path("database").asText(),
        root.path("dbid").asLong(), root.path("server_version_num").asInt(),
        root.path("stats_reset").isNull() || root.path("stats_reset").isMissingNode() ? null : Instant.parse(root.path("stats_reset").asText()),
        root.path("deallocations").isNumber() ? root.path("deallocations").asLong() : null,
        root.path("max_entries").isNumber() ? root.path("max_entries").asLong() : null, entries);
  }
}

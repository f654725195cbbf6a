package dev.pgopt.lifecycle;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What an archived partition holds and how to prove it: its bounds, its columns, the row count and a checksum of
 * every row, the archive file's SHA-256. Written beside the file as {@code <partition>.manifest.json}.
 *
 * @param checksum sum over rows of the first 60 bits of md5(row as text), with the session's output settings fixed
 *     (UTC, ISO dates, extra_float_digits 3), so it is the same whichever session computes it
 * @param tableBytes the partition's size on the server when archived (what a restore will take again)
 */
public record ArchiveManifest(int version, String schema, String table, String partition, String key,
                              @JsonProperty("key_type") String keyType, String from, String to, List<Column> columns,
                              long rows, String checksum, String file, @JsonProperty("file_sha256") String fileSha256,
                              @JsonProperty("file_bytes") long fileBytes, @JsonProperty("table_bytes") long tableBytes,
                              @JsonProperty("created_at") String createdAt, @JsonProperty("server_version") String serverVersion) {
  public static final int VERSION = 1;
  static final String SUFFIX = ".manifest.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public record Column(String name, String type) {}

  public ArchiveManifest {
    columns = List.copyOf(columns);
  }

  void write(Path dir) throws IOException {
    Path tmp = dir.resolve("." + partition + SUFFIX + ".tmp");
    JSON.writeValue(tmp.toFile(), this);
    Files.move(tmp, dir.resolve(partition + SUFFIX), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  public static ArchiveManifest read(Path file) {
    try {
      ArchiveManifest m = JSON.readValue(file.toFile(), ArchiveManifest.class);
      if (m.version() != VERSION) {
        throw new LifecycleException(file + " is an archive manifest of version " + m.version() + "; this pgopt reads " + VERSION);
      }
      if (m.file() == null || m.file().contains("/") || m.file().contains("\\") || m.file().startsWith(".")) {
        throw new LifecycleException(file + " names its archive file '" + m.file() + "': it must be a file beside the manifest");
      }
      return m;
    } catch (IOException e) {
      throw new LifecycleException("cannot read the archive manifest " + file + ": "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }
  }

  /** The manifests in an archive directory, oldest bound first. */
  public static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (var s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(SUFFIX) && !p.getFileName().toString().startsWith("."))
          .sorted().toList();
    } catch (IOException e) {
      throw new LifecycleException("cannot list the archive directory " + dir + ": " + e.getMessage(), e);
    }
  }
}

package dev.pgopt.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgopt.backup.internal.Checksums;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A directory of backups: {@code <repo>/<database>/<id>/} holding {@code dump/} and {@code manifest.json}. A backup is
 * written under a hidden {@code .<id>.partial} name and renamed when complete, so a backup that failed half-way is
 * never listed, restored or counted by retention. Database names are encoded for the file system ({@code ..} or
 * {@code a/b} cannot leave the repository).
 */
public final class BackupRepository {
  static final String MANIFEST = "manifest.json";
  static final String DUMP = "dump";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Path root;

  private BackupRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** An existing repository directory. */
  public static BackupRepository at(Path root) {
    if (!Files.isDirectory(root)) {
      throw new BackupException("backup repository " + root + " does not exist or is not a directory: create it, or give"
          + " another with --repo");
    }
    return new BackupRepository(root);
  }

  /** The repository directory, created when missing (with its parents). */
  public static BackupRepository create(Path root) {
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new BackupException("cannot create backup repository " + root + ": " + describe(e) + ": give a directory"
          + " pgopt can write with --repo", e);
    }
    if (!Files.isWritable(root)) {
      throw new BackupException("cannot write to backup repository " + root + ": give a directory pgopt can write with --repo");
    }
    return new BackupRepository(root);
  }

  public Path root() {
    return root;
  }

  /** The backups of {@code database}, oldest first; manifests that cannot be read are left out and named in {@code problems}. */
  public List<BackupRecord> list(String database, List<String> problems) {
    Path dir = root.resolve(encode(database));
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<BackupRecord> out = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.sorted().toList()) {
        if (p.getFileName().toString().startsWith(".") || p.getFileName().toString().equals(DRILLS) || !Files.isDirectory(p)) {
          continue;
        }
        try {
          BackupRecord b = read(p.resolve(MANIFEST));
          // the manifest is a file like any other: its id and database must be where it lies, or a changed manifest
          // could point a drill, or retention's delete, anywhere
          if (!b.id().equals(p.getFileName().toString()) || !b.database().equals(database)) {
            problems.add("backup manifest " + p.resolve(MANIFEST) + " names backup " + b.id() + " of " + b.database()
                + ", not the directory it is in");
            continue;
          }
          out.add(b);
        } catch (BackupException e) {
          problems.add(e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new BackupException("cannot list " + dir + ": " + describe(e), e);
    }
    out.sort(Comparator.comparing(BackupRecord::startedAt));
    return out;
  }

  /** The databases that have a directory here (decoded names). */
  public List<String> databases() {
    try (Stream<Path> entries = Files.list(root)) {
      return entries.filter(Files::isDirectory).map(p -> decode(p.getFileName().toString())).sorted().toList();
    } catch (IOException e) {
      throw new BackupException("cannot list " + root + ": " + describe(e), e);
    }
  }

  /** The backup {@code id} of {@code database}, or its newest when {@code id} is null or {@code latest}. */
  public Optional<BackupRecord> find(String database, String id) {
    List<BackupRecord> all = list(database, new ArrayList<>());
    if (id == null || id.equals("latest")) {
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }
    return all.stream().filter(b -> b.id().equals(id)).findFirst();
  }

  /** The newest backup of {@code database} whose snapshot is not after {@code time}: what restores the data as of then. */
  public Optional<BackupRecord> newestAtOrBefore(String database, Instant time) {
    return list(database, new ArrayList<>()).stream().filter(b -> !b.snapshotAt().isAfter(time)).reduce((a, b) -> b);
  }

  /** The directory of a complete backup. */
  public Path directory(BackupRecord b) {
    return root.resolve(encode(b.database())).resolve(b.id());
  }

  /** Where pg_dump wrote the backup's files. */
  public Path dumpDirectory(BackupRecord b) {
    return directory(b).resolve(DUMP);
  }

  /** A new, empty, hidden directory for a backup of {@code database} starting now, and its id. */
  Reservation reserve(String database, Clock clock) {
    Path dir = root.resolve(encode(database));
    try {
      Files.createDirectories(dir);
      String base = ID.format(clock.instant());
      for (int n = 1; ; n++) {
        String id = n == 1 ? base : base + "-" + n;
        if (Files.exists(dir.resolve(id))) {
          continue;
        }
        Path partial = dir.resolve("." + id + ".partial");
        try {
          Files.createDirectory(partial);
          return new Reservation(id, partial, dir.resolve(id));
        } catch (java.nio.file.FileAlreadyExistsException e) {
          // another backup started in the same second: take the next id
        }
      }
    } catch (IOException e) {
      throw new BackupException("cannot create a backup directory under " + dir + ": " + describe(e), e);
    }
  }

  /** A backup being written: {@code partial} until {@link #complete} renames it to {@code target}. */
  record Reservation(String id, Path partial, Path target) {}

  void complete(Reservation r, BackupRecord record) {
    write(r.partial().resolve(MANIFEST), record);
    try {
      Files.move(r.partial(), r.target(), StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new BackupException("cannot rename " + r.partial() + " atomically", e);
    } catch (IOException e) {
      throw new BackupException("cannot complete backup " + r.target() + ": " + describe(e), e);
    }
  }

  /** Removes a reservation that failed, with whatever it holds. */
  void abandon(Reservation r) {
    deleteTree(r.partial());
  }

  /**
   * Every file of backup {@code b} present with the SHA-256 its manifest recorded, and no other file: what a drill checks
   * first, and {@code pgopt backup verify} alone (a daily check without a restore).
   */
  public DrillReport.Check verify(BackupRecord b) {
    Path dump = dumpDirectory(b);
    if (!Files.isDirectory(dump)) {
      return new DrillReport.Check("checksums", false, "the backup's files are missing: " + dump + " is not there");
    }
    Map<String, String> actual = Checksums.of(dump);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(b.files()).entrySet()) {
      String now = actual.get(e.getKey());
      if (now == null) {
        problems.add(e.getKey() + " is missing");
      } else if (!now.equals(e.getValue())) {
        problems.add(e.getKey() + " does not match its checksum (changed or corrupted)");
      }
    }
    for (String extra : actual.keySet()) {
      if (!b.files().containsKey(extra)) {
        problems.add(extra + " is not in the manifest");
      }
    }
    if (problems.isEmpty()) {
      return new DrillReport.Check("checksums", true, b.files().size() + " files, " + b.bytes() + " bytes, all match the manifest");
    }
    return new DrillReport.Check("checksums", false, problems.size() + " of " + b.files().size() + " files: "
        + String.join("; ", problems.subList(0, Math.min(5, problems.size()))) + (problems.size() > 5 ? "; …" : ""));
  }

  /** The drill reports of a database live beside its backups, one file per drill, and survive retention. */
  static final String DRILLS = "drills";

  /** Keeps a drill's report with the database's backups (for {@code backup list} and the monitor). */
  public void recordDrill(DrillReport r) {
    Path dir = root.resolve(encode(r.database())).resolve(DRILLS);
    try {
      Files.createDirectories(dir);
      String name = ID.format(r.startedAt()) + "-" + r.backupId() + ".json";
      Path tmp = dir.resolve("." + name + ".partial");
      Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(drillJson(r)) + "\n",
          StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new BackupException("cannot record the drill in " + dir + ": " + describe(e), e);
    }
  }

  /**
   * What a recorded drill found.
   *
   * @param failed the checks that failed, each as "name: detail"
   */
  public record DrillSummary(Instant startedAt, boolean passed, Double rtoSeconds, Double rpoSeconds, String backupId,
                             List<String> failed) {}

  /** The newest recorded drill of {@code database}, the newest that passed, and the most recent ones, newest first. */
  public record Drills(Optional<DrillSummary> latest, Optional<DrillSummary> latestPassed, List<DrillSummary> recent) {}

  /** How many drills {@link Drills#recent()} holds. */
  static final int RECENT_DRILLS = 20;

  public Drills drills(String database) {
    Path dir = root.resolve(encode(database)).resolve(DRILLS);
    if (!Files.isDirectory(dir)) {
      return new Drills(Optional.empty(), Optional.empty(), List.of());
    }
    List<DrillSummary> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")
          && !p.getFileName().toString().startsWith(".")).toList()) {
        try {
          JsonNode n = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
          List<String> failed = new ArrayList<>();
          for (JsonNode c : n.path("checks")) {
            if (!c.path("passed").asBoolean()) {
              failed.add(c.path("name").asText() + ": " + c.path("detail").asText());
            }
          }
          all.add(new DrillSummary(Instant.parse(n.path("started_at").asText()), n.path("passed").asBoolean(),
              n.path("rto_seconds").isNumber() ? n.path("rto_seconds").asDouble() : null,
              n.path("rpo_seconds").isNumber() ? n.path("rpo_seconds").asDouble() : null, n.path("backup_id").asText(),
              List.copyOf(failed)));
        } catch (IOException | java.time.format.DateTimeParseException e) {
          // a report that cannot be read does not count as a drill
        }
      }
    } catch (IOException e) {
      throw new BackupException("cannot list " + dir + ": " + describe(e), e);
    }
    all.sort(Comparator.comparing(DrillSummary::startedAt).reversed());
    return new Drills(all.stream().findFirst(), all.stream().filter(DrillSummary::passed).findFirst(),
        List.copyOf(all.subList(0, Math.min(RECENT_DRILLS, all.size()))));
  }

  /** A drill report as JSON (version 1, docs/backup.md). */
  public static ObjectNode drillJson(DrillReport r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", 1);
    n.put("database", r.database());
    n.put("backup_id", r.backupId());
    n.put("backup_snapshot_at", r.backupSnapshotAt().toString());
    n.put("started_at", r.startedAt().toString());
    n.put("target", r.target().toString());
    n.put("passed", r.passed());
    if (r.rto() == null) {
      n.putNull("rto_seconds");
    } else {
      n.put("rto_seconds", r.rto().toMillis() / 1000.0);
    }
    if (r.restore() == null) {
      n.putNull("restore_seconds");
    } else {
      n.put("restore_seconds", r.restore().toMillis() / 1000.0);
    }
    if (r.rpo() == null) {
      n.putNull("rpo_seconds");
    } else {
      n.put("rpo_seconds", r.rpo().toMillis() / 1000.0);
    }
    n.put("backup_bytes", r.backupBytes());
    n.put("seconds", r.took().toMillis() / 1000.0);
    var checks = n.putArray("checks");
    for (DrillReport.Check c : r.checks()) {
      checks.addObject().put("name", c.name()).put("passed", c.passed()).put("detail", c.detail());
    }
    return n;
  }

  /** Applies {@code retention} to {@code database}'s backups; returns the ids removed. */
  public List<String> prune(String database, Retention retention, Clock clock) {
    List<BackupRecord> all = list(database, new ArrayList<>());
    List<String> removed = new ArrayList<>();
    Instant now = clock.instant();
    for (int i = 0; i < all.size() - retention.keepLast(); i++) {
      BackupRecord b = all.get(i);
      boolean tooOld = retention.maxAge() == null || b.startedAt().plus(retention.maxAge()).isBefore(now);
      if (tooOld) {
        deleteTree(directory(b));
        removed.add(b.id());
      }
    }
    return removed;
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new BackupException("cannot remove " + dir + ": " + describe(e), e);
    }
  }

  /**
   * A backup's description as JSON, without its file list: the manifest's fields that {@code backup run} and
   * {@code backup list} print too.
   */
  public static ObjectNode summaryJson(BackupRecord b) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", b.id());
    n.put("database", b.database());
    n.put("mode", b.mode());
    n.put("started_at", b.startedAt().toString());
    n.put("finished_at", b.finishedAt().toString());
    n.put("snapshot_at", b.snapshotAt().toString());
    n.put("wal_lsn", b.walLsn());
    n.put("server_version", b.serverVersion());
    n.put("tool_version", b.toolVersion());
    n.put("jobs", b.jobs());
    n.put("bytes", b.bytes());
    n.put("source", b.source());
    ObjectNode rows = n.putObject("table_rows");
    b.tableRows().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> rows.put(e.getKey(), e.getValue()));
    return n;
  }

  private static void write(Path file, BackupRecord b) {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", 1);
    n.setAll(summaryJson(b));
    ObjectNode files = n.putObject("files");
    b.files().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> files.put(e.getKey(), e.getValue()));
    try {
      Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BackupException("cannot write " + file + ": " + describe(e), e);
    }
  }

  static BackupRecord read(Path file) {
    try {
      JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (n == null || n.path("version").asInt() != 1) {
        throw new BackupException("backup manifest " + file + " has no version 1: not a pgopt backup, or from a newer pgopt");
      }
      Map<String, Long> rows = new LinkedHashMap<>();
      n.path("table_rows").properties().forEach(e -> rows.put(e.getKey(), e.getValue().asLong()));
      Map<String, String> files = new LinkedHashMap<>();
      n.path("files").properties().forEach(e -> files.put(e.getKey(), e.getValue().asText()));
      return new BackupRecord(text(n, "id", file), text(n, "database", file), text(n, "mode", file),
          Instant.parse(text(n, "started_at", file)), Instant.parse(text(n, "finished_at", file)),
          Instant.parse(text(n, "snapshot_at", file)), n.path("wal_lsn").asText(null), n.path("server_version").asText(""),
          n.path("tool_version").asText(""), n.path("jobs").asInt(1), n.path("bytes").asLong(), files, rows,
          n.path("source").asText(""));
    } catch (NoSuchFileException e) {
      throw new BackupException("backup " + file.getParent() + " has no " + MANIFEST + ": it is incomplete or not pgopt's");
    } catch (IOException | java.time.format.DateTimeParseException e) {
      throw new BackupException("cannot read backup manifest " + file + ": " + e.getMessage().split("\n")[0], e);
    }
  }

  private static String text(JsonNode n, String field, Path file) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new BackupException("backup manifest " + file + " lacks " + field);
    }
    return v.asText();
  }

  /** The database name as a directory name: letters, digits, '_' and '-' kept, every other byte as %XX. */
  static String encode(String database) {
    StringBuilder sb = new StringBuilder();
    for (byte b : database.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
        sb.append(c);
      } else {
        sb.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return sb.toString();
  }

  static String decode(String name) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '%' && i + 2 < name.length() && name.substring(i + 1, i + 3).matches("[0-9A-F]{2}")) {
        out.write(Integer.parseInt(name.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static String describe(IOException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied (" + m + ")";
    }
    if (m.contains("No space left")) {
      return "the disk is full (" + m + ")";
    }
    return m;
  }
}

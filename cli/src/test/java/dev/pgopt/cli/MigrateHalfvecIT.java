package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class MigrateHalfvecIT {
  @TempDir
  Path home;

  private CliRun run(String... args) {
    return CliRun.of(Map.of(), home, args);
  }

  @Test
  void migratesOnlineAcrossAnInterruptionWithoutLosingWrites(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE mig (id int PRIMARY KEY, embedding vector(16))",
        "INSERT INTO mig SELECT g, (SELECT array_agg(random() - 0.5)::vector(16) FROM generate_series(1, 16) WHERE g > 0)"
            + " FROM generate_series(1, 3000) g",
        "CREATE INDEX mig_hnsw ON mig USING hnsw (embedding vector_cosine_ops)", "ANALYZE mig",
        "CREATE TABLE mig_expected AS SELECT id, embedding::halfvec(16) AS h FROM mig");
    String[] base = {"vector", "migrate-halfvec", "--url", db.url(), "--table", "mig", "--column", "embedding", "--batch", "500"};

    CliRun dry = run(base);
    assertThat(dry.exitCode()).as(dry.all()).isZero();
    assertThat(dry.out()).contains("Migrate public.mig.embedding from vector(16) to halfvec(16)")
        .contains("CREATE INDEX CONCURRENTLY mig_hnsw_half ON public.mig USING hnsw (embedding_half halfvec_cosine_ops)")
        .contains("Dry run: nothing was changed.");

    CliRun paused = run(concat(base, "--execute", "--max-batches", "2"));
    assertThat(paused.exitCode()).as(paused.all()).isZero();
    assertThat(paused.out()).contains("Paused after 2 batches: 2,000 rows still to backfill");

    // Writes while the migration is paused: the trigger keeps the new column in step.
    db.execute("INSERT INTO mig SELECT g, array_fill(0.25, ARRAY[16])::vector FROM generate_series(3001, 3010) g",
        "INSERT INTO mig_expected SELECT g, array_fill(0.25, ARRAY[16])::halfvec(16) FROM generate_series(3001, 3010) g",
        "UPDATE mig SET embedding = array_fill(-0.5, ARRAY[16])::vector WHERE id = 1",
        "UPDATE mig_expected SET h = array_fill(-0.5, ARRAY[16])::halfvec(16) WHERE id = 1");

    CliRun done = run(concat(base, "--execute"));
    assertThat(done.exitCode()).as(done.all()).isZero();
    assertThat(done.out()).contains("Recall@10 on 100 held-out rows: vector").contains("Swapped: public.mig.embedding is halfvec(16).");
    try (Connection c = db.connect()) {
      assertThat(Probe.text(c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'mig'::regclass"
          + " AND attname = 'embedding'")).isEqualTo("halfvec(16)");
      assertThat(Probe.count(c, "SELECT count(*) FROM mig")).isEqualTo(3010);
      assertThat(Probe.count(c, "SELECT count(*) FROM mig m JOIN mig_expected e USING (id) WHERE m.embedding = e.h")).isEqualTo(3010);
      assertThat(Probe.exists(c, "SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = 'mig_hnsw'"
          + " AND x.indisvalid AND pg_get_indexdef(i.oid) LIKE '%halfvec_cosine_ops%'")).isTrue();
      assertThat(Probe.exists(c, "SELECT 1 FROM pg_attribute WHERE attrelid = 'mig'::regclass AND attname = 'embedding_vector_old'"))
          .isTrue();
      assertThat(Probe.exists(c, "SELECT 1 FROM pg_trigger WHERE tgrelid = 'mig'::regclass AND NOT tgisinternal")).isFalse();
    }
    CliRun again = run(concat(base, "--execute"));
    assertThat(again.out()).contains("is already halfvec");
  }

  @Test
  void migratingASecondColumnOfTheSameTableLeavesTheFirstInStep(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE two (id int PRIMARY KEY, a vector(4), b vector(4))",
        "INSERT INTO two SELECT g, ARRAY[g, 1, 2, 3]::vector, ARRAY[g, 4, 5, 6]::vector FROM generate_series(1, 1000) g");
    String[] a = {"vector", "migrate-halfvec", "--url", db.url(), "--table", "two", "--column", "a", "--batch", "100", "--execute"};
    String[] b = {"vector", "migrate-halfvec", "--url", db.url(), "--table", "two", "--column", "b", "--batch", "100", "--execute"};
    assertThat(run(concat(a, "--max-batches", "1")).out()).contains("Paused after 1 batches");
    assertThat(run(concat(b, "--max-batches", "1")).out()).contains("Paused after 1 batches");
    // both columns of a row the backfill has already copied
    db.execute("UPDATE two SET a = '[-1,-1,-1,-1]', b = '[-2,-2,-2,-2]' WHERE id = 1");
    CliRun doneA = run(a);
    assertThat(doneA.exitCode()).as(doneA.all()).isZero();
    assertThat(doneA.err()).contains("compared every row: 1,000 rows, 1,000 values, none differ");
    CliRun doneB = run(b);
    assertThat(doneB.exitCode()).as(doneB.all()).isZero();
    try (Connection c = db.connect()) {
      assertThat(Probe.text(c, "SELECT a::text || ' ' || b::text FROM two WHERE id = 1")).isEqualTo("[-1,-1,-1,-1] [-2,-2,-2,-2]");
      assertThat(Probe.count(c, "SELECT count(*) FROM two WHERE a IS DISTINCT FROM a_vector_old::halfvec(4)"
          + " OR b IS DISTINCT FROM b_vector_old::halfvec(4)")).isZero();
    }
  }

  @Test
  void aRowTheTriggerMissedIsCopiedBeforeTheSwap(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE missed (id int PRIMARY KEY, e vector(4))",
        "INSERT INTO missed SELECT g, ARRAY[g, 1, 2, 3]::vector FROM generate_series(1, 500) g");
    String[] base = {"vector", "migrate-halfvec", "--url", db.url(), "--table", "missed", "--column", "e", "--batch", "100", "--execute"};
    assertThat(run(concat(base, "--max-batches", "1")).out()).contains("Paused after 1 batches");
    // a write the sync trigger does not see (as when another tool replaced or disabled it)
    db.execute("ALTER TABLE missed DISABLE TRIGGER USER", "UPDATE missed SET e = '[9,9,9,9]' WHERE id = 1",
        "ALTER TABLE missed ENABLE TRIGGER USER");
    CliRun done = run(base);
    assertThat(done.exitCode()).as(done.all()).isZero();
    try (Connection c = db.connect()) {
      assertThat(Probe.text(c, "SELECT e::text FROM missed WHERE id = 1")).isEqualTo("[9,9,9,9]");
    }
  }

  @Test
  void refusesValuesOutsideTheHalfvecRange(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE big (id int PRIMARY KEY, embedding vector(3))",
        "INSERT INTO big VALUES (1, '[1,2,3]'), (2, '[100000,0,0]')");
    CliRun r = run("vector", "migrate-halfvec", "--url", db.url(), "--table", "big", "--column", "embedding", "--execute");
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.err()).contains("1 rows of public.big.embedding hold values outside halfvec's range (±65,504)")
        .contains("Nothing was changed");
    try (Connection c = db.connect()) {
      assertThat(Probe.exists(c, "SELECT 1 FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'embedding_half'"))
          .isFalse();
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}

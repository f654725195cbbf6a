package dev.pgopt.collect.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.local.ServiceUser;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Detection on a server of its own (roles are cluster-wide: the shared one must not gain rds_superuser), dressed per
 * test as each platform shows itself: settings under its prefix, its roles, its schemas, functions and views. The
 * same server with none of that, or with one clue alone, is self-managed.
 */
class PlatformDetectorIT {
  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("pgopt-platform-");
    ServiceUser.createPrivateDirectory(dir);
    cluster = TestCluster.startPrimary(dir, "platform-pw");
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static PlatformProfile detect(TestDatabase db, String host) throws Exception {
    try (Connection c = db.connect()) {
      return PlatformDetector.detect(c, host);
    }
  }

  @Test
  void aPlainServerIsSelfManaged() throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      assertThat(detect(db, "db.internal.example").platform()).isEqualTo(Platform.SELF_MANAGED);
      assertThat(detect(db, "127.0.0.1").evidence()).isEmpty();
    }
  }

  @Test
  void oneClueAloneIsNotAPlatform() throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // PostgREST on a self-managed server has an authenticator role too
      cluster.execute("postgres", "CREATE ROLE authenticator NOLOGIN");
      try {
        assertThat(detect(db, "localhost").platform()).isEqualTo(Platform.SELF_MANAGED);
      } finally {
        cluster.execute("postgres", "DROP ROLE authenticator");
      }
    }
  }

  @Test
  void neonBySettingsRoleAndTheCacheView() throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      cluster.execute("postgres", "CREATE ROLE neon_superuser NOLOGIN",
          "ALTER DATABASE " + db.name() + " SET neon.timeline_id = 'f3b1c0de'");
      try {
        PlatformProfile p = detect(db, "localhost");
        assertThat(p.platform()).isEqualTo(Platform.NEON);
        assertThat(p.evidence()).contains("settings neon.*", "role neon_superuser");
        assertThat(p.platform().alterSystemAllowed()).isFalse();
      } finally {
        cluster.execute("postgres", "DROP ROLE neon_superuser");
      }
    }
  }

  @Test
  void theHostNameAloneIsEnoughForItsPlatform() throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      assertThat(detect(db, "ep-cool-darkness-123456.us-east-2.aws.neon.tech").platform()).isEqualTo(Platform.NEON);
      assertThat(detect(db, "db.abcdefghijklmnop.supabase.co").platform()).isEqualTo(Platform.SUPABASE);
      assertThat(detect(db, "mydb.c9akciq32.us-east-1.rds.amazonaws.com").platform()).isEqualTo(Platform.RDS);
      assertThat(detect(db, "mydb.cluster-c9akciq32.us-east-1.rds.amazonaws.com").platform()).isEqualTo(Platform.AURORA);
      // a look-alike is not the platform's host
      assertThat(detect(db, "neon.tech.attacker.example").platform()).isEqualTo(Platform.SELF_MANAGED);
    }
  }

  @Test
  void supabaseByRolesAndItsSchemas() throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      cluster.execute("postgres", "CREATE ROLE supabase_admin NOLOGIN", "CREATE ROLE authenticator NOLOGIN");
      db.execute("CREATE SCHEMA auth", "CREATE SCHEMA storage");
      try {
        PlatformProfile p = detect(db, "localhost");
        assertThat(p.platform()).isEqualTo(Platform.SUPABASE);
        assertThat(p.evidence()).contains("role supabase_admin", "role authenticator", "schemas auth and storage");
      } finally {
        cluster.execute("postgres", "DROP ROLE supabase_admin", "DROP ROLE authenticator");
      }
    }
  }

  @Test
  void rdsAndAuroraAreToldApartByAuroraFunction() throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      cluster.execute("postgres", "CREATE ROLE rds_superuser NOLOGIN",
          "ALTER DATABASE " + db.name() + " SET rds.force_ssl = '1'");
      try {
        PlatformProfile rds = detect(db, "10.0.0.5");
        assertThat(rds.platform()).isEqualTo(Platform.RDS);
        assertThat(rds.evidence()).contains("role rds_superuser", "settings rds.*");
        db.execute("CREATE FUNCTION aurora_version() RETURNS text LANGUAGE sql AS $$SELECT '15.4.1'$$");
        PlatformProfile aurora = detect(db, "10.0.0.5");
        assertThat(aurora.platform()).isEqualTo(Platform.AURORA);
        assertThat(aurora.evidence()).contains("function aurora_version()", "role rds_superuser");
      } finally {
        cluster.execute("postgres", "DROP ROLE rds_superuser");
      }
    }
  }

  @Test
  void theNeonCacheIsReadFromTheExtensionsObjectsOnly() throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      try (Connection c = db.connect()) {
        assertThat(NeonCacheStats.read(c)).isEmpty();
      }
      // what the neon extension creates, as a superuser-owned stand-in: 1 GiB touched in the last hour
      db.execute("CREATE SCHEMA neon",
          "CREATE VIEW neon.neon_stat_file_cache AS SELECT 9900::bigint AS file_cache_misses, 90100::bigint AS"
              + " file_cache_hits, 1000::bigint AS file_cache_used, 10::bigint AS file_cache_writes,"
              + " 90.10::numeric AS file_cache_hit_ratio",
          "CREATE FUNCTION neon.approximate_working_set_size_seconds(duration integer DEFAULT NULL) RETURNS integer"
              + " LANGUAGE sql AS $$SELECT 131072$$");
      try (Connection c = db.connect()) {
        NeonCacheStats s = NeonCacheStats.read(c).orElseThrow();
        assertThat(s.hits()).isEqualTo(90100);
        assertThat(s.misses()).isEqualTo(9900);
        assertThat(s.hitRatio()).contains(90.1);
        assertThat(s.workingSetBytes()).contains(1L << 30);
      }
      // a function of the same name planted by a role without superuser is never called
      cluster.execute("postgres", "CREATE ROLE planter LOGIN");
      try {
        db.execute("DROP FUNCTION neon.approximate_working_set_size_seconds(integer)", "CREATE SCHEMA planted AUTHORIZATION planter",
            "SET ROLE planter", "CREATE FUNCTION planted.approximate_working_set_size_seconds(integer) RETURNS integer"
                + " LANGUAGE sql AS $$SELECT 1$$", "RESET ROLE");
        try (Connection c = db.connect()) {
          assertThat(NeonCacheStats.read(c).orElseThrow().workingSetBytes()).isEmpty();
        }
      } finally {
        db.execute("DROP SCHEMA planted CASCADE");
        cluster.execute("postgres", "DROP ROLE planter");
      }
    }
  }
}

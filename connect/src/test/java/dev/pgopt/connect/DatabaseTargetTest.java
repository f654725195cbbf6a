package dev.pgopt.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTargetTest {
  @TempDir
  Path home;

  private DatabaseTarget parse(String url) throws InvalidTargetException {
    return DatabaseTarget.parse(url, Environment.of(Map.of(), home, "alice"));
  }

  private DatabaseTarget parse(String url, Map<String, String> env) throws InvalidTargetException {
    return DatabaseTarget.parse(url, Environment.of(env, home, "alice"));
  }

  @Test
  void neonUrl() throws Exception {
    DatabaseTarget t = parse("postgresql://neondb_owner:npg_S3cr%40t@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require");
    assertThat(t.endpoints()).containsExactly(new Endpoint("ep-cool-darkness-123456.us-east-2.aws.neon.tech", 5432));
    assertThat(t.user()).isEqualTo("neondb_owner");
    assertThat(t.password()).contains("npg_S3cr@t");
    assertThat(t.database()).isEqualTo("neondb");
    assertThat(t.setting("sslmode")).contains("require");
    assertThat(t.setting("channel_binding")).contains("require");
    assertThat(t.display()).doesNotContain("S3cr").contains("neondb_owner:****@");
  }

  @Test
  void supabasePoolerUrlWithPrismaParameters() throws Exception {
    DatabaseTarget t = parse("postgres://postgres.abcdefghijklmnop:pa%24%24word@aws-0-us-east-1.pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1");
    assertThat(t.user()).isEqualTo("postgres.abcdefghijklmnop");
    assertThat(t.password()).contains("pa$$word");
    assertThat(t.endpoints()).containsExactly(new Endpoint("aws-0-us-east-1.pooler.supabase.com", 6543));
    assertThat(t.settings()).isEmpty();
  }

  @Test
  void rdsUrlWithRootCertificate() throws Exception {
    DatabaseTarget t = parse("postgres://app@mydb.c9akciq32.eu-west-1.rds.amazonaws.com:5432/app?sslmode=verify-full&sslrootcert=/etc/ssl/rds-global-bundle.pem");
    assertThat(t.setting("sslmode")).contains("verify-full");
    assertThat(t.setting("sslrootcert")).contains("/etc/ssl/rds-global-bundle.pem");
    assertThat(t.password()).isEmpty();
    assertThat(t.passwordSource()).isEqualTo(DatabaseTarget.PasswordSource.NONE);
  }

  @Test
  void severalHostsAndIpv6() throws Exception {
    DatabaseTarget t = parse("postgresql://u@db1:5433,db2,[::1]:6000/app?target_session_attrs=read-write");
    assertThat(t.endpoints()).containsExactly(new Endpoint("db1", 5433), new Endpoint("db2", 5432), new Endpoint("::1", 6000));
    assertThat(t.display()).startsWith("postgres://u@db1:5433,db2:5432,[::1]:6000/app");
  }

  @Test
  void hostAndPortAsQueryParameters() throws Exception {
    DatabaseTarget t = parse("postgresql:///app?host=a,b&port=5433,5434&user=bob");
    assertThat(t.endpoints()).containsExactly(new Endpoint("a", 5433), new Endpoint("b", 5434));
    assertThat(t.user()).isEqualTo("bob");
  }

  @Test
  void defaultsComeFromTheLibpqEnvironment() throws Exception {
    DatabaseTarget t = parse("postgres://", Map.of("PGHOST", "db.internal", "PGPORT", "6432", "PGUSER", "svc",
        "PGDATABASE", "prod", "PGSSLMODE", "require", "PGPASSWORD", "from-env"));
    assertThat(t.endpoints()).containsExactly(new Endpoint("db.internal", 6432));
    assertThat(t.user()).isEqualTo("svc");
    assertThat(t.database()).isEqualTo("prod");
    assertThat(t.setting("sslmode")).contains("require");
    assertThat(t.password()).contains("from-env");
    assertThat(t.passwordSource()).isEqualTo(DatabaseTarget.PasswordSource.PGPASSWORD);
    assertThat(parse("postgres://h").user()).isEqualTo("alice");
    assertThat(parse("postgres://h").database()).isEqualTo("alice");
  }

  @Test
  void urlPasswordWinsOverPgpasswordWhichWinsOverPgpass() throws Exception {
    writePgpass("*:*:*:*:from-file\n", "rw-------");
    assertThat(parse("postgres://u:from-url@h/d", Map.of("PGPASSWORD", "from-env")).password()).contains("from-url");
    assertThat(parse("postgres://u@h/d", Map.of("PGPASSWORD", "from-env")).password()).contains("from-env");
    DatabaseTarget t = parse("postgres://u@h/d");
    assertThat(t.password()).contains("from-file");
    assertThat(t.passwordSource()).isEqualTo(DatabaseTarget.PasswordSource.PGPASS_FILE);
  }

  @Test
  void pgpassMatchesFieldsWildcardsAndEscapes() throws Exception {
    writePgpass("""
        # comment
        other:5432:*:u:wrong
        db.example.com:5433:app:u:right\\:with\\\\escapes
        *:*:*:*:fallback
        """, "rw-------");
    assertThat(parse("postgres://u@db.example.com:5433/app").password()).contains("right:with\\escapes");
    assertThat(parse("postgres://u@db.example.com:5432/app").password()).contains("fallback");
  }

  @Test
  void pgpassFromPgpassfileAndIgnoredWhenOthersCanReadIt() throws Exception {
    Path custom = home.resolve("custom-pgpass");
    Files.writeString(custom, "*:*:*:*:custom\n");
    Files.setPosixFilePermissions(custom, PosixFilePermissions.fromString("rw-r--r--"));
    DatabaseTarget t = parse("postgres://u@h/d", Map.of("PGPASSFILE", custom.toString()));
    assertThat(t.password()).isEmpty();
    assertThat(t.warnings()).singleElement().asString().contains("group or world access").contains("chmod 0600");
    Files.setPosixFilePermissions(custom, PosixFilePermissions.fromString("rw-------"));
    assertThat(parse("postgres://u@h/d", Map.of("PGPASSFILE", custom.toString())).password()).contains("custom");
  }

  @Test
  void jdbcUrls() throws Exception {
    DatabaseTarget t = parse("jdbc:postgresql://h1:5433,h2/app?user=bob&password=s3cret&sslmode=require&connectTimeout=3&reWriteBatchedInserts=true");
    assertThat(t.endpoints()).containsExactly(new Endpoint("h1", 5433), new Endpoint("h2", 5432));
    assertThat(t.user()).isEqualTo("bob");
    assertThat(t.password()).contains("s3cret");
    assertThat(t.setting("connect_timeout")).contains("3");
    assertThat(t.jdbcProperties()).containsEntry("reWriteBatchedInserts", "true");
    assertThat(parse("jdbc:postgresql://h/app?ssl=true").setting("sslmode")).contains("verify-full");
    assertThat(parse("jdbc:postgresql:app").database()).isEqualTo("app");
  }

  @Test
  void keywordValueStrings() throws Exception {
    DatabaseTarget t = parse("host=db port=6543 dbname=app user=bob password='it\\'s a secret' sslmode=require");
    assertThat(t.endpoints()).containsExactly(new Endpoint("db", 6543));
    assertThat(t.password()).contains("it's a secret");
    assertThat(t.setting("sslmode")).contains("require");
  }

  @Test
  void malformedInputIsRejectedWithoutEchoingIt() {
    Map<String, String> cases = new HashMap<>();
    cases.put("mysql://u:topsecret@h/d", "unsupported URL scheme");
    cases.put("postgres://u:topsecret@h:99999/d", "invalid port");
    cases.put("postgres://u:topsecret@h:abc/d", "invalid port");
    cases.put("postgres://u:top%zzsecret@h/d", "invalid percent-encoding in the password");
    cases.put("postgres://u:topsecret@h/d?sslmode=sometimes", "invalid sslmode");
    cases.put("postgres://u:topsecret@h/d?frobnicate=1", "unknown connection parameter 'frobnicate'");
    cases.put("postgres://u:topsecret@[::1/d", "unclosed '['");
    cases.put("just some words topsecret", "not a connection URL");
    cases.put("host=h password='topsecret", "unterminated quoted value");
    cases.put("postgres://u:topsecret@%2Fvar%2Frun/d", "Unix-domain sockets are not supported");
    cases.put("", "empty connection string");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      assertThatThrownBy(() -> parse(c.getKey())).as(c.getKey())
          .isInstanceOf(InvalidTargetException.class)
          .hasMessageContaining(c.getValue())
          .message().doesNotContain("topsecret");
    }
  }

  @Test
  void displayNeverShowsThePasswordWhateverItsSource() throws Exception {
    for (DatabaseTarget t : List.of(parse("postgres://u:hunter22@h/d"), parse("postgres://u@h/d", Map.of("PGPASSWORD", "hunter22")),
        parse("jdbc:postgresql://h/d?user=u&password=hunter22"))) {
      assertThat(t.display()).doesNotContain("hunter22");
      assertThat(t.toString()).doesNotContain("hunter22");
    }
  }

  private void writePgpass(String content, String perms) throws Exception {
    Path f = home.resolve(".pgpass");
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
  }
}

package dev.pgopt.advise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgopt.advise.rules.ConnectionRules;
import dev.pgopt.advise.whatif.IndexBudget;
import dev.pgopt.connect.DatabaseTarget;
import dev.pgopt.connect.Environment;
import dev.pgopt.connect.Session;
import dev.pgopt.connect.SessionOptions;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.Probe;
import dev.pgopt.testkit.TestCluster;
import dev.pgopt.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every rule: the problem planted, the finding asserted; and no finding where there is no problem. */
@ExtendWith(PostgresExtension.class)
class AdvisorIT {
  private static final Predicate<String> ALL = id -> true;

  static Advisor.Advice advise(TestDatabase db) throws Exception {
    return advise(db, Advisor.standardRules(10, IndexBudget.DEFAULT));
  }

  static Advisor.Advice advise(TestDatabase db, List<Rule> rules) throws Exception {
    DatabaseTarget t = DatabaseTarget.parse(db.url(), Environment.of(Map.of(), Path.of("/nonexistent"), "nobody"));
    try (Session s = Session.open(t, SessionOptions.defaults())) {
      return new Advisor(rules, Clock.systemUTC()).run(s, Map.of(), Map.of(), ALL);
    }
  }

  static List<Finding> of(Advisor.Advice a, String rule) {
    return a.findings().stream().filter(f -> f.rule().equals(rule)).toList();
  }

  @Test
  void aCleanDatabaseGetsNoFindings(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, email text UNIQUE, plan text)",
          "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id), total numeric)",
          "CREATE INDEX orders_account_id ON orders (account_id)",
          "INSERT INTO accounts SELECT g, 'a' || g || '@example.com', 'free' FROM generate_series(1, 5000) g",
          "INSERT INTO orders SELECT g, 1 + g % 5000, g FROM generate_series(1, 20000) g", "ANALYZE");
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.executeQuery("SELECT * FROM orders WHERE account_id = 7").close();
        s.executeQuery("SELECT * FROM accounts WHERE id = 7").close();
      }
      Advisor.Advice a = advise(db);
      assertThat(a.findings()).as(a.findings().toString())
          .filteredOn(f -> !f.rule().startsWith("config.")).isEmpty();
    }
  }

  @Test
  void unusedIndexButNeverOneThatBacksAConstraint(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE items (id int PRIMARY KEY, sku text UNIQUE, note text)", "CREATE INDEX items_note ON items (note)",
          "CREATE UNIQUE INDEX items_sku_lower ON items (lower(sku))",
          "INSERT INTO items SELECT g, 's' || g, 'n' || g FROM generate_series(1, 2000) g");
      List<Finding> unused = of(advise(db), "index.unused");
      assertThat(unused).extracting(f -> f.object().index()).containsExactly("items_note");
      Finding f = unused.get(0);
      assertThat(f.action().sql()).isEqualTo("DROP INDEX CONCURRENTLY public.items_note;");
      assertThat(f.action().undoSql()).isEqualTo("CREATE INDEX CONCURRENTLY items_note ON public.items USING btree (note);");
      assertThat(f.evidence()).containsKey("observed_days").containsEntry("idx_scan", 0L);
      // short observation windows are only information
      assertThat(f.severity()).isEqualTo(Finding.Severity.INFO);
    }
  }

  @Test
  void duplicateAndRedundantIndexes(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE t (a int, b int, c int, CONSTRAINT t_a_b_key UNIQUE (a, b))",
          "CREATE INDEX t_c_1 ON t (c)", "CREATE INDEX t_c_2 ON t (c)",
          "CREATE INDEX t_a ON t (a)", "CREATE INDEX t_a_b_dup ON t (a, b)",
          "CREATE UNIQUE INDEX t_b_unique ON t (b)", "CREATE INDEX t_b_c ON t (b, c)",
          "CREATE INDEX t_c_partial ON t (c) WHERE c > 0");
      Advisor.Advice a = advise(db);
      List<Finding> dup = of(a, "index.duplicate");
      assertThat(dup).extracting(f -> f.object().index()).containsExactly("t_c_2");
      assertThat(dup.get(0).evidence()).containsEntry("duplicate_of", "public.t_c_1");
      List<Finding> redundant = of(a, "index.redundant");
      // t_a is a prefix of the constraint's index; t_a_b_dup equals it but is not unique: both can go.
      // t_b_unique enforces uniqueness, the partial index has another predicate: neither is proposed.
      assertThat(redundant).extracting(f -> f.object().index()).containsExactlyInAnyOrder("t_a", "t_a_b_dup");
      assertThat(a.findings()).noneMatch(f -> f.action() != null && f.action().sql().contains("t_a_b_key"));
    }
  }

  @Test
  void findingsThatProposeTheSameIndexAreOneAndNothingIsRebuiltThatIsDropped(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE parent (id int PRIMARY KEY)", "INSERT INTO parent SELECT g FROM generate_series(1, 1000) g",
          "CREATE TABLE child (id int, parent_id int REFERENCES parent (id), pad text)",
          "INSERT INTO child SELECT g, 1 + g % 1000, repeat('x', 40) FROM generate_series(1, 150000) g",
          "CREATE TABLE churn (a int, c int, pad text)",
          "INSERT INTO churn SELECT g, g, repeat('y', 20) FROM generate_series(1, 300000) g",
          "CREATE INDEX churn_a ON churn (a)", "CREATE INDEX churn_a_c ON churn (a, c)",
          "DELETE FROM churn WHERE a % 20 <> 0", "VACUUM ANALYZE churn", "ANALYZE");
      try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT * FROM child WHERE parent_id = ?")) {
        // the load is history: what counts is the reading workload that follows
        c.createStatement().execute("SELECT pg_stat_reset(), pg_stat_statements_reset()");
        for (int i = 0; i < 200; i++) {
          ps.setInt(1, i + 1);
          ps.executeQuery().close();
        }
      }
      Advisor.Advice a = advise(db);
      List<Finding> builds = a.findings().stream().filter(f -> f.action() != null
          && f.action().sql().matches("(?s)CREATE INDEX CONCURRENTLY \\S+ ON public\\.child \\(parent_id\\);.*")).toList();
      assertThat(builds).as(a.findings().stream().map(Finding::id).toList() + " " + a.notes()).singleElement()
          .satisfies(f -> assertThat(f.answersTo("index.fk_missing:public.child(parent_id)")).isTrue())
          .satisfies(f -> assertThat(f.answersTo("index.missing:public.child(parent_id)")).isTrue());
      assertThat(of(a, "index.redundant")).extracting(f -> f.object().index()).contains("churn_a");
      assertThat(a.findings().stream().filter(f -> f.action() != null && f.action().sql().equals("DROP INDEX CONCURRENTLY public.churn_a;")))
          .as("index.unused and index.redundant both drop churn_a: one finding").singleElement()
          .satisfies(f -> assertThat(f.answersTo("index.unused:public.churn_a")).isTrue());
      assertThat(a.findings()).noneMatch(f -> f.rule().equals("index.bloat") && "churn_a".equals(f.object().index()));
      assertThat(a.notes()).anyMatch(n -> n.startsWith("index.bloat:public.churn_a left out: it rebuilds public.churn_a"));
    }
  }

  @Test
  void theWhatIfSearchDoesNotFloodPgStatStatements(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase(); Connection c = db.connect(); Statement s = c.createStatement()) {
      for (int i = 0; i < 15; i++) {
        db.execute("CREATE TABLE w" + i + " (id int PRIMARY KEY, a int, b int)",
            "INSERT INTO w" + i + " SELECT g, g % 300, g % 7 FROM generate_series(1, 20000) g");
      }
      db.execute("ANALYZE");
      s.execute("SELECT pg_stat_reset(), pg_stat_statements_reset()");
      for (int i = 0; i < 15; i++) {
        for (int k = 0; k < 5; k++) {
          s.executeQuery("SELECT count(*) FROM w" + i + " WHERE a = " + k).close();
          s.executeQuery("SELECT id FROM w" + i + " WHERE b = " + k + " ORDER BY a LIMIT 5").close();
        }
      }
      String entries = "SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())";
      long before = Probe.count(c, entries);
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, IndexBudget.DEFAULT)));
      long plans = a.notes().stream().filter(n -> n.startsWith("index.missing:") && n.contains("what-if plans"))
          .map(n -> n.replaceAll(".* (\\d+) what-if plans.*", "$1")).mapToLong(Long::parseLong).findFirst().orElse(0);
      assertThat(plans).as(a.notes().toString()).isGreaterThan(60);
      // each distinct EXPLAIN text is an entry: pgopt's plans must not push the workload out
      assertThat(Probe.count(c, entries) - before).as("entries added by one advise run").isLessThan(plans / 3);
    }
  }

  @Test
  void invalidIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase(); Connection c = db.connect()) {
      db.execute("CREATE TABLE emails (address text)", "INSERT INTO emails VALUES ('a'), ('a')");
      try {
        c.createStatement().execute("CREATE UNIQUE INDEX CONCURRENTLY emails_address ON emails (address)");
      } catch (java.sql.SQLException expected) {
        // leaves the invalid index behind
      }
      // with duplicate keys a rebuild would fail after the drop and leave no unique index: no rebuild, the duplicates
      List<Finding> f = of(advise(db), "index.invalid");
      assertThat(f).singleElement().satisfies(x -> {
        assertThat(x.action()).isNull();
        assertThat(x.title()).contains("1 key value(s) occur more than once");
        assertThat(x.evidence().get("duplicate_keys")).isEqualTo(1L);
        assertThat((String) x.evidence().get("duplicates_query")).contains("GROUP BY address HAVING count(*) > 1");
      });
      assertThat(of(advise(db), "index.unused")).isEmpty();
      db.execute("DELETE FROM emails WHERE ctid = (SELECT max(ctid) FROM emails)");
      assertThat(of(advise(db), "index.invalid")).singleElement().satisfies(x -> assertThat(x.action().sql())
          .startsWith("CREATE UNIQUE INDEX CONCURRENTLY emails_address_pgopt_new ON public.emails")
          .contains("DROP INDEX CONCURRENTLY public.emails_address;")
          .endsWith("ALTER INDEX public.emails_address_pgopt_new RENAME TO emails_address;"));
    }
  }

  @Test
  void foreignKeyWithoutIndexWhenTheParentChanges(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE \"Child Rows\" (id int, \"Parent Id\" int REFERENCES parent (id))",
          "INSERT INTO parent SELECT g FROM generate_series(1, 100) g",
          "INSERT INTO \"Child Rows\" SELECT g, 1 + g % 99 FROM generate_series(1, 5000) g", "ANALYZE",
          "DELETE FROM parent WHERE id = 100");
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'parent' AND n_tup_del > 0"));
      }
      List<Finding> f = of(advise(db), "index.fk_missing");
      assertThat(f).singleElement().satisfies(x -> {
        assertThat(x.object().columns()).containsExactly("Parent Id");
        assertThat(x.action().sql()).isEqualTo("CREATE INDEX CONCURRENTLY \"Child Rows_Parent Id_idx\" ON public.\"Child Rows\" (\"Parent Id\");");
        assertThat(x.action().undoSql()).isEqualTo("DROP INDEX CONCURRENTLY public.\"Child Rows_Parent Id_idx\";");
      });
      db.execute(f.get(0).action().sql());
      assertThat(of(advise(db), "index.fk_missing")).isEmpty();
    }
  }

  @Test
  void vacuumNamesWhatHoldsCleanupBack(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase(); Connection holder = db.connect(); Connection c = db.connect()) {
      db.execute("CREATE TABLE churn (id int, v int) WITH (autovacuum_enabled = false)",
          "INSERT INTO churn SELECT g, 0 FROM generate_series(1, 4000) g");
      holder.setAutoCommit(false);
      holder.createStatement().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      holder.createStatement().executeQuery("SELECT count(*) FROM churn").close();
      int pid = (int) Probe.count(holder, "SELECT pg_backend_pid()");
      try (Statement s = c.createStatement()) {
        for (int i = 0; i < 1100; i++) {
          s.execute("SELECT txid_current()");
        }
        s.execute("UPDATE churn SET v = 1");
      }
      Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'churn' AND n_dead_tup >= 4000"));
      List<Finding> f = of(advise(db), "table.vacuum");
      assertThat(f).singleElement().satisfies(x -> {
        assertThat(x.severity()).isEqualTo(Finding.Severity.CRITICAL);
        assertThat(x.title()).contains("public.churn is 50").contains("held back by transaction pid " + pid)
            .contains("autovacuum is disabled for it");
        assertThat(x.action().sql()).isEqualTo("VACUUM (VERBOSE, ANALYZE) public.churn;");
      });
      holder.rollback();
    }
  }

  @Test
  void aTableAutovacuumNeverVisitsIsReportedWithFewerDeadRows(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase(); Connection c = db.connect()) {
      db.execute("CREATE TABLE quiet (id int, v int) WITH (autovacuum_enabled = false)",
          "INSERT INTO quiet SELECT g, 0 FROM generate_series(1, 40000) g", "VACUUM ANALYZE quiet",
          "DELETE FROM quiet WHERE id <= 2000",
          "CREATE TABLE busy (id int, v int)", "INSERT INTO busy SELECT g, 0 FROM generate_series(1, 40000) g",
          "VACUUM ANALYZE busy", "DELETE FROM busy WHERE id <= 2000");
      Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'quiet' AND n_dead_tup >= 2000"));
      // 5 % dead: below the 20 % that autovacuum-driven tables need, but nothing will ever clean this one
      assertThat(of(advise(db), "table.vacuum")).singleElement().satisfies(x -> {
        assertThat(x.object().table()).isEqualTo("quiet");
        assertThat(x.severity()).isEqualTo(Finding.Severity.INFO);
        assertThat(x.title()).contains("autovacuum is disabled for it")
            .contains("ALTER TABLE public.quiet RESET (autovacuum_enabled)");
      });
    }
  }

  @Test
  void staleStatisticsAndSequencesNearTheirEnd(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE stale (id int) WITH (autovacuum_enabled = false)",
          "INSERT INTO stale SELECT g FROM generate_series(1, 5000) g",
          "CREATE TABLE tickets (id integer GENERATED BY DEFAULT AS IDENTITY, note text)",
          "SELECT setval(pg_get_serial_sequence('tickets', 'id'), 2100000000)",
          "CREATE SEQUENCE half_seq MAXVALUE 1000", "SELECT setval('half_seq', 600)");
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'stale' AND n_mod_since_analyze >= 5000"));
      }
      Advisor.Advice a = advise(db);
      assertThat(of(a, "table.analyze")).singleElement().satisfies(x -> {
        assertThat(x.object().table()).isEqualTo("stale");
        assertThat(x.action().sql()).isEqualTo("ANALYZE public.stale;");
        // never analyzed: the planner's count is far from the live rows, and nothing will analyze it
        assertThat(x.title()).contains("the planner counts 0 rows in it, the table holds 5,000")
            .contains("autovacuum is disabled for it");
      });
      // analyzed a moment ago, then changed: autoanalyze is not coming, so no grace period
      db.execute("ANALYZE stale", "INSERT INTO stale SELECT g FROM generate_series(1, 5000) g");
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'stale' AND n_mod_since_analyze >= 5000"));
      }
      assertThat(of(advise(db), "table.analyze")).singleElement()
          .satisfies(x -> assertThat(x.title()).contains("5,000 rows modified since it was last analyzed"));
      List<Finding> seq = of(a, "sequence.exhaustion");
      assertThat(seq).extracting(Finding::severity).containsExactlyInAnyOrder(Finding.Severity.CRITICAL, Finding.Severity.INFO);
      Finding tickets = seq.stream().filter(x -> x.severity() == Finding.Severity.CRITICAL).findFirst().orElseThrow();
      assertThat(tickets.object().table()).isEqualTo("tickets");
      assertThat(tickets.object().columns()).containsExactly("id");
      assertThat(tickets.action().sql()).contains("ALTER TABLE public.tickets ALTER COLUMN id TYPE bigint");
      assertThat(tickets.action().risk()).isEqualTo("high");
      assertThat(tickets.action().online()).isFalse();
    }
  }

  @Test
  void sessionsIdleInATransaction(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase(); Connection idle = db.connect()) {
      idle.setAutoCommit(false);
      idle.createStatement().executeQuery("SELECT 1").close();
      Thread.sleep(300);
      List<Rule> rules = List.of(new ConnectionRules(Duration.ofMillis(200), 70));
      List<Finding> f = of(advise(db, rules), "connection.idle_in_transaction");
      assertThat(f).singleElement().satisfies(x -> {
        assertThat(x.action().sql()).isEqualTo("ALTER ROLE pgopt_test SET idle_in_transaction_session_timeout = '5min';");
        assertThat(x.action().undoSql()).isEqualTo("ALTER ROLE pgopt_test RESET idle_in_transaction_session_timeout;");
      });
      idle.rollback();
    }
  }

  @Test
  void tablesNearingTheirForcedFreeze(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE old (id int) WITH (autovacuum_freeze_max_age = 100000)", "INSERT INTO old VALUES (1)",
          "CREATE TABLE young (id int)", "INSERT INTO young VALUES (1)",
          "CREATE PROCEDURE burn(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$",
          "CALL burn(90000)");
      List<Finding> soon = of(advise(db, List.of(new dev.pgopt.advise.rules.WraparoundRule())), "xid.wraparound");
      assertThat(soon).singleElement().satisfies(f -> {
        assertThat(f.object().table()).isEqualTo("old");
        assertThat(f.severity()).isEqualTo(Finding.Severity.WARNING);
        assertThat(f.action().sql()).isEqualTo("VACUUM (FREEZE, VERBOSE) public.old;");
      });
      db.execute("CALL burn(40000)");
      assertThat(of(advise(db, List.of(new dev.pgopt.advise.rules.WraparoundRule())), "xid.wraparound"))
          .singleElement().satisfies(f -> assertThat(f.severity()).isEqualTo(Finding.Severity.CRITICAL));
      db.execute("VACUUM (FREEZE) old");
      assertThat(of(advise(db, List.of(new dev.pgopt.advise.rules.WraparoundRule())), "xid.wraparound")).isEmpty();
    }
  }

  @Test
  void settingsBackedByEvidence(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("ALTER DATABASE " + db.name() + " SET track_io_timing = off",
          "ALTER DATABASE " + db.name() + " SET maintenance_work_mem = '1MB'",
          "CREATE TABLE wide (id int, pad text)", "INSERT INTO wide SELECT g, md5(g::text) FROM generate_series(1, 150000) g",
          "CREATE INDEX wide_pad ON wide (pad)");
      for (int i = 0; i < 10; i++) {
        cluster.execute("postgres", "CHECKPOINT");
      }
      DatabaseTarget t = DatabaseTarget.parse(db.url(), Environment.of(Map.of(), Path.of("/nonexistent"), "nobody"));
      Advisor.Advice a;
      try (Session s = Session.open(t, SessionOptions.defaults())) {
        a = new Advisor(List.of(new dev.pgopt.advise.rules.ConfigRules()), Clock.systemUTC())
            .run(s, Map.of(), Map.of("memory_bytes", Long.toString(64L << 30), "storage", "ssd"), ALL);
      }
      assertThat(a.findings()).extracting(Finding::rule).contains("config.track_io_timing", "config.maintenance_work_mem",
          "config.max_wal_size", "config.random_page_cost", "config.shared_buffers", "config.effective_cache_size");
      Finding sb = of(a, "config.shared_buffers").get(0);
      assertThat(sb.action().sql()).contains("shared_buffers = '16384MB'");
      assertThat(sb.action().online()).isFalse();
      assertThat(of(a, "config.random_page_cost").get(0).action().sql()).contains("random_page_cost = 1.1");
      assertThat(of(a, "config.max_wal_size").get(0).evidence()).containsKey("checkpoints_requested");
    }
  }

  @Test
  void largeTablesWithSteadyChurnGetTheirOwnAutovacuumScaleFactor(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE ledger (id int, amount int)", "INSERT INTO ledger SELECT g, 0 FROM generate_series(1, 120000) g",
          "ANALYZE ledger", "UPDATE ledger SET amount = 1 WHERE id <= 20000");
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'ledger' AND n_tup_upd >= 20000"));
      }
      DatabaseTarget t = DatabaseTarget.parse(db.url(), Environment.of(Map.of(), Path.of("/nonexistent"), "nobody"));
      List<Rule> rule = List.of(new dev.pgopt.advise.rules.TableAutovacuumRule());
      try (Session s = Session.open(t, SessionOptions.defaults())) {
        // right after the updates the rate is high: autovacuum will come soon enough
        assertThat(new Advisor(rule, Clock.systemUTC()).run(s, Map.of(), Map.of(), ALL).findings()).isEmpty();
        // the same counts spread over a month: a vacuum every few days at the default scale factor
        Clock monthLater = Clock.offset(Clock.systemUTC(), Duration.ofDays(30));
        List<Finding> f = new Advisor(rule, monthLater).run(s, Map.of(), Map.of(), ALL).findings();
        assertThat(f).singleElement().satisfies(x -> {
          assertThat(x.rule()).isEqualTo("config.table_autovacuum");
          assertThat(x.action().sql()).isEqualTo(
              "ALTER TABLE public.ledger SET (autovacuum_vacuum_scale_factor = 0.005, autovacuum_vacuum_threshold = 1000);");
          assertThat(x.action().undoSql()).contains("RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)");
          assertThat(((Number) x.evidence().get("hours_between_vacuums")).doubleValue()).isGreaterThan(6);
        });
      }
    }
  }

  @Test
  void bloatedTablesAndIndexes(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE b (id int, pad text)", "INSERT INTO b SELECT g, md5(g::text) FROM generate_series(1, 100000) g",
          "CREATE INDEX b_id ON b (id)", "CREATE TABLE fine (id int, pad text)",
          "INSERT INTO fine SELECT g, md5(g::text) FROM generate_series(1, 100000) g", "CREATE INDEX fine_id ON fine (id)",
          "DELETE FROM b WHERE id % 10 <> 0", "VACUUM ANALYZE b", "VACUUM ANALYZE fine");
      // b_id is in use, so it is rebuilt rather than dropped as unused (a dropped index is never also rebuilt)
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        for (int i = 0; i < 5; i++) {
          s.executeQuery("SELECT count(*) FROM b WHERE id = " + (i * 10)).close();
        }
      }
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_indexes WHERE indexrelname = 'b_id' AND idx_scan > 0"));
      }
      Advisor.Advice a = advise(db);
      assertThat(of(a, "table.bloat")).singleElement().satisfies(f -> {
        assertThat(f.object().table()).isEqualTo("b");
        assertThat(((Number) f.evidence().get("bloat_percent")).doubleValue()).isGreaterThan(80);
        assertThat(f.action().online()).isFalse();
        assertThat(f.confidence()).isEqualTo(Finding.Confidence.HEURISTIC);
      });
      assertThat(of(a, "index.bloat")).singleElement().satisfies(f -> {
        assertThat(f.object().index()).isEqualTo("b_id");
        assertThat(f.action().sql()).isEqualTo("REINDEX INDEX CONCURRENTLY public.b_id;");
      });
      db.execute("REINDEX INDEX b_id", "VACUUM FULL b", "ANALYZE b");
      Advisor.Advice after = advise(db);
      assertThat(of(after, "table.bloat")).isEmpty();
      assertThat(of(after, "index.bloat")).isEmpty();
    }
  }

  @Test
  void manyIdleConnectionsGetPoolerAdvice(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      List<Connection> idle = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 22; i++) {
          idle.add(db.connect());
        }
        Advisor.Advice a = advise(db, List.of(new ConnectionRules(Duration.ofSeconds(60), 10)));
        List<Finding> f = of(a, "connection.pooler");
        // 22 of 197 usable slots is over the 10 % given here
        assertThat(of(a, "connection.usage")).singleElement().satisfies(x ->
            assertThat(((Number) x.evidence().get("connections")).longValue()).isGreaterThanOrEqualTo(22));
        assertThat(f).singleElement().satisfies(x -> {
          assertThat(((Number) x.evidence().get("idle")).longValue()).isGreaterThanOrEqualTo(22);
          assertThat(x.evidence().get("transaction_mode_caveats").toString()).contains("prepared statements");
        });
      } finally {
        for (Connection c : idle) {
          c.close();
        }
      }
    }
  }

  @Test
  void costlyStatementsGetTheirPlanInsightsAndSpillsTheirWorkMem(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE logs (id int, level int, body text)",
          "INSERT INTO logs SELECT g, g % 50, md5(g::text) FROM generate_series(1, 60000) g", "ANALYZE logs",
          "ALTER DATABASE " + db.name() + " SET work_mem = '64kB'");
      try (Connection c = db.connect(); var ps = c.prepareStatement("SELECT id FROM logs WHERE id = ?")) {
        for (int i = 0; i < 20; i++) {
          ps.setInt(1, i);
          ps.executeQuery().close();
        }
        c.createStatement().executeQuery("SELECT * FROM logs ORDER BY body").close();
      }
      Advisor.Advice a = advise(db);
      assertThat(of(a, "query.seq_scan_selective_filter")).anySatisfy(x -> {
        assertThat(x.evidence().get("query")).isEqualTo("SELECT id FROM logs WHERE id = $1");
        assertThat(x.evidence()).containsEntry("calls", 20L);
      });
      assertThat(of(a, "config.work_mem")).singleElement().satisfies(x -> assertThat(x.evidence().get("statements").toString())
          .contains("SELECT * FROM logs ORDER BY body"));
    }
  }

  @Test
  void missingIndexesAreChosenForTheWorkloadAndProvenWithWhatIfPlans(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE orders (id int PRIMARY KEY, account int, flag boolean, placed timestamptz, pad text)",
          "INSERT INTO orders SELECT g, g % 2000, g % 2 = 0, now() - g * interval '1 minute', md5(g::text) FROM generate_series(1, 60000) g",
          "CREATE TABLE small (id int, v int)", "INSERT INTO small SELECT g, g FROM generate_series(1, 100) g",
          "CREATE TABLE covered (a int, b int)", "INSERT INTO covered SELECT g % 500, g FROM generate_series(1, 30000) g",
          "CREATE INDEX covered_a_b ON covered (a, b)", "ANALYZE");
      try (Connection c = db.connect()) {
        // the bulk load came before the statements' window (as when pg_stat_statements is reset after a load): the
        // table's lifetime counters still hold its 60,000 inserts, which must not count against indexes
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'orders' AND n_tup_ins >= 60000"));
        db.resetStatements();
        // the writes of the window: 20 rows
        c.createStatement().execute("INSERT INTO orders SELECT g, 1, true, now(), 'x' FROM generate_series(60001, 60020) g");
      }
      try (Connection c = db.connect();
           var byAccount = c.prepareStatement("SELECT id, placed FROM orders WHERE account = ? ORDER BY placed DESC LIMIT 10");
           var byFlag = c.prepareStatement("SELECT count(*) FROM orders WHERE flag = ?");
           var bySmall = c.prepareStatement("SELECT * FROM small WHERE v = ?");
           var byCovered = c.prepareStatement("SELECT * FROM covered WHERE a = ?")) {
        for (int i = 0; i < 30; i++) {
          byAccount.setInt(1, i);
          byAccount.executeQuery().close();
          byFlag.setBoolean(1, i % 2 == 0);
          byFlag.executeQuery().close();
          bySmall.setInt(1, i);
          bySmall.executeQuery().close();
          byCovered.setInt(1, i);
          byCovered.executeQuery().close();
        }
      }
      Advisor.Advice a = advise(db);
      List<Finding> missing = of(a, "index.missing");
      assertThat(missing).as(a.notes().toString()).hasSize(1);
      Finding f = missing.get(0);
      assertThat(f.object().table()).isEqualTo("orders");
      assertThat(f.object().columns()).startsWith("account");
      assertThat(f.confidence()).isEqualTo(Finding.Confidence.WHAT_IF);
      assertThat(f.action().sql()).startsWith("CREATE INDEX CONCURRENTLY orders_account").contains("ON public.orders (account");
      assertThat(f.action().undoSql()).startsWith("DROP INDEX CONCURRENTLY public.orders_account");
      assertThat(((Number) f.impact().get("cost_after")).doubleValue()).isLessThan(((Number) f.impact().get("cost_before")).doubleValue() / 10);
      assertThat(((Number) f.impact().get("size_bytes")).longValue()).isPositive();
      assertThat(((Number) f.impact().get("est_ms_saved_per_hour")).doubleValue()).isPositive();
      assertThat(f.evidence().get("statements").toString()).contains("WHERE account = $1");
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).contains("what-if plans (HypoPG)"));
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).startsWith("index.missing: write rates per table are the rows")
          .contains("pg_stat_statements' window"));
      @SuppressWarnings("unchecked")
      Map<String, Object> overhead = (Map<String, Object>) f.impact().get("write_overhead");
      assertThat(((Number) overhead.get("writes_per_hour")).doubleValue()).as("the window's 20 rows, not the load's 60,000")
          .isPositive().isLessThanOrEqualTo(20 / (1.0 / 60) + 1);
      // the proof holds for real: build it, and the planner uses it
      db.execute(f.action().sql());
      try (Connection c = db.connect()) {
        assertThat(Probe.text(c, "EXPLAIN (FORMAT JSON) SELECT id, placed FROM orders WHERE account = 5 ORDER BY placed DESC LIMIT 10"))
            .contains("\"Index Name\": \"orders_account");
        assertThat(Probe.count(c, "SELECT count(*) FROM hypopg_list_indexes")).isZero();
      }
      // what an existing index covers is never proposed again
      assertThat(of(advise(db), "index.missing")).noneMatch(x -> x.id().equals(f.id()));
    }
  }

  @Test
  void joinColumnsAreCandidates(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE parts (id int PRIMARY KEY, brand int)", "CREATE INDEX parts_brand ON parts (brand)",
          "INSERT INTO parts SELECT g, g % 1000 FROM generate_series(1, 50000) g",
          "CREATE TABLE supplies (part_id int, supplier int, qty int)",
          "INSERT INTO supplies SELECT g % 50000 + 1, g % 97, g % 13 FROM generate_series(1, 200000) g", "ANALYZE");
      try (Connection c = db.connect()) {
        db.resetStatements();
        // supplies is read whole and hashed: no filter and no sort on it, only the join
        try (var ps = c.prepareStatement("SELECT sum(s.qty) FROM parts p JOIN supplies s ON s.part_id = p.id WHERE p.brand = ?")) {
          for (int i = 0; i < 20; i++) {
            ps.setInt(1, i);
            ps.executeQuery().close();
          }
        }
      }
      List<Finding> missing = of(advise(db), "index.missing");
      assertThat(missing).as(missing.toString()).anySatisfy(f -> {
        assertThat(f.object().table()).isEqualTo("supplies");
        assertThat(f.object().columns()).containsExactly("part_id");
        assertThat(((Number) f.impact().get("cost_after")).doubleValue())
            .isLessThan(((Number) f.impact().get("cost_before")).doubleValue() / 2);
      });
    }
  }

  @Test
  void patternMatchesABtreeCannotServeGetATrigramIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE people (id int PRIMARY KEY, name text)",
          "INSERT INTO people SELECT g, 'person ' || md5(g::text) FROM generate_series(1, 30000) g", "ANALYZE");
      try (Connection c = db.connect()) {
        db.resetStatements();
        try (var ps = c.prepareStatement("SELECT id FROM people WHERE name ILIKE ?")) {
          for (int i = 0; i < 20; i++) {
            ps.setString(1, "%ab" + i + "%");
            ps.executeQuery().close();
          }
        }
      }
      List<Finding> missing = of(advise(db), "index.missing");
      Finding trgm = missing.stream().filter(f -> f.id().endsWith("using gin_trgm_ops")).findFirst().orElseThrow();
      assertThat(trgm.confidence()).isEqualTo(Finding.Confidence.HEURISTIC);
      assertThat(trgm.action().sql()).isEqualTo("CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
          + "CREATE INDEX CONCURRENTLY people_name_trgm_idx ON public.people USING gin (name gin_trgm_ops);");
      assertThat(missing).noneMatch(f -> f.action().sql().contains("(name)")); // no B-tree for it
      for (String sql : trgm.action().sql().split(";\n")) {
        db.execute(sql.replace(";", ""));
      }
      try (Connection c = db.connect()) {
        assertThat(Probe.text(c, "EXPLAIN (FORMAT JSON) SELECT id FROM people WHERE name ILIKE '%ab12%'"))
            .contains("people_name_trgm_idx");
      }
    }
  }

  @Test
  void equalityWithOrderByLimitGetsTheIndexThatReturnsRowsInOrder(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE events (id int PRIMARY KEY, tenant int, created_at timestamptz, payload text)",
          "INSERT INTO events SELECT g, g % 50, now() - g * interval '1 second', md5(g::text) FROM generate_series(1, 200000) g",
          "ANALYZE");
      try (Connection c = db.connect()) {
        db.resetStatements();
        try (var ps = c.prepareStatement("SELECT id, payload FROM events WHERE tenant = ? ORDER BY created_at DESC LIMIT 50")) {
          for (int i = 0; i < 20; i++) {
            ps.setInt(1, i);
            ps.executeQuery().close();
          }
        }
      }
      // a budget the composite index fits, but not beside the one on tenant alone, which wins the first round per byte
      long budget;
      try (Connection c = db.connect()) {
        long composite = dev.pgopt.advise.whatif.BtreeSize.estimate(c, new dev.pgopt.advise.whatif.IndexCandidate(
            "public", "events", List.of("tenant", "created_at"), List.of(false, true)));
        long single = dev.pgopt.advise.whatif.BtreeSize.estimate(c, new dev.pgopt.advise.whatif.IndexCandidate(
            "public", "events", List.of("tenant"), List.of(false)));
        budget = composite + single / 2;
      }
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, new IndexBudget(budget, null))));
      // costed with the LIMIT the statement really uses (50 rows a call): the index that returns a tenant's rows newest
      // first stops after 50, one on tenant alone sorts 4,000; the exchange pass trades the small pick for it
      assertThat(of(a, "index.missing")).as(a.notes().toString()).singleElement().satisfies(f -> {
        assertThat(f.object().columns()).containsExactly("tenant", "created_at");
        assertThat(f.action().sql()).contains("(tenant, created_at DESC)");
      });
      // asked again without it (as --prove does after measuring it slower): the next best, never the excluded one
      String excluded = of(a, "index.missing").get(0).id();
      Advisor.Advice again = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, new IndexBudget(budget, null))
          .excluding(java.util.Set.of(excluded, "table.analyze:public.events"))));
      assertThat(of(again, "index.missing")).as(again.notes().toString()).isNotEmpty()
          .noneSatisfy(f -> assertThat(f.id()).isEqualTo(excluded));
      assertThat(again.notes()).contains("index.missing: 1 candidates left out: measured to make a statement slower");
    }
  }

  @Test
  void hotKeysCountWhenAStatementReadsASkewedTable(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // 5,000 tenants; tenant 0 owns 30 % of the rows and tenant 1 15 %: the average tenant has 22 rows, a hot one 60,000
      db.execute("CREATE TABLE events (id int PRIMARY KEY, tenant int, created_at timestamptz, payload text)",
          "INSERT INTO events SELECT g, CASE WHEN g % 20 < 6 THEN 0 WHEN g % 20 < 9 THEN 1 ELSE 2 + g % 4998 END,"
              + " now() - g * interval '1 second', md5(g::text) FROM generate_series(1, 200000) g",
          "ANALYZE");
      try (Connection c = db.connect()) {
        db.resetStatements();
        try (var ps = c.prepareStatement("SELECT id, payload FROM events WHERE tenant = ? ORDER BY created_at DESC LIMIT 50")) {
          for (int i = 0; i < 20; i++) {
            ps.setInt(1, i % 3 == 0 ? 0 : 100 + i);
            ps.executeQuery().close();
          }
        }
      }
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, new IndexBudget(64L << 20, null)),
          new dev.pgopt.advise.rules.QueryPlanRule(10)));
      // the generic plan costs the average tenant, whose 22 rows sort in no time, so an index on tenant alone looks as
      // good; costed also with the most common tenants, the index that returns rows newest first is the one that pays
      assertThat(of(a, "index.missing")).as(a.notes().toString()).singleElement().satisfies(f -> {
        assertThat(f.object().columns()).containsExactly("tenant", "created_at");
        assertThat(f.evidence().toString()).contains("most common values of tenant");
      });
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).contains("costed also with the most common values"));
      // the plan insight on the same statement, with the same LIMIT, says what the proposal does
      assertThat(of(a, "query.order_limit_without_index")).singleElement()
          .satisfies(f -> assertThat(f.evidence().get("suggestion").toString()).contains("then events.created_at DESC"));
      assertThat(String.join("\n", a.notes()) + a.findings()).doesNotContain("'0'");
    }
  }

  @Test
  void oneIndexThatDoesTheWholeJobRatherThanSeveralThatCombine(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // the sample dataset's messages statement: equality, a range on a time column in arrival order (a BRIN candidate),
      // ORDER BY that column DESC LIMIT; hot tenants as above
      // the tenant is a foreign key whose parent rows are deleted: index.fk_missing asks for (tenant) too
      db.execute("CREATE TABLE tenants (id int PRIMARY KEY)", "INSERT INTO tenants SELECT g FROM generate_series(0, 5100) g",
          "CREATE TABLE events (id int PRIMARY KEY, tenant int REFERENCES tenants, created_at timestamptz, payload text)",
          "INSERT INTO events SELECT g, CASE WHEN g % 20 < 6 THEN 0 WHEN g % 20 < 9 THEN 1 ELSE 2 + g % 4998 END,"
              + " now() - (200000 - g) * interval '1 second', md5(g::text) FROM generate_series(1, 200000) g",
          "ANALYZE", "DELETE FROM tenants WHERE id = 5100");
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'tenants' AND n_tup_del > 0"));
        db.resetStatements();
        try (var ps = c.prepareStatement("SELECT id, payload FROM events WHERE tenant = ? AND created_at < ?"
            + " ORDER BY created_at DESC LIMIT 50")) {
          for (int i = 0; i < 20; i++) {
            ps.setInt(1, i % 3 == 0 ? 0 : 100 + i);
            ps.setObject(2, java.time.OffsetDateTime.now());
            ps.executeQuery().close();
          }
        }
      }
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, new IndexBudget(64L << 20, null)),
          new dev.pgopt.advise.rules.QueryPlanRule(10), new dev.pgopt.advise.rules.ForeignKeyIndexRule()));
      // per byte, a BRIN on created_at, then tenant, then created_at win one round each and together cost about what
      // the composite does; the composite alone does the statement's whole job, as the plan insight says, and the
      // foreign key's check too: one index to build, not a second on (tenant) beside it
      assertThat(of(a, "index.missing")).as(a.notes() + " " + a.findings()).singleElement()
          .satisfies(f -> {
            assertThat(f.object().columns()).containsExactly("tenant", "created_at");
            assertThat(f.evidence().get("also").toString()).contains("index.fk_missing");
          });
      assertThat(of(a, "index.fk_missing")).isEmpty();
      assertThat(of(a, "query.order_limit_without_index")).singleElement()
          .satisfies(f -> assertThat(f.evidence().get("suggestion").toString()).contains("then events.created_at DESC"));
    }
  }

  @Test
  void aTimeColumnThatFollowsTheRowOrderGetsABrinIndexAndAShuffledOneDoesNot(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      // two 400,000-row logs: one appended in time order, one with the same times in random order
      db.execute("CREATE TABLE appended (id int, at timestamptz, body text)",
          "INSERT INTO appended SELECT g, timestamptz '2026-01-01' + g * interval '10 seconds', md5(g::text)"
              + " FROM generate_series(1, 400000) g",
          "CREATE TABLE shuffled AS SELECT * FROM appended ORDER BY random()",
          "VACUUM ANALYZE");
      try (Connection c = db.connect()) {
        db.resetStatements();
        for (String table : List.of("appended", "shuffled")) {
          try (var ps = c.prepareStatement("SELECT count(*), max(body) FROM " + table + " WHERE at >= ? AND at < ?")) {
            for (int i = 0; i < 5; i++) {
              ps.setObject(1, java.time.OffsetDateTime.parse("2026-01-02T00:00:00Z").plusDays(i));
              ps.setObject(2, java.time.OffsetDateTime.parse("2026-01-02T06:00:00Z").plusDays(i));
              ps.executeQuery().close();
            }
          }
        }
      }
      // a budget a B-tree on at (8.6 MB) does not fit: with room for it, it wins, being 40 times cheaper to use in the
      // planner's estimate; BRIN is the index for a big table where that room is not there
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, new IndexBudget(2L << 20, null))));
      List<Finding> found = of(a, "index.missing");
      assertThat(found).as(a.notes().toString()).anySatisfy(f -> {
        assertThat(f.object().table()).isEqualTo("appended");
        assertThat(f.action().sql()).contains("USING brin (at)");
        assertThat(f.confidence()).isEqualTo(Finding.Confidence.WHAT_IF);
        assertThat((long) f.impact().get("size_bytes")).isLessThan(1L << 20);
      });
      // where the times are shuffled, a BRIN range holds every time: the what-if plans cannot prove it
      assertThat(found).noneSatisfy(f -> {
        assertThat(f.object().table()).isEqualTo("shuffled");
        assertThat(f.action().sql()).contains("brin");
      });
    }
  }

  /**
   * An index-only scan pays only where the visibility map says the pages are all-visible: {@code orders} vacuumed, as
   * autovacuum would have by then (a VACUUM right after the load can find the rows not yet visible to every session),
   * and pg_stat_statements emptied for the statements the test runs next.
   */
  private static void allVisibleWithAFreshWorkload(Connection c) throws Exception {
    Probe.waitUntil(() -> {
      try {
        c.createStatement().execute("VACUUM orders");
        return Probe.count(c, "SELECT relallvisible FROM pg_class WHERE relname = 'orders'") > 6000;
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    c.createStatement().execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database"
        + " WHERE datname = current_database()), 0)");
  }

  @Test
  void aRangeScanThatReadsAFewNarrowColumnsGetsACoveringIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE orders (id int PRIMARY KEY, account int, placed timestamptz, total numeric(10,2), note text)",
          "INSERT INTO orders SELECT g, g % 2000, now() - (hashint4(g) & 1048575) * interval '1 minute', g % 997,"
              + " repeat('x', 200) FROM generate_series(1, 200000) g",
          "ANALYZE orders");
      try (Connection c = db.connect()) {
        allVisibleWithAFreshWorkload(c);
        try (var ps = c.prepareStatement("SELECT sum(total) FROM orders WHERE placed >= ? AND placed < ?")) {
          for (int i = 0; i < 20; i++) {
            ps.setObject(1, java.time.OffsetDateTime.now().minusDays(100 + i));
            ps.setObject(2, java.time.OffsetDateTime.now().minusDays(99 + i));
            ps.executeQuery().close();
          }
        }
      }
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, new IndexBudget(64L << 20, null))));
      // rows of a day lie all over the table (placed is shuffled): the index that carries total reads no heap page
      assertThat(of(a, "index.missing")).as(a.notes().toString()).singleElement().satisfies(f ->
          assertThat(f.action().sql()).contains("(placed) INCLUDE (total)"));
    }
  }

  @Test
  void aScanThatReadsAFewNarrowColumnsGetsACoveringIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE orders (id int PRIMARY KEY, account int, placed timestamptz, total numeric(10,2), note text)",
          "INSERT INTO orders SELECT g, g % 2000, now() - g * interval '1 minute', g % 997, repeat('x', 200)"
              + " FROM generate_series(1, 200000) g",
          "ANALYZE orders");
      try (Connection c = db.connect()) {
        allVisibleWithAFreshWorkload(c);
        try (var ps = c.prepareStatement("SELECT placed, total FROM orders WHERE account = ?")) {
          for (int i = 0; i < 20; i++) {
            ps.setInt(1, i);
            ps.executeQuery().close();
          }
        }
      }
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, new IndexBudget(64L << 20, null))));
      // 100 rows an account on 100 pages: the index that carries placed and total answers from its own pages
      assertThat(of(a, "index.missing")).as(a.notes().toString()).singleElement().satisfies(f -> {
        assertThat(f.object().columns()).containsExactly("account");
        assertThat(f.action().sql()).contains("(account) INCLUDE (placed, total)");
        assertThat(f.title()).contains("INCLUDE (placed, total)");
      });
      try (Connection c = db.connect()) {
        c.createStatement().execute(of(a, "index.missing").get(0).action().sql().replace("CONCURRENTLY ", ""));
        assertThat(Probe.text(c, "EXPLAIN SELECT placed, total FROM orders WHERE account = 5")).contains("Index Only Scan");
      }
    }
  }

  @Test
  void containmentOnJsonbAndArraysGetsTheGinIndexThatServesIt(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE docs (id int, attrs jsonb, tags text[])",
          "INSERT INTO docs SELECT g, jsonb_build_object('color', 'c' || g % 50, 'size', g % 7), ARRAY['t' || g % 100]"
              + " FROM generate_series(1, 50000) g",
          "CREATE TABLE events (id int, data jsonb)",
          "INSERT INTO events SELECT g, jsonb_build_object('k' || g % 300, g) FROM generate_series(1, 50000) g",
          "ANALYZE");
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
        for (int i = 0; i < 5; i++) {
          s.executeQuery("SELECT id FROM docs WHERE attrs @> '{\"color\": \"c" + i + "\"}'").close();
          s.executeQuery("SELECT id FROM docs WHERE tags && ARRAY['t" + i + "']").close();
          // a key test: jsonb_path_ops cannot serve it, and a JDBC placeholder it is not
          s.executeQuery("SELECT id FROM events WHERE data ? 'k" + i + "'").close();
          s.executeQuery("SELECT id FROM events WHERE data @> '{\"k" + i + "\": 1}'").close();
        }
      }
      Advisor.Advice a = advise(db, List.of(new dev.pgopt.advise.rules.IndexMissingRule(500, IndexBudget.DEFAULT)));
      List<String> actions = of(a, "index.missing").stream().map(f -> f.action().sql()).toList();
      assertThat(actions).as(a.notes().toString()).containsExactlyInAnyOrder(
          "CREATE INDEX CONCURRENTLY docs_attrs_gin_idx ON public.docs USING gin (attrs jsonb_path_ops);",
          "CREATE INDEX CONCURRENTLY docs_tags_gin_idx ON public.docs USING gin (tags);",
          "CREATE INDEX CONCURRENTLY events_data_gin_idx ON public.events USING gin (data jsonb_ops);");
      assertThat(of(a, "index.missing")).allSatisfy(f -> assertThat(f.confidence()).isEqualTo(Finding.Confidence.HEURISTIC));
      assertThat(a.notes()).noneSatisfy(n -> assertThat(n).contains("skipped"));
    }
  }

  @Test
  void softDeletedRowsGetAPartialIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE \"Notes\" (id int, owner int, deleted_at timestamptz, body text)",
          "INSERT INTO \"Notes\" SELECT g, g % 3000, CASE WHEN g % 10 = 0 THEN NULL ELSE now() END, md5(g::text) "
              + "FROM generate_series(1, 80000) g", "ANALYZE \"Notes\"");
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'Notes' AND n_tup_ins >= 80000"));
        // the load came before the statements' window
        db.resetStatements();
        try (var ps = c.prepareStatement("SELECT id, body FROM \"Notes\" WHERE owner = ? AND deleted_at IS NULL")) {
          for (int i = 0; i < 40; i++) {
            ps.setInt(1, i);
            ps.executeQuery().close();
          }
        }
      }
      List<Finding> missing = of(advise(db), "index.missing");
      assertThat(missing).as(missing.toString()).singleElement().satisfies(f -> {
        assertThat(f.action().sql()).isEqualTo(
            "CREATE INDEX CONCURRENTLY \"Notes_owner_where_deleted_at_is_null_idx\" ON public.\"Notes\" (owner) WHERE deleted_at IS NULL;");
        assertThat(f.id()).isEqualTo("index.missing:public.Notes(owner) where deleted_at IS NULL");
      });
      db.execute(missing.get(0).action().sql());
      try (Connection c = db.connect()) {
        assertThat(Probe.text(c, "EXPLAIN (FORMAT JSON) SELECT id, body FROM \"Notes\" WHERE owner = 5 AND deleted_at IS NULL"))
            .contains("Notes_owner_where_deleted_at_is_null_idx");
      }
    }
  }

  @Test
  void aBooleanFlagTheStatementTestsBecomesThePartialIndexPredicate(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE tasks (id int, owner int, done boolean NOT NULL, urgent boolean NOT NULL, body text)",
          "INSERT INTO tasks SELECT g, g % 3000, g % 20 <> 0, g % 50 = 0, md5(g::text) FROM generate_series(1, 80000) g",
          "ANALYZE tasks");
      try (Connection c = db.connect()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'tasks' AND n_tup_ins >= 80000"));
        db.resetStatements();
        try (var open = c.prepareStatement("SELECT id, body FROM tasks WHERE owner = ? AND NOT done");
            var urgent = c.prepareStatement("SELECT id FROM tasks WHERE urgent AND owner = ?")) {
          for (int i = 0; i < 40; i++) {
            open.setInt(1, i);
            open.executeQuery().close();
            urgent.setInt(1, i);
            urgent.executeQuery().close();
          }
        }
      }
      List<String> actions = of(advise(db), "index.missing").stream().map(f -> f.action().sql()).toList();
      assertThat(actions).as(actions.toString())
          .anySatisfy(a -> assertThat(a).endsWith("ON public.tasks (owner) WHERE NOT done;"))
          .anySatisfy(a -> assertThat(a).endsWith("ON public.tasks (owner) WHERE urgent;"));
      for (String a : actions) {
        db.execute(a);
      }
      try (Connection c = db.connect()) {
        assertThat(Probe.text(c, "EXPLAIN (FORMAT JSON) SELECT id, body FROM tasks WHERE owner = 5 AND NOT done"))
            .contains("Index");
      }
    }
  }

  @Test
  void aConstantTheApplicationAlwaysSendsBecomesThePartialIndexPredicate(TestCluster cluster) throws Exception {
    // pg_stat_statements shows "status = $1"; pg_qualstats saw the constant. The constant is hostile on purpose: it must
    // reach the index predicate as one literal, and the action must build one index and nothing else.
    String held = "wait's; DROP TABLE jobs; --";
    String heldSql = "'" + held.replace("'", "''") + "'";
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE EXTENSION pg_qualstats",
          "CREATE TABLE jobs (id int, owner int, status text NOT NULL, payload text)",
          "INSERT INTO jobs SELECT g, g % 2000, CASE WHEN g % 100 = 0 THEN " + heldSql + " WHEN g % 3 = 0 THEN 'failed'"
              + " ELSE 'done' END, md5(g::text) FROM generate_series(1, 200000) g",
          "ANALYZE jobs");
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        Probe.waitUntil(() -> Probe.exists(c, "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'jobs' AND n_tup_ins >= 200000"));
        db.resetStatements();
        st.execute("SELECT pg_qualstats_reset()");
        String[] varying = {"'failed'", "'done'", heldSql};
        for (int i = 0; i < 30; i++) {
          st.executeQuery("SELECT id, payload FROM jobs WHERE status = " + heldSql + " AND owner = " + i).close();
          // the same shape with a status that changes per call: no constant stands for it
          st.executeQuery("SELECT count(*) FROM jobs WHERE owner = " + i + " AND status = " + varying[i % 3]).close();
        }
      }
      Advisor.Advice advice = advise(db);
      List<String> actions = of(advice, "index.missing").stream().map(f -> f.action().sql()).toList();
      assertThat(actions).as(actions + " " + advice.notes())
          .anySatisfy(a -> assertThat(a).endsWith("ON public.jobs (owner) WHERE status = " + heldSql + "::text;"))
          .noneSatisfy(a -> assertThat(a).containsAnyOf("'failed'", "'done'"));
      assertThat(advice.notes()).anySatisfy(n -> assertThat(n).contains("constants pg_qualstats saw"));
      String partial = actions.stream().filter(a -> a.contains("WHERE status")).findFirst().orElseThrow();
      db.execute(partial);
      try (Connection c = db.connect()) {
        assertThat(Probe.exists(c, "SELECT 1 FROM pg_class WHERE relname = 'jobs'")).isTrue();
        assertThat(Probe.text(c, "SELECT count(*) FROM pg_indexes WHERE tablename = 'jobs'")).isEqualTo("1");
        assertThat(Probe.text(c, "EXPLAIN (FORMAT JSON) SELECT id, payload FROM jobs WHERE status = " + heldSql
            + " AND owner = 7")).contains("jobs_owner_where_status_wait_s_drop_table_jobs");
      }
    }
  }

  @Test
  void withoutPgQualstatsTheAdviceSaysWhatItCannotSee(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE events (id int, kind int)", "INSERT INTO events SELECT g, g % 1000 FROM generate_series(1, 30000) g",
          "ANALYZE events");
      try (Connection c = db.connect(); var ps = c.prepareStatement("SELECT * FROM events WHERE kind = ?")) {
        for (int i = 0; i < 5; i++) {
          ps.setInt(1, i);
          ps.executeQuery().close();
        }
      }
      assertThat(advise(db).notes()).anySatisfy(n -> assertThat(n).contains("pg_qualstats is not created in this database"));
    }
  }

  @Test
  void fullTextSearchWithoutAGinIndex(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE articles (id int, body text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED)",
          "INSERT INTO articles (id, body) SELECT g, 'article number ' || g || ' about ' || (ARRAY['postgres','java','vectors','indexes'])[1 + g % 4] "
              + "FROM generate_series(1, 20000) g", "ANALYZE articles");
      try (Connection c = db.connect();
           var ps = c.prepareStatement("SELECT id FROM articles, websearch_to_tsquery('english', ?) q WHERE tsv @@ q LIMIT 10")) {
        for (int i = 0; i < 10; i++) {
          ps.setString(1, "postgres");
          ps.executeQuery().close();
        }
      }
      List<Finding> gin = of(advise(db), "index.missing").stream().filter(f -> f.id().endsWith("using gin")).toList();
      assertThat(gin).singleElement().satisfies(f -> {
        assertThat(f.confidence()).isEqualTo(Finding.Confidence.HEURISTIC);
        assertThat(f.action().sql()).isEqualTo("CREATE INDEX CONCURRENTLY articles_tsv_gin_idx ON public.articles USING gin (tsv);");
      });
      db.execute("CREATE INDEX articles_tsv ON articles USING gin (tsv)");
      assertThat(of(advise(db), "index.missing")).noneMatch(f -> f.id().endsWith("using gin"));
    }
  }

  @Test
  void withoutHypoPgCandidatesAreOnlyHeuristic(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("DROP EXTENSION hypopg", "CREATE TABLE events (id int, kind int)",
          "INSERT INTO events SELECT g, g % 1000 FROM generate_series(1, 30000) g", "ANALYZE events");
      try (Connection c = db.connect(); var ps = c.prepareStatement("SELECT * FROM events WHERE kind = ?")) {
        for (int i = 0; i < 10; i++) {
          ps.setInt(1, i);
          ps.executeQuery().close();
        }
      }
      Advisor.Advice a = advise(db);
      assertThat(of(a, "index.missing")).singleElement().satisfies(f -> {
        assertThat(f.confidence()).isEqualTo(Finding.Confidence.HEURISTIC);
        assertThat(f.object().columns()).containsExactly("kind");
      });
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).contains("HypoPG is not installed"));
    }
  }

  @Test
  void withoutPgStatStatementsTheCatalogRulesStillRun(TestCluster cluster) throws Exception {
    cluster.execute("postgres", "DROP DATABASE IF EXISTS advise_bare", "CREATE DATABASE advise_bare TEMPLATE template0");
    try (TestDatabase bare = new TestDatabase(cluster, "advise_bare")) {
      bare.execute("CREATE TABLE t (a int, b text)", "CREATE INDEX t_b ON t (b)", "INSERT INTO t VALUES (1, 'x')");
      Advisor.Advice a = advise(bare);
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).contains("CREATE EXTENSION pg_stat_statements").contains("catalog-based findings follow"));
      assertThat(of(a, "config.pg_stat_statements")).hasSize(1);
      assertThat(of(a, "index.unused")).extracting(f -> f.object().index()).containsExactly("t_b");
    }
  }

  @Test
  void aStatementThatCannotBePlannedIsSkippedWithTheReason(TestCluster cluster) throws Exception {
    try (TestDatabase db = cluster.createDatabase()) {
      db.execute("CREATE TABLE m (id int, at timestamptz)", "INSERT INTO m SELECT g, now() FROM generate_series(1, 20000) g", "ANALYZE m");
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.executeQuery("SELECT count(*) FROM m WHERE at > now() - interval '30 days'").close();
        // pg_stat_statements stores this as generate_series($1, $2), whose argument types cannot be inferred: planned
        // with numeric ones
        s.executeQuery("SELECT * FROM generate_series(1, 3)").close();
        // a statement that no typing makes plannable: the column is gone by the time advise runs
        s.execute("CREATE TABLE gone (x int)");
        s.executeQuery("SELECT x FROM gone WHERE x = 1").close();
        s.execute("DROP TABLE gone");
        s.executeQuery("SELECT count(*) FROM m WHERE id = 17").close();
        // stored as extract($1 from at) ... interval $3 day, and 1 + $4 % $5: planned all the same
        s.executeQuery("SELECT extract(year from at), count(*) FROM m WHERE at > now() - interval '30' day"
            + " AND id <> 1 + 17 % 1000 GROUP BY 1").close();
      }
      Advisor.Advice a = advise(db);
      // every statement is accounted for, with its share of the workload's time
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).startsWith("index.missing: planned ")
          .contains("of the workload's execution time").contains("utility statements"));
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).contains("could not plan 1 (")
          .contains("relation \"gone\" does not exist"));
      assertThat(a.notes()).anySatisfy(n -> assertThat(n).contains("cannot be planned").contains("gone"));
      // the next statement was still planned
      assertThat(of(a, "query.seq_scan_selective_filter")).isNotEmpty();
      try (Connection c = db.connect()) {
        assertThat(Probe.count(c, "SELECT count(*) FROM pg_prepared_statements")).isZero();
      }
    }
  }

}

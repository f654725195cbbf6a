package dev.pgopt.advise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The index DDL pgopt writes, and that {@link IndexStatement} reads it back as the same index. */
class IndexDefinitionTest {
  @Test
  void aPlainBtreeIsBuiltAndUndoneConcurrently() {
    IndexDefinition d = IndexDefinition.of("public", "orders", "orders_account_idx", List.of(IndexDefinition.column("account", null)));
    assertThat(d.create()).isEqualTo("CREATE INDEX CONCURRENTLY orders_account_idx ON public.orders (account);");
    assertThat(d.drop()).isEqualTo("DROP INDEX CONCURRENTLY public.orders_account_idx;");
    assertThat(d.create(false)).isEqualTo("CREATE INDEX orders_account_idx ON public.orders (account)");
    Finding.Action a = d.action(null);
    assertThat(a.sql()).isEqualTo(d.create());
    assertThat(a.undoSql()).isEqualTo(d.drop());
    assertThat(a.online()).isTrue();
    assertThat(a.locks()).isEqualTo("SHARE UPDATE EXCLUSIVE");
  }

  @Test
  void oddNamesAreQuotedEverywhere() {
    IndexDefinition d = IndexDefinition.of("My Schema", "order", "we\"ird;name",
        List.of(IndexDefinition.column("Select", null), IndexDefinition.column("a b", "DESC")));
    assertThat(d.create()).isEqualTo(
        "CREATE INDEX CONCURRENTLY \"we\"\"ird;name\" ON \"My Schema\".\"order\" (\"Select\", \"a b\" DESC);");
    assertThat(d.drop()).isEqualTo("DROP INDEX CONCURRENTLY \"My Schema\".\"we\"\"ird;name\";");
    assertThat(IndexDefinition.reindex("My Schema", "x;y")).isEqualTo("REINDEX INDEX CONCURRENTLY \"My Schema\".\"x;y\";");
    assertThat(IndexStatement.of(d.create())).singleElement().satisfies(s -> {
      assertThat(s.kind()).isEqualTo(IndexStatement.Kind.CREATE);
      assertThat(s.index()).isEqualTo("\"we\"\"ird;name\"");
    });
    assertThat(IndexStatement.of(d.drop())).singleElement().satisfies(s -> {
      assertThat(s.kind()).isEqualTo(IndexStatement.Kind.DROP);
      assertThat(s.index()).isEqualTo("\"My Schema\".\"we\"\"ird;name\"");
    });
    // what apply looks up in the catalog after a build: names as pg_class spells them
    assertThat(IndexStatement.built(d.create())).contains(new IndexStatement.BuiltIndex("My Schema", "we\"ird;name"));
    assertThat(IndexStatement.built("CREATE INDEX CONCURRENTLY Orders_Idx ON ONLY Shop.Orders (a);"))
        .contains(new IndexStatement.BuiltIndex("shop", "orders_idx"));
    assertThat(IndexStatement.built("CREATE INDEX CONCURRENTLY i ON t (a)")).contains(new IndexStatement.BuiltIndex("public", "i"));
    assertThat(IndexStatement.built("VACUUM ANALYZE t")).isEmpty();
    assertThat(IndexStatement.built("CREATE INDEX i ON t (a)")).as("not concurrent: not one of pgopt's").isEmpty();
  }

  @Test
  void methodsOpclassesIncludeStorageAndPredicates() {
    assertThat(IndexDefinition.of("public", "docs", "docs_body_trgm", List.of(IndexDefinition.column("body", "gin_trgm_ops")))
        .using("gin").create()).isEqualTo("CREATE INDEX CONCURRENTLY docs_body_trgm ON public.docs USING gin (body gin_trgm_ops);");
    assertThat(IndexDefinition.of("public", "items", "items_embedding_ivfflat", List.of(IndexDefinition.column("embedding",
        "vector_l2_ops"))).using("ivfflat").with("lists = 100").create())
        .isEqualTo("CREATE INDEX CONCURRENTLY items_embedding_ivfflat ON public.items USING ivfflat (embedding vector_l2_ops)"
            + " WITH (lists = 100);");
    assertThat(IndexDefinition.of("public", "items", "items_half", List.of(IndexDefinition.expression("embedding::halfvec(3)",
        "halfvec_cosine_ops"))).using("hnsw").create())
        .isEqualTo("CREATE INDEX CONCURRENTLY items_half ON public.items USING hnsw ((embedding::halfvec(3)) halfvec_cosine_ops);");
    IndexDefinition covering = IndexDefinition.of("public", "orders", "orders_open", List.of(IndexDefinition.column("account", null)))
        .including(List.of("total", "Placed")).where("deleted_at IS NULL");
    assertThat(covering.create())
        .isEqualTo("CREATE INDEX CONCURRENTLY orders_open ON public.orders (account) INCLUDE (total, \"Placed\") WHERE deleted_at IS NULL;");
    // the same definition under another name is the same index to the contradiction checks
    IndexDefinition renamed = new IndexDefinition("public", "orders", "other", "btree", covering.keys(), covering.include(),
        covering.predicate(), null);
    assertThat(IndexStatement.of(renamed.create()).get(0).definition()).isEqualTo(IndexStatement.of(covering.create()).get(0).definition());
  }

  @Test
  void whatIfIndexesHaveNoNameAndCannotBeDropped() {
    IndexDefinition d = new IndexDefinition("public", "t", null, "brin", List.of(IndexDefinition.column("d", null)), List.of(), null, null);
    assertThat(d.create(false)).isEqualTo("CREATE INDEX ON public.t USING brin (d)");
    assertThatThrownBy(d::drop).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> IndexDefinition.of("public", "t", "i", List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void existingIndexesAreRecreatedConcurrentlyUnderTheirOwnOrAnotherName() {
    String def = "CREATE UNIQUE INDEX \"Acct idx\" ON public.accounts USING btree (email)";
    assertThat(IndexDefinition.concurrently(def))
        .isEqualTo("CREATE UNIQUE INDEX CONCURRENTLY \"Acct idx\" ON public.accounts USING btree (email);");
    assertThat(IndexDefinition.concurrently(def, "acct_pgopt_new"))
        .isEqualTo("CREATE UNIQUE INDEX CONCURRENTLY acct_pgopt_new ON public.accounts USING btree (email);");
    assertThat(IndexDefinition.dropIfExists("public", "Acct idx")).isEqualTo("DROP INDEX CONCURRENTLY IF EXISTS public.\"Acct idx\";");
  }
}

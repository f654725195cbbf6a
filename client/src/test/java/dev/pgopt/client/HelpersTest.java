package dev.pgopt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgopt.client.bulk.BatchInsert;
import dev.pgopt.client.bulk.CopyIn;
import dev.pgopt.client.paging.KeysetQuery;
import dev.pgopt.client.paging.Page;
import dev.pgopt.testkit.PostgresExtension;
import dev.pgopt.testkit.TestDatabase;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class HelpersTest {
  record Item(int id, String text, int score) {}

  @Test
  void aClosedDataSourceRefusesWork(TestDatabase db) throws Exception {
    PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).build();
    int one = ds.read("one", c -> 1);
    assertThat(one).isEqualTo(1);
    ds.close();
    ds.close();
    for (ThrowingCallable borrow : List.<ThrowingCallable>of(ds::getConnection, () -> ds.reader().getConnection(),
        () -> ds.writer().getConnection(), () -> ds.read("one", c -> 1), () -> ds.tx("one", c -> 1))) {
      assertThatThrownBy(borrow).isInstanceOf(java.sql.SQLException.class).hasMessageContaining("closed")
          .satisfies(e -> assertThat(((java.sql.SQLException) e).getSQLState()).isEqualTo("08003"));
    }
  }

  @Test
  void copyAndBatchInsertStoreEveryRowWithAwkwardText(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE items (id int PRIMARY KEY, text text, score int)");
    List<Item> items = IntStream.range(0, 10_000).mapToObj(i -> new Item(i, i % 3 == 0 ? "tab\there\nline \\ back" : null, i % 97)).toList();
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).build()) {
      long copied = ds.tx("copy", c -> CopyIn.rows(c, "items", List.of("id", "text", "score"), items.subList(0, 5000),
          (it, row) -> row.add(it.id()).add(it.text()).add(it.score()))).value();
      assertThat(copied).isEqualTo(5000);
      long batched = ds.tx("batch", c -> BatchInsert.rows(c, "INSERT INTO items VALUES (?, ?, ?)", items.subList(5000, 10_000), 500,
          (ps, it) -> {
            ps.setInt(1, it.id());
            ps.setString(2, it.text());
            ps.setInt(3, it.score());
          })).value();
      assertThat(batched).isEqualTo(5000);
      List<String> texts = ds.read("check", c -> {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = c.createStatement().executeQuery(
            "SELECT count(*), count(text), min(text), sum(score) FROM items")) {
          rs.next();
          out.add(rs.getString(1));
          out.add(rs.getString(2));
          out.add(rs.getString(3));
          out.add(rs.getString(4));
        }
        return out;
      });
      assertThat(texts).containsExactly("10000", "3334", "tab\there\nline \\ back",
          Long.toString(items.stream().mapToLong(Item::score).sum()));
      assertThatThrownBy(() -> ds.tx("bad", c -> CopyIn.rows(c, "items; drop table items", List.of("id"), List.of(1), (i, r) -> r.add(i))))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void keysetPagesWalkEveryRowOnceInOrder(TestDatabase db) throws Exception {
    db.execute("CREATE TABLE posts (id bigint PRIMARY KEY, author int, created_at timestamptz)",
        "INSERT INTO posts SELECT g, g % 3, timestamptz '2026-01-01' + (g / 4) * interval '1 hour' FROM generate_series(1, 1000) g");
    KeysetQuery<Long> q = KeysetQuery.of("SELECT id, created_at FROM posts WHERE author = ?", rs -> rs.getLong("id"))
        .by("created_at", "timestamptz").by("id", "bigint").descending().limit(37);
    try (PgoptDataSource ds = PgoptDataSource.builder().primary(db.url()).build()) {
      List<Long> seen = new ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        String from = cursor;
        Page<Long> page = ds.read("posts.page", c -> q.page(c, from, 1));
        seen.addAll(page.items());
        cursor = page.next();
        pages++;
      } while (cursor != null);
      List<Long> expected = ds.read("posts.all", c -> {
        List<Long> out = new ArrayList<>();
        try (ResultSet rs = c.createStatement().executeQuery(
            "SELECT id FROM posts WHERE author = 1 ORDER BY created_at DESC, id DESC")) {
          while (rs.next()) {
            out.add(rs.getLong(1));
          }
        }
        return out;
      });
      assertThat(seen).containsExactlyElementsOf(expected);
      assertThat(pages).isEqualTo((expected.size() + 36) / 37);
      assertThatThrownBy(() -> ds.read("p", c -> q.page(c, "bm90LWEtY3Vyc29y", 1)))
          .hasMessageContaining("invalid page cursor");
    }
  }
}

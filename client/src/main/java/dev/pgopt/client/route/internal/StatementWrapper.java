package dev.pgopt.client.route.internal;

import java.sql.Statement;

/** Decorates statements handed out by a routed connection (observation); absent when nothing observes. */
public interface StatementWrapper {
  <S extends Statement> S wrap(S statement, Class<S> type, String sql, Node node, boolean read);
}

package dev.pgopt.client.route.internal;

import dev.pgopt.client.ConsistencySession;
import dev.pgopt.client.ConsistencyToken;
import dev.pgopt.client.internal.LoadConsistency;
import dev.pgopt.client.internal.WalPosition;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * The connection applications get. It borrows nothing until first used, so the route is decided from intent alone
 * (the explicit reader/writer API, or {@code setReadOnly(true)} before the first statement, as Spring's read-only
 * transactions do), never from SQL. Settings made before that are replayed on the borrowed connection. With a
 * consistency session, a write's commit records the primary's WAL position in the session.
 */
public final class RoutedConnection implements Connection {
  private static final String INSERT_LSN = "SELECT " + WalPosition.INSERT_COLUMNS;
  private static final String COMMIT_THEN_POSITION = "COMMIT; " + INSERT_LSN;

  private final Router router;
  private final StatementWrapper wrapper;
  private final ConsistencySession session;
  private ConsistencyToken committedAt;
  private final ConsistencyToken readToken;
  private Intent intent;
  private Lease lease;
  private Connection physical;
  private boolean closed;
  private boolean autoCommit = true;
  private boolean readOnly;
  private int isolation = -1;

  /**
   * @param session the caller's read-your-writes session, or null
   * @param readToken a position reads must see (the session's, or one passed explicitly), or null
   */
  public RoutedConnection(Router router, StatementWrapper wrapper, Intent intent, ConsistencySession session,
      ConsistencyToken readToken) {
    this.router = router;
    this.wrapper = wrapper;
    this.intent = intent;
    this.session = session;
    this.readToken = readToken;
    this.readOnly = intent == Intent.READ;
  }

  /** The node this connection is on, or null before first use. */
  public Node node() {
    return lease == null ? null : lease.node();
  }

  private Connection physical() throws SQLException {
    Connection c = physical;
    if (c != null) {
      return c;
    }
    if (closed) {
      throw new SQLException("connection is closed", "08003");
    }
    if (intent == Intent.BY_READ_ONLY_FLAG) {
      intent = readOnly ? Intent.READ : Intent.WRITE;
    }
    ConsistencyToken token = readToken;
    if (session != null) {
      token = session.token() == null ? token : session.token().max(token);
    }
    ConsistencyToken load = LoadConsistency.current();
    if (load != null) {
      token = load.max(token);
    }
    Lease l = intent == Intent.READ ? router.read(token) : router.write();
    c = l.connection();
    try {
      if (!autoCommit) {
        c.setAutoCommit(false);
      }
      if (readOnly) {
        c.setReadOnly(true);
      }
      if (isolation >= 0) {
        c.setTransactionIsolation(isolation);
      }
    } catch (SQLException e) {
      c.close();
      l.node().returned();
      throw e;
    }
    lease = l;
    physical = c;
    return c;
  }

  private boolean recordsWrites() {
    return session != null && lease != null && lease.node().role() == dev.pgopt.client.route.Role.PRIMARY && !readOnly;
  }

  /** After a commit succeeded: never fails it, since the write is in; without a position the session reads the primary. */
  private void recordCommitPosition() {
    committedAt = readCommitPosition();
    session.advance(committedAt);
  }

  private ConsistencyToken readCommitPosition() {
    try (Statement s = physical.createStatement(); ResultSet rs = s.executeQuery(INSERT_LSN)) {
      rs.next();
      return ConsistencyToken.ofLsn(WalPosition.comparable(rs.getLong(1), rs.getInt(2)));
    } catch (SQLException e) {
      return ConsistencyToken.primaryOnly();
    }
  }

  /**
   * Commits and reads the primary's WAL position after the commit in the same round trip (COMMIT and the SELECT go
   * out together; the SELECT runs only if COMMIT succeeded). A replica that has replayed the position has the write.
   * Position 0 when nothing was sent. Throws what COMMIT throws.
   */
  public ConsistencyToken commitReadingPosition() throws SQLException {
    if (physical == null) {
      return ConsistencyToken.ofLsn(0);
    }
    // prepared, so pgjdbc plans it once per connection
    try (PreparedStatement s = physical.prepareStatement(COMMIT_THEN_POSITION)) {
      s.execute();
      if (!s.getMoreResults()) {
        throw new SQLException("the server sent no WAL position after COMMIT", "08006");
      }
      try (ResultSet rs = s.getResultSet()) {
        rs.next();
        committedAt = ConsistencyToken.ofLsn(WalPosition.comparable(rs.getLong(1), rs.getInt(2)));
      }
    }
    if (recordsWrites()) {
      session.advance(committedAt);
    }
    return committedAt;
  }

  @Override
  public Statement createStatement() throws SQLException {
    return wrap(physical().createStatement(), Statement.class, null);
  }

  @Override
  public Statement createStatement(int a0, int a1) throws SQLException {
    return wrap(physical().createStatement(a0, a1), Statement.class, null);
  }

  @Override
  public Statement createStatement(int a0, int a1, int a2) throws SQLException {
    return wrap(physical().createStatement(a0, a1, a2), Statement.class, null);
  }

  @Override
  public PreparedStatement prepareStatement(String sql) throws SQLException {
    return wrap(physical().prepareStatement(sql), PreparedStatement.class, sql);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int a1, int a2) throws SQLException {
    return wrap(physical().prepareStatement(sql, a1, a2), PreparedStatement.class, sql);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int a1, int a2, int a3) throws SQLException {
    return wrap(physical().prepareStatement(sql, a1, a2, a3), PreparedStatement.class, sql);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int a1) throws SQLException {
    return wrap(physical().prepareStatement(sql, a1), PreparedStatement.class, sql);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int[] a1) throws SQLException {
    return wrap(physical().prepareStatement(sql, a1), PreparedStatement.class, sql);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, String[] a1) throws SQLException {
    return wrap(physical().prepareStatement(sql, a1), PreparedStatement.class, sql);
  }

  @Override
  public CallableStatement prepareCall(String sql) throws SQLException {
    return wrap(physical().prepareCall(sql), CallableStatement.class, sql);
  }

  @Override
  public CallableStatement prepareCall(String sql, int a1, int a2) throws SQLException {
    return wrap(physical().prepareCall(sql, a1, a2), CallableStatement.class, sql);
  }

  @Override
  public CallableStatement prepareCall(String sql, int a1, int a2, int a3) throws SQLException {
    return wrap(physical().prepareCall(sql, a1, a2, a3), CallableStatement.class, sql);
  }

  private <S extends Statement> S wrap(S statement, Class<S> type, String sql) {
    return wrapper == null ? statement : wrapper.wrap(statement, type, sql, lease.node(), intent == Intent.READ);
  }

  @Override
  public void setAutoCommit(boolean on) throws SQLException {
    if (physical == null) {
      autoCommit = on;
      return;
    }
    boolean committing = on && !physical.getAutoCommit();
    physical.setAutoCommit(on);
    autoCommit = on;
    if (committing && recordsWrites()) {
      recordCommitPosition();
    }
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    return physical == null ? autoCommit : physical.getAutoCommit();
  }

  @Override
  public void commit() throws SQLException {
    if (physical == null) {
      if (autoCommit) {
        throw new SQLException("cannot commit when autoCommit is enabled", "25000");
      }
      return;
    }
    physical.commit();
    if (recordsWrites()) {
      recordCommitPosition();
    }
  }

  @Override
  public void rollback() throws SQLException {
    if (physical != null) {
      physical.rollback();
    }
  }

  @Override
  public void rollback(Savepoint savepoint) throws SQLException {
    physical().rollback(savepoint);
  }

  @Override
  public void setReadOnly(boolean on) throws SQLException {
    readOnly = on;
    if (physical != null) {
      physical.setReadOnly(on);
    }
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    return physical == null ? readOnly : physical.isReadOnly();
  }

  @Override
  public void setTransactionIsolation(int level) throws SQLException {
    if (physical == null) {
      isolation = level;
    } else {
      physical.setTransactionIsolation(level);
    }
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    return physical == null && isolation >= 0 ? isolation : physical().getTransactionIsolation();
  }

  @Override
  public boolean isValid(int timeout) throws SQLException {
    return !closed && (physical == null || physical.isValid(timeout));
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() throws SQLException {
    if (closed) {
      return;
    }
    closed = true;
    if (physical == null) {
      return;
    }
    try {
      if (autoCommit && recordsWrites() && !physical.isClosed()) {
        recordCommitPosition();
      }
    } finally {
      try {
        physical.close();
      } finally {
        lease.node().returned();
      }
    }
  }

  @Override
  public void abort(Executor executor) throws SQLException {
    closed = true;
    if (physical != null) {
      try {
        physical.abort(executor);
      } finally {
        lease.node().returned();
      }
    }
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    return physical().unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || physical().isWrapperFor(iface);
  }

  @Override
  public String nativeSQL(String a0) throws SQLException {
    return physical().nativeSQL(a0);
  }

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    return physical().getMetaData();
  }

  @Override
  public void setCatalog(String a0) throws SQLException {
    physical().setCatalog(a0);
  }

  @Override
  public String getCatalog() throws SQLException {
    return physical().getCatalog();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return physical().getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    physical().clearWarnings();
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return physical().getTypeMap();
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> a0) throws SQLException {
    physical().setTypeMap(a0);
  }

  @Override
  public void setHoldability(int a0) throws SQLException {
    physical().setHoldability(a0);
  }

  @Override
  public int getHoldability() throws SQLException {
    return physical().getHoldability();
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    return physical().setSavepoint();
  }

  @Override
  public Savepoint setSavepoint(String a0) throws SQLException {
    return physical().setSavepoint(a0);
  }

  @Override
  public void releaseSavepoint(Savepoint a0) throws SQLException {
    physical().releaseSavepoint(a0);
  }

  @Override
  public Clob createClob() throws SQLException {
    return physical().createClob();
  }

  @Override
  public Blob createBlob() throws SQLException {
    return physical().createBlob();
  }

  @Override
  public NClob createNClob() throws SQLException {
    return physical().createNClob();
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    return physical().createSQLXML();
  }

  @Override
  public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
    try {
      physical().setClientInfo(a0, a1);
    } catch (SQLClientInfoException e) {
      throw e;
    } catch (SQLException e) {
      throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), null, e);
    }
  }

  @Override
  public void setClientInfo(Properties a0) throws SQLClientInfoException {
    try {
      physical().setClientInfo(a0);
    } catch (SQLClientInfoException e) {
      throw e;
    } catch (SQLException e) {
      throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), null, e);
    }
  }

  @Override
  public String getClientInfo(String a0) throws SQLException {
    return physical().getClientInfo(a0);
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    return physical().getClientInfo();
  }

  @Override
  public Array createArrayOf(String a0, Object[] a1) throws SQLException {
    return physical().createArrayOf(a0, a1);
  }

  @Override
  public Struct createStruct(String a0, Object[] a1) throws SQLException {
    return physical().createStruct(a0, a1);
  }

  @Override
  public void setSchema(String a0) throws SQLException {
    physical().setSchema(a0);
  }

  @Override
  public String getSchema() throws SQLException {
    return physical().getSchema();
  }

  @Override
  public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
    physical().setNetworkTimeout(a0, a1);
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    return physical().getNetworkTimeout();
  }
}

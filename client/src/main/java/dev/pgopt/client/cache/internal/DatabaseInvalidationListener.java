package dev.pgopt.client.cache.internal;

import dev.pgopt.client.internal.WalPosition;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Holds one connection on the primary with LISTEN, and turns notifications into tag invalidations. Reconnects after a
 * failure; since notifications sent meanwhile are lost, a reconnect clears L1.
 */
public final class DatabaseInvalidationListener implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.pgopt.client.cache");

  public interface Target {
    /** @param lsn the primary's WAL position after the writes behind these notifications, 0 when it could not be read */
    void tags(Collection<String> tags, long lsn);

    void reconnected();
  }

  private final DataSource source;
  private final String channel;
  private final Target target;
  private final Thread thread;
  private volatile boolean running = true;

  public DatabaseInvalidationListener(DataSource source, String channel, Target target) {
    this.source = source;
    this.channel = channel;
    this.target = target;
    this.thread = new Thread(this::run, "pgopt-cache-listen");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    boolean first = true;
    while (running) {
      try (Connection c = source.getConnection()) {
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + channel);
        }
        if (!first) {
          target.reconnected();
        }
        first = false;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] batch = pg.getNotifications(500);
          if (batch != null && batch.length > 0) {
            List<String> tags = new ArrayList<>(batch.length);
            for (PGNotification n : batch) {
              tags.add(n.getParameter());
            }
            target.tags(tags, positionAfter(c));
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (running) {
          LOG.log(System.Logger.Level.WARNING, "pgopt cache: LISTEN connection lost, reconnecting: " + e.getMessage());
          first = false;
          pause();
        }
      }
    }
  }

  /**
   * A notification is delivered after its transaction committed, so the insert position read now is at or past the
   * commit: a replica that has replayed it has the write.
   */
  private static long positionAfter(Connection c) {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + WalPosition.INSERT_COLUMNS)) {
      rs.next();
      return WalPosition.comparable(rs.getLong(1), rs.getInt(2));
    } catch (SQLException e) {
      return 0; // the listener reconnects; the invalidation still happens, as one of unknown position
    }
  }

  private static void pause() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

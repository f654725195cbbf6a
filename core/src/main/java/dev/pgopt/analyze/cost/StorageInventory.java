package dev.pgopt.analyze.cost;

import dev.pgopt.connect.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the bytes are: the database, its largest tables with their indexes, the server's WAL directory and what
 * replication slots hold back. WAL needs {@code pg_monitor} (pg_ls_waldir); without it the WAL line says so.
 *
 * @param walBytes the pg_wal directory, empty when the role may not list it
 * @param slotRetainedBytes WAL kept only because a replication slot has not consumed it, per slot
 */
public record StorageInventory(String database, long databaseBytes, List<TableBytes> tables, Optional<Long> walBytes,
                               List<SlotRetention> slotRetainedBytes, List<String> notes) {
  /** @param tableBytes heap and TOAST; @param indexBytes all its indexes */
  public record TableBytes(String schema, String table, long tableBytes, long indexBytes) {
    public long total() {
      return tableBytes + indexBytes;
    }
  }

  public record SlotRetention(String slot, boolean active, long bytes) {}

  public StorageInventory {
    tables = List.copyOf(tables);
    slotRetainedBytes = List.copyOf(slotRetainedBytes);
    notes = List.copyOf(notes);
  }

  public static StorageInventory read(Connection c, int topTables) throws SQLException {
    List<String> notes = new ArrayList<>();
    String db = Sql.one(c, "SELECT current_database()", rs -> rs.getString(1));
    long dbBytes = Sql.one(c, "SELECT pg_database_size(current_database())", rs -> rs.getLong(1));
    List<TableBytes> tables = Sql.list(c, """
        SELECT n.nspname, c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        ORDER BY pg_total_relation_size(c.oid) DESC, 1, 2
        LIMIT ?""", rs -> new TableBytes(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)), topTables);
    Optional<Long> wal = Optional.empty();
    boolean mayList = Sql.one(c, "SELECT pg_has_role(current_user, 'pg_monitor', 'USAGE')"
        + " OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)", rs -> rs.getBoolean(1));
    if (mayList) {
      wal = Optional.of(Sql.one(c, "SELECT coalesce(sum(size), 0) FROM pg_ls_waldir()", rs -> rs.getLong(1)));
    } else {
      notes.add("WAL size unknown: listing pg_wal needs pg_monitor (GRANT pg_monitor TO " + "the role pgopt uses)");
    }
    List<SlotRetention> slots = Sql.list(c, """
        SELECT slot_name, active,
               coalesce(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()
                                             ELSE pg_current_wal_lsn() END, restart_lsn), 0)::bigint
        FROM pg_replication_slots WHERE restart_lsn IS NOT NULL ORDER BY 3 DESC, 1""",
        rs -> new SlotRetention(rs.getString(1), rs.getBoolean(2), rs.getLong(3)));
    return new StorageInventory(db, dbBytes, tables, wal, slots, notes);
  }
}

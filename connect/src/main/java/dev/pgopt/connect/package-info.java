/**
 * Connecting to PostgreSQL the way every pgopt tool does: connection strings (URLs and key/value), passwords from the
 * URL, PGPASSWORD or pgpass, sessions with timeouts, failures classified into one-line messages that never carry a
 * password, and identifier quoting. Depends on pgjdbc only.
 */
package dev.pgopt.connect;

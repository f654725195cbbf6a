/**
 * Backups that are proven by restoring them. {@link dev.pgopt.backup.LogicalBackup} writes a {@code pg_dump -Fd}
 * dump of one database into a {@link dev.pgopt.backup.BackupRepository}, with a manifest of its files' checksums and
 * the row counts of its largest tables, taken in the same snapshot as the dump. {@link dev.pgopt.backup.RestoreDrill}
 * restores a backup into a private scratch server, checks it against the manifest, and reports the time it took (RTO)
 * and the age of the data it brought back (RPO); it never connects to the source. pgopt wraps PostgreSQL's own tools;
 * it has no backup format of its own.
 */
package dev.pgopt.backup;

/**
 * {@code security.*}: what a reviewer of a production PostgreSQL checks, each finding with its evidence and, where one
 * statement fixes it, that statement and its undo. Roles, authentication (pg_hba, SSL), privileges, row-level security
 * for multi-tenant tables, audit. Each rule says in a note what it could not read with the role it runs as.
 */
package dev.pgopt.advise.rules.security;

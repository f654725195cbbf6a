/**
 * {@code pgopt pooler config}: a PgBouncer configuration sized from the server's evidence (slots, measured peak of
 * active sessions, the roles that connect) with the pool mode its clients can use ({@link
 * dev.pgopt.advise.pooler.SessionFeatures}).
 */
package dev.pgopt.advise.pooler;

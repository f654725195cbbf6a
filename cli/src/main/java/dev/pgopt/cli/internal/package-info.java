/**
 * What the commands share: rendering for people (findings, plans, reports), the demo's home directory, and finding
 * the embedding module beside pgopt.jar.
 */
package dev.pgopt.cli.internal;

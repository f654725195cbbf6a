/**
 * The servers shared by a whole test run.
 */
package dev.pgopt.testkit.internal;

/**
 * {@code pgopt verify}: whether an applied change paid off, measured from the statements' times before and after.
 */
package dev.pgopt.verify;

/**
 * A SQL lexer (quotes, comments, dollar quotes) and the catalog of functions the plan guard consults.
 */
package dev.pgopt.collect.internal;

/**
 * Running commands, waiting for ports and stopping processes.
 */
package dev.pgopt.local.internal;

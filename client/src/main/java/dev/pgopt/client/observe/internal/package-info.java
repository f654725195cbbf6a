/**
 * How statements are observed without parsing SQL on the hot path: wrapped statements and result sets, sanitized
 * text, sampled plans.
 */
package dev.pgopt.client.observe.internal;

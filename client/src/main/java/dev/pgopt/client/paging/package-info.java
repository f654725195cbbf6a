/**
 * Keyset pagination helpers: pages that stay fast at any depth, unlike OFFSET.
 */
package dev.pgopt.client.paging;

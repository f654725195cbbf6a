package dev.pgopt.client.paging;

import java.util.List;

/**
 * One page of a keyset query.
 *
 * @param next the cursor for the following page, or null on the last page; opaque, safe to hand to clients
 */
public record Page<T>(List<T> items, String next) {
  public boolean hasNext() {
    return next != null;
  }
}

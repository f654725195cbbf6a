package dev.pgopt.monitor.internal.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Bearer tokens: {@code read} sees everything, {@code admin} may also change things. Tokens are compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so neither their content nor their length leaks through timing.
 */
final class TokenCheck {
  enum Access { NONE, READ, ADMIN }

  private final byte[] read;
  private final byte[] admin;

  TokenCheck(Optional<String> read, Optional<String> admin) {
    this.read = read.map(TokenCheck::digest).orElse(null);
    this.admin = admin.map(TokenCheck::digest).orElse(null);
  }

  boolean open() {
    return read == null && admin == null;
  }

  boolean adminConfigured() {
    return admin != null;
  }

  /** What the Authorization header grants; with no tokens configured (loopback only) reading is open. */
  Access access(String authorization) {
    if (open()) {
      return Access.READ;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Access.NONE;
    }
    byte[] given = digest(authorization.substring(7).strip());
    if (admin != null && MessageDigest.isEqual(admin, given)) {
      return Access.ADMIN;
    }
    if (read != null && MessageDigest.isEqual(read, given)) {
      return Access.READ;
    }
    return Access.NONE;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

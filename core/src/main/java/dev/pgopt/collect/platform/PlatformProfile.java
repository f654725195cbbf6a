package dev.pgopt.collect.platform;

import java.util.List;

/**
 * The platform the server runs on and what showed it (settings, roles, extensions, functions, the host name), so a
 * reader can check the verdict.
 */
public record PlatformProfile(Platform platform, List<String> evidence) {
  public PlatformProfile {
    evidence = List.copyOf(evidence);
  }

  public static PlatformProfile selfManaged() {
    return new PlatformProfile(Platform.SELF_MANAGED, List.of());
  }
}

package dev.pgopt.backup;

import dev.pgopt.connect.Environment;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How to reach a Neon project's API.
 *
 * @param api the API's base, {@code https://console.neon.tech/api/v2} unless {@code NEON_API_URL} says otherwise
 * @param apiKey the API key ({@code NEON_API_KEY}); never printed
 * @param parentBranch the branch to restore from (its id); empty: the project's default branch
 * @param database the database the drill checks, in the branch
 * @param role the role whose connection string the drill uses
 * @param ready how long to wait for the branch and its compute to be ready
 */
public record NeonSettings(URI api, String apiKey, String project, Optional<String> parentBranch, String database,
                           String role, Duration ready) {
  public static final URI DEFAULT_API = URI.create("https://console.neon.tech/api/v2");
  private static final Pattern ID = Pattern.compile("[a-z0-9-]{1,60}");

  public NeonSettings {
    if (!ID.matcher(project).matches()) {
      throw new BackupException("'" + project + "' is not a Neon project id (lower case letters, digits and -, as in"
          + " the console's Settings page)");
    }
    if (parentBranch.isPresent() && !ID.matcher(parentBranch.get()).matches()) {
      throw new BackupException("'" + parentBranch.get() + "' is not a Neon branch id (br-...)");
    }
    if (apiKey == null || apiKey.isBlank()) {
      throw new BackupException("no Neon API key: set NEON_API_KEY (console: Account settings, API keys)");
    }
    if (!"https".equals(api.getScheme()) && !"http".equals(api.getScheme())) {
      throw new BackupException("NEON_API_URL must be an http(s) URL, not " + api);
    }
  }

  /** The key from {@code NEON_API_KEY} and the API from {@code NEON_API_URL} (default: Neon's). */
  public static NeonSettings fromEnvironment(Environment env, String project, Optional<String> parentBranch,
                                             String database, String role) {
    URI api;
    try {
      api = env.get("NEON_API_URL").map(URI::create).orElse(DEFAULT_API);
    } catch (IllegalArgumentException e) {
      throw new BackupException("NEON_API_URL is not a URL: " + e.getMessage(), e);
    }
    return new NeonSettings(api, env.get("NEON_API_KEY").orElse(null), project, parentBranch, database, role,
        Duration.ofMinutes(10));
  }

  @Override
  public String toString() {
    return "NeonSettings[api=" + api + ", project=" + project + ", parentBranch=" + parentBranch.orElse("default")
        + ", database=" + database + ", role=" + role + "]";
  }
}

package dev.pgopt.advise.platform;

import dev.pgopt.advise.Finding;
import dev.pgopt.collect.platform.Platform;
import dev.pgopt.collect.platform.PlatformProfile;
import dev.pgopt.connect.Quoting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites advice for a managed platform, where ALTER SYSTEM is closed: a setting any session may change becomes
 * {@code ALTER DATABASE ... SET} (it reaches new sessions; undo with RESET); any other setting keeps its evidence but
 * loses the action, and the title says where the platform keeps it (parameter group, CLI, not settable).
 */
public final class PlatformAdaptation {
  // the actions pgopt's own rules write: ALTER SYSTEM SET name = value;
  private static final Pattern ALTER_SYSTEM = Pattern.compile("ALTER SYSTEM SET ([a-z_][a-z0-9_.]*) = ('[^']*'|[^;\\s]+)");

  private PlatformAdaptation() {}

  /**
   * @param userSettable the settings whose pg_settings context is {@code user} (settable per database and role)
   * @param database the database the advice is for
   */
  public static List<Finding> adapt(List<Finding> findings, PlatformProfile profile, java.util.Set<String> userSettable,
                                    String database) {
    Platform p = profile.platform();
    if (p.alterSystemAllowed()) {
      return findings;
    }
    List<Finding> out = new ArrayList<>(findings.size());
    for (Finding f : findings) {
      Matcher m = f.action() == null ? null : ALTER_SYSTEM.matcher(f.action().sql());
      if (m == null || !m.find()) {
        out.add(f);
        continue;
      }
      String name = m.group(1);
      String value = m.group(2);
      Map<String, Object> evidence = new LinkedHashMap<>(f.evidence());
      evidence.put("platform", p.json());
      if (userSettable.contains(name)) {
        String db = Quoting.ident(database);
        evidence.put("platform_note", "ALTER SYSTEM is not open on " + p.displayName() + "; set for the database instead"
            + " (new sessions pick it up)");
        out.add(new Finding(f.id(), f.rule(), f.severity(), f.object(), f.title(), evidence, f.impact(), f.confidence(),
            new Finding.Action("ALTER DATABASE " + db + " SET " + name + " = " + value + ";",
                "ALTER DATABASE " + db + " RESET " + name + ";", true, "none", f.action().risk())));
      } else {
        evidence.put("platform_note", "set " + name + " = " + value + " in " + p.settingsHome());
        out.add(new Finding(f.id(), f.rule(), f.severity(), f.object(), f.title() + " (on " + p.displayName()
            + ": set it in " + p.settingsHome() + ")", evidence, f.impact(), f.confidence(), null));
      }
    }
    return out;
  }
}

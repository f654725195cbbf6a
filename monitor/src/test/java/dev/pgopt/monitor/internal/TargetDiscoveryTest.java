package dev.pgopt.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a new listing of a server's databases changes: plain names, no server. */
class TargetDiscoveryTest {
  @Test
  void newDatabasesAreAddedGoneOnesRemovedAndOtherEntriesAndTakenNamesLeftAlone() {
    Map<String, String> entryOf = new LinkedHashMap<>();
    entryOf.put("tenants-a", "tenants");
    entryOf.put("tenants-b", "tenants");
    entryOf.put("tenants", "tenants");          // a configured single target named like the entry
    entryOf.put("tenants-c", "billing");        // a configured target that took a discovered name
    entryOf.put("other-x", "other");
    TargetDiscovery.Change c = TargetDiscovery.changes("tenants", entryOf, List.of("a", "c", "d", "D"));
    assertThat(c.removed()).containsExactly("tenants-b");
    // "D" and "d" fold to one target name: the first listed keeps it
    assertThat(c.added()).containsExactly(Map.entry("tenants-d", "d"));
    assertThat(TargetDiscovery.changes("tenants", entryOf, List.of("a", "b")).none()).isTrue();
    assertThat(TargetDiscovery.changes("tenants", entryOf, List.of()).removed()).containsExactly("tenants-a", "tenants-b");
  }
}

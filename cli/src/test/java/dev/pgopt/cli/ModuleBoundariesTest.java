package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.net.URL;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module graph as the descriptors declare it. javac enforces the descriptors (a module cannot use a package another
 * module does not export); this test pins what they must say: every library module has one, no {@code internal}
 * package is exported, and an application that uses the client or the sample dataset does not get the engine.
 */
class ModuleBoundariesTest {
  private static final Set<String> LIBRARIES = Set.of("dev.pgopt.local", "dev.pgopt.testkit", "dev.pgopt.connect",
      "dev.pgopt.core", "dev.pgopt.sample", "dev.pgopt.vector", "dev.pgopt.embed", "dev.pgopt.client",
      "dev.pgopt.monitor", "dev.pgopt.cli");
  private static Map<String, ModuleDescriptor> modules;

  @BeforeAll
  static void readDescriptors() throws IOException {
    modules = new TreeMap<>();
    for (URL url : Collections.list(ModuleBoundariesTest.class.getClassLoader().getResources("module-info.class"))) {
      try (InputStream in = url.openStream()) {
        ModuleDescriptor d = ModuleDescriptor.read(in);
        if (d.name().startsWith("dev.pgopt.")) {
          modules.put(d.name(), d);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(url.toString(), e);
      }
    }
  }

  @Test
  void everyLibraryModuleHasADescriptor() {
    assertThat(modules.keySet()).containsAll(LIBRARIES);
  }

  @Test
  void noInternalPackageIsExportedOrOpened() {
    for (ModuleDescriptor d : modules.values()) {
      assertThat(d.exports()).as(d.name()).allSatisfy(e -> assertThat(e.source()).doesNotContain("internal"));
      assertThat(d.opens()).as(d.name()).allSatisfy(o -> assertThat(o.source()).doesNotContain("internal"));
    }
    // the check has something to bite on: these modules keep implementation packages
    for (String m : Set.of("dev.pgopt.client", "dev.pgopt.monitor", "dev.pgopt.connect", "dev.pgopt.core")) {
      assertThat(modules.get(m).packages()).as(m).anyMatch(p -> p.contains(".internal"));
    }
  }

  @Test
  void theClientAndTheSampleDatasetDoNotPullInTheEngine() {
    assertThat(reachable("dev.pgopt.client")).doesNotContain("dev.pgopt.core", "dev.pgopt.monitor", "dev.pgopt.vector");
    assertThat(reachable("dev.pgopt.sample")).doesNotContain("dev.pgopt.core");
    assertThat(reachable("dev.pgopt.connect")).isEmpty();
  }

  @Test
  void librariesDoNotDependOnTheCommandLine() {
    for (String m : modules.keySet()) {
      assertThat(reachable(m)).as(m).doesNotContain("dev.pgopt.cli");
    }
  }

  /** The pgopt modules {@code name} reads, directly or through others. */
  private static Set<String> reachable(String name) {
    Set<String> seen = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(pgoptRequires(name));
    while (!todo.isEmpty()) {
      String next = todo.pop();
      if (seen.add(next)) {
        todo.addAll(pgoptRequires(next));
      }
    }
    return seen;
  }

  private static Set<String> pgoptRequires(String name) {
    ModuleDescriptor d = modules.get(name);
    assertThat(d).as("descriptor of " + name).isNotNull();
    return d.requires().stream().map(ModuleDescriptor.Requires::name).filter(n -> n.startsWith("dev.pgopt."))
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }
}

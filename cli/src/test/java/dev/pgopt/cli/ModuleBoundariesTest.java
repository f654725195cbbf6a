package dev.pgopt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
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
      "dev.pgopt.monitor", "dev.pgopt.load", "dev.pgopt.backup", "dev.pgopt.cli");
  private static Map<String, ModuleDescriptor> modules;

  @BeforeAll
  static void readDescriptors() throws Exception {
    modules = new TreeMap<>();
    for (URL url : Collections.list(ModuleBoundariesTest.class.getClassLoader().getResources("module-info.class"))) {
      // the module's root (a jar, or target/classes in a reactor build): a ModuleFinder lists all its packages, not
      // only those the descriptor names
      Path root = url.getProtocol().equals("jar")
          ? Path.of(URI.create(url.toString().substring(4, url.toString().indexOf("!/"))))
          : Path.of(url.toURI()).getParent();
      for (ModuleReference ref : ModuleFinder.of(root).findAll()) {
        if (ref.descriptor().name().startsWith("dev.pgopt.")) {
          modules.put(ref.descriptor().name(), ref.descriptor());
        }
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

package dev.pgopt.cli.internal;

import dev.pgopt.sample.EmbeddingFiller;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The embedding module, kept out of pgopt.jar: ONNX Runtime and the model are 150 MB that only {@code sample embed}
 * needs. It is on the class path already (tests, an application), or in {@code pgopt-embed.jar} beside pgopt.jar,
 * where the build puts it.
 */
public final class EmbedModule {
  public static final String JAR = "pgopt-embed.jar";

  private EmbedModule() {}

  /** The filler, or empty with {@link #expectedAt()} saying where the jar was looked for. */
  public static Optional<EmbeddingFiller> load() {
    Optional<EmbeddingFiller> here = ServiceLoader.load(EmbeddingFiller.class, EmbedModule.class.getClassLoader()).findFirst();
    if (here.isPresent()) {
      return here;
    }
    Optional<Path> jar = expectedAt().filter(Files::isRegularFile);
    if (jar.isEmpty()) {
      return Optional.empty();
    }
    try {
      // parent first: pgjdbc and the sample module come from pgopt.jar, as the embed jar leaves them out
      URLClassLoader loader = new URLClassLoader(new URL[] {jar.get().toUri().toURL()}, EmbedModule.class.getClassLoader());
      return ServiceLoader.load(EmbeddingFiller.class, loader).findFirst();
    } catch (MalformedURLException e) {
      return Optional.empty();
    }
  }

  /** Where pgopt-embed.jar is expected: beside the jar this class was loaded from. */
  public static Optional<Path> expectedAt() {
    try {
      Path self = Path.of(EmbedModule.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Optional.of((Files.isDirectory(self) ? self : self.getParent()).resolve(JAR));
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      return Optional.empty();
    }
  }
}

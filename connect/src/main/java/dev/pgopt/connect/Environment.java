package dev.pgopt.connect;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** The process environment as pgopt reads it: injectable, so tests never touch the real one. */
public interface Environment {
  Optional<String> get(String name);

  Path home();

  String userName();

  static Environment system() {
    return new Environment() {
      @Override
      public Optional<String> get(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(v -> !v.isEmpty());
      }

      @Override
      public Path home() {
        return Path.of(System.getProperty("user.home"));
      }

      @Override
      public String userName() {
        return System.getProperty("user.name");
      }
    };
  }

  static Environment of(Map<String, String> vars, Path home, String userName) {
    return new Environment() {
      @Override
      public Optional<String> get(String name) {
        return Optional.ofNullable(vars.get(name)).filter(v -> !v.isEmpty());
      }

      @Override
      public Path home() {
        return home;
      }

      @Override
      public String userName() {
        return userName;
      }
    };
  }
}

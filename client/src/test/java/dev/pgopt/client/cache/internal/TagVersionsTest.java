package dev.pgopt.client.cache.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TagVersionsTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final TagVersions versions = new TagVersions(4, now::get);

  @Test
  void anEntryIsCurrentUntilOneOfItsTagsIsInvalidated() {
    long loadedAt = versions.now();
    String[] tags = {"k:a", "t:user:1"};
    assertThat(versions.current(loadedAt, tags)).isTrue();
    versions.invalidate(List.of("t:user:2"), 0, true);
    assertThat(versions.current(loadedAt, tags)).isTrue();
    versions.invalidate(List.of("t:user:1"), 0, true);
    assertThat(versions.current(loadedAt, tags)).isFalse();
    assertThat(versions.current(versions.now(), tags)).as("a load that began after it").isTrue();
  }

  @Test
  void forgettingOldTagsNeverMakesAStaleEntryCurrentAgain() {
    long loadedAt = versions.now();
    String[] tags = {"t:x"};
    versions.invalidate(List.of("t:x"), 0, true);
    for (int i = 0; i < 10; i++) {
      versions.invalidate(List.of("t:other" + i), 0, true);
    }
    assertThat(versions.size()).isLessThanOrEqualTo(5);
    assertThat(versions.current(loadedAt, tags)).isFalse();
    assertThat(versions.current(versions.now(), tags)).isTrue();
  }

  @Test
  void invalidateAllMakesEverythingLoadedBeforeStale() {
    long loadedAt = versions.now();
    versions.invalidateAll();
    assertThat(versions.current(loadedAt, new String[] {"t:x"})).isFalse();
    assertThat(versions.current(versions.now(), new String[] {"t:x"})).isTrue();
  }

  @Test
  void requirementsKeepTheNewestPositionAndWhenOneWasUnknown() {
    versions.invalidate(List.of("t:a"), 500, true);
    versions.invalidate(List.of("t:a"), 300, true);
    versions.invalidate(List.of("t:b"), 900, true);
    assertThat(versions.requirement(new String[] {"t:a"}).lsn()).isEqualTo(500);
    assertThat(versions.requirement(new String[] {"t:a", "t:b"}).lsn()).isEqualTo(900);
    assertThat(versions.requirement(new String[] {"t:a"}).unknownAtNanos()).isEqualTo(Long.MIN_VALUE);
    now.set(2_000);
    versions.invalidate(List.of("t:a"), 0, false);
    assertThat(versions.requirement(new String[] {"t:a"})).isEqualTo(new TagVersions.Requirement(500, 2_000));
    assertThat(versions.requirement(new String[] {"t:none"})).isEqualTo(new TagVersions.Requirement(0, Long.MIN_VALUE));
  }
}

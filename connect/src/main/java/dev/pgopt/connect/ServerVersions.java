package dev.pgopt.connect;

/** Formatting of {@code server_version_num}. */
public final class ServerVersions {
  private ServerVersions() {}

  /** 150004 → "15.4"; 90624 → "9.6.24". */
  public static String display(int num) {
    if (num >= 100000) {
      return (num / 10000) + "." + (num % 10000);
    }
    return (num / 10000) + "." + (num / 100 % 100) + "." + (num % 100);
  }

  public static int major(int num) {
    return num / 10000;
  }
}

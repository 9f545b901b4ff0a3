package io.github.newcache.internal.config;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One setting: its name, where it may be given, its default, what is allowed, what it means, and
 * how its text is parsed. {@link Settings} lists them all; parsing, error messages and the README's
 * tables come from that one list.
 *
 * @param name the key in a URI query, a properties file or override properties
 * @param scope a manager setting or a per-cache attribute ({@code cache.<name>.<attribute>})
 * @param defaultValue the value when the setting is not given (null: none)
 * @param defaultText the default as shown to users
 * @param allowed what is allowed, as shown to users and in errors
 * @param meaning what it does, one sentence
 * @param secret true when it must never appear in a URI, a message or a log
 * @param parser turns the text into a value, or throws with a message that names the input
 */
public record Setting<T>(
    String name,
    Scope scope,
    T defaultValue,
    String defaultText,
    String allowed,
    String meaning,
    boolean secret,
    Parser<T> parser) {

  /** Where a setting may be given. */
  public enum Scope {
    /** The manager: a URI query parameter, a properties-file line, an override property. */
    MANAGER,
    /** One cache: {@code cache.<name>.<attribute>} in a properties file or override properties. */
    CACHE
  }

  /** Parses a setting's text. */
  @FunctionalInterface
  public interface Parser<T> {
    /**
     * Turns the setting's text into its value, or throws {@link IllegalArgumentException} with a
     * message that names the input and what is allowed.
     *
     * @param text the trimmed text given
     * @param where how an error names the input: {@code <source>: <name>[=<text>]}
     */
    T parse(String text, String where);
  }

  /**
   * The value in {@code values} under this setting's name, or the default when absent.
   *
   * @param where how an error names the input, up to the name: {@code <source>: } or {@code <source>, cache.x.}
   * @param source whether an error may repeat the value given (never for a secret setting)
   */
  T get(Map<String, String> values, String where, Source source) {
    String text = values.get(name);
    if (text == null) {
      return defaultValue;
    }
    String t = text.trim();
    return parser.parse(t, where + name + (source.shows(name) && !secret ? "=" + t : ""));
  }

  // ---------------------------------------------------------------- parsers

  static Parser<Boolean> bool() {
    return (text, where) -> {
      if (text.equalsIgnoreCase("true")) {
        return true;
      }
      if (text.equalsIgnoreCase("false")) {
        return false;
      }
      throw new IllegalArgumentException(where + " must be true or false");
    };
  }

  static Parser<Long> number(long min, long max) {
    return number(min, max, "");
  }

  /**
   * A whole number of {@code unit} (milliseconds, seconds, bytes) from {@code min} to {@code max},
   * written without the unit; an error names the unit, so {@code opTimeout=2s} hears that it is a
   * number of milliseconds.
   */
  static Parser<Long> number(long min, long max, String unit) {
    String what = unit.isEmpty() ? "a whole number" : "a whole number of " + unit + ", written without a unit,";
    return (text, where) -> {
      try {
        long n = Long.parseLong(text);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(where + " must be " + what + " from " + min + " to " + max);
    };
  }

  private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*([kKmMgG])?");

  /** {@code 65536}, {@code 512k}, {@code 64m}, {@code 2g} (binary multiples): bytes from {@code min} to {@code max}. */
  static Parser<Long> size(long min, long max) {
    return (text, where) -> {
      Matcher m = SIZE.matcher(text);
      long bytes = -1;
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        int shift = m.group(2) == null ? 0 : "kmg".indexOf(Character.toLowerCase(m.group(2).charAt(0))) * 10 + 10;
        bytes = n > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : n << shift;
      }
      if (bytes < min || bytes > max) {
        throw new IllegalArgumentException(
            where + " must be a number of bytes from " + min + " to " + max + ", optionally with k, m or g (64m)");
      }
      return bytes;
    };
  }

  private static final Pattern DURATION = Pattern.compile("(\\d{1,15})\\s*(ms|s|m|h|d)");
  private static final Pattern BARE_NUMBER = Pattern.compile("[1-9]\\d{0,14}");

  /**
   * {@code 250ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 31d}: positive and at most {@code
   * maxDays} days. The unit is required: a bare {@code 600} is refused, since a reader of the file
   * cannot tell whether it meant seconds (memcached's TTLs) or milliseconds.
   */
  static Parser<Long> duration(long maxDays) {
    long maxMillis = maxDays * 86_400_000L;
    return (text, where) -> {
      if (BARE_NUMBER.matcher(text).matches()) {
        throw new IllegalArgumentException(where + " has no unit; write it with ms, s, m, h or d (" + text + "s for "
            + text + " seconds, " + text + "ms for milliseconds)");
      }
      Matcher m = DURATION.matcher(text);
      long millis = -1;
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        long unit = unitMillis(m.group(2));
        millis = n > maxMillis / unit ? Long.MAX_VALUE : n * unit;
      }
      if (millis <= 0 || millis > maxMillis) {
        throw new IllegalArgumentException(
            where + " is not a positive duration of at most " + maxDays + " days; use a number with ms, s, m, h or d");
      }
      return millis;
    };
  }

  private static long unitMillis(String unit) {
    return switch (unit) {
      case "s" -> 1000;
      case "m" -> 60_000;
      case "h" -> 3_600_000;
      case "d" -> 86_400_000;
      default -> 1;
    };
  }

  /** One of {@code choices}, case-insensitive, answered in lower case. */
  static Parser<String> oneOf(String... choices) {
    Set<String> allowed = Set.of(choices);
    return (text, where) -> {
      String t = text.toLowerCase(Locale.ROOT);
      if (!allowed.contains(t)) {
        throw new IllegalArgumentException(where + " is not allowed; use " + list(choices));
      }
      return t;
    };
  }

  static Parser<String> matching(Pattern pattern, String allowed) {
    return (text, where) -> {
      if (!pattern.matcher(text).matches()) {
        throw new IllegalArgumentException(where + " is not allowed; use " + allowed);
      }
      return text;
    };
  }

  static Parser<String> text() {
    return (text, where) -> text;
  }

  /** "a, b or c". */
  static String list(String... choices) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < choices.length; i++) {
      sb.append(i == 0 ? "" : i == choices.length - 1 ? " or " : ", ").append(choices[i]);
    }
    return sb.toString();
  }

  static String sorted(Set<String> s) {
    return new TreeSet<>(s).toString();
  }
}

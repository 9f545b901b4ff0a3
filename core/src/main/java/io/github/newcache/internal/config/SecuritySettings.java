package io.github.newcache.internal.config;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Who may write entries and which classes may be deserialized: parsed once, never printed.
 *
 * @param secret the key that signs every stored entry (HMAC-SHA256), or null for unsigned entries
 * @param username the SASL user (binary protocol only), or null
 * @param password the SASL password, or null
 * @param deserializationAllow class patterns that may be deserialized besides the built-in list:
 *     {@code com.example.Foo}, {@code com.example.*} (package), {@code com.example.**} (and
 *     subpackages), {@code com.example.Foo*} (prefix)
 */
public record SecuritySettings(
    Secret secret, String username, Secret password, List<String> deserializationAllow) {


  /** The shortest signing secret accepted, in bytes. */
  public static final int MIN_SECRET_BYTES = 16;

  private static final Pattern CLASS_PATTERN =
      Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*(\\.\\*\\*?|\\*)?");

  public SecuritySettings {
    deserializationAllow = List.copyOf(deserializationAllow);
  }

  /** No secret, no SASL, only the built-in deserialization allow-list. */
  public static SecuritySettings none() {
    return new SecuritySettings(null, null, null, List.of());
  }

  /**
   * Refuses a {@code memcached://} URI whose query names a secret setting. The message never
   * repeats the URI, because the URI holds the secret.
   */
  static void refuseInUri(URI uri, String source) {
    String q = uri.getRawQuery();
    if (q == null) {
      return;
    }
    for (String pair : q.split("&", -1)) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      Setting<?> setting = Settings.MANAGER_BY_NAME.get(key.trim());
      if (setting != null && setting.secret()) {
        throw new IllegalArgumentException(
            source + ": a memcached:// URI must not carry '" + key.trim() + "': URIs end up in logs and JMX "
                + "names; put it in the properties file or in the Properties given to "
                + "getCacheManager");
      }
    }
  }

  /** Reads the settings from parsed {@code values}; errors name {@code source}, never a secret. */
  static SecuritySettings from(Map<String, String> v, boolean binary, Source source) {
    Secret secret = null;
    String where = source.manager();
    String s = Settings.SECRET.get(v, where, source);
    if (s != null) {
      secret = Secret.of(s);
      if (secret.length() < MIN_SECRET_BYTES) {
        throw new IllegalArgumentException(
            source + ": secret is too short (" + secret.length() + " bytes); use at least "
                + MIN_SECRET_BYTES + " random bytes");
      }
    }
    String username = Settings.USERNAME.get(v, where, source);
    String pw = Settings.PASSWORD.get(v, where, source);
    Secret password = pw == null ? null : Secret.of(pw);
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException(
          source + ": SASL needs both username and password (only "
              + (username == null ? "password" : "username") + " is set)");
    }
    if (username != null) {
      if (username.isEmpty() || username.chars().anyMatch(c -> c < ' ')) {
        throw new IllegalArgumentException(source + ": username must be non-empty printable text");
      }
      if (!binary) {
        throw new IllegalArgumentException(
            source + ": username/password (SASL) need binary=true; memcached speaks SASL only in "
                + "its binary protocol");
      }
    }
    List<String> allow = new ArrayList<>();
    String patterns = Settings.DESERIALIZATION_ALLOW.get(v, where, source);
    if (!patterns.isEmpty()) {
      for (String p : patterns.split(",", -1)) {
        String t = p.trim();
        if (t.isEmpty()) {
          continue;
        }
        if (!CLASS_PATTERN.matcher(t).matches()) {
          throw new IllegalArgumentException(
              source + ": deserializationAllow entry " + (source.shows("deserializationAllow") ? "'" + t + "' " : "") + "is not a class name or pattern; "
                  + "use com.example.Foo, com.example.*, com.example.** or com.example.Foo*");
        }
        allow.add(t);
      }
    }
    return new SecuritySettings(secret, username, password, allow);
  }
}

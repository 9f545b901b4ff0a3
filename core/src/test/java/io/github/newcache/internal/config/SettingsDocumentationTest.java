package io.github.newcache.internal.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's settings tables are the ones the settings table renders: docs never drift from code. */
class SettingsDocumentationTest {

  private static String readme() throws IOException {
    // Surefire runs in the module directory (core/); the README is at the repository root.
    Path readme = Path.of(System.getProperty("user.dir")).resolve("../README.md").normalize();
    return Files.readString(readme);
  }

  @Test
  void theReadmeListsEveryManagerSettingAsTheTableSays() throws IOException {
    String expected = Settings.markdown(Settings.MANAGER);
    assertTrue(readme().contains(expected), "README.md must hold exactly this table:\n" + expected);
  }

  @Test
  void theReadmeListsEveryNetworkSettingAsTheTableSays() throws IOException {
    String expected = Settings.markdown(Settings.NETWORK);
    assertTrue(readme().contains(expected), "README.md must hold exactly this table:\n" + expected);
  }

  @Test
  void theReadmeListsEveryCacheAttributeAsTheTableSays() throws IOException {
    String expected = Settings.markdown(Settings.CACHE);
    assertTrue(readme().contains(expected), "README.md must hold exactly this table:\n" + expected);
  }
}

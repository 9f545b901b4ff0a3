package io.github.newcache.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * The public API of a folder of compiled classes, as sorted lines of text: one line per public or
 * protected type, followed by one indented line per public or protected constructor, method and
 * field it declares. Every package is listed, internal ones too, so that a class or member made
 * public by accident shows up.
 *
 * <p>Lines are Java's own {@code toGenericString()} forms (a type line adds its supertypes), so
 * each member line names its owner and stands on its own in a difference. Synthetic members
 * (lambda bodies, enum helpers) and bridge methods are compiler artifacts and are left out, as are
 * anonymous and local classes. Classes are loaded without being initialized, so no static
 * initializer runs; the class loader must see the classes' dependencies.
 */
final class ApiListing {

  private ApiListing() {}

  /** Lists the API of every class file under {@code classes}, loading them through {@code loader}. */
  static List<String> of(Path classes, ClassLoader loader) {
    List<Class<?>> types = new ArrayList<>();
    for (String name : classNames(classes)) {
      Class<?> type;
      try {
        type = Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalStateException("cannot load " + name + " from " + classes + ": " + e, e);
      }
      if (isApi(type)) {
        types.add(type);
      }
    }
    types.sort((a, b) -> a.getName().compareTo(b.getName()));
    List<String> lines = new ArrayList<>();
    for (Class<?> type : types) {
      lines.add(typeLine(type));
      List<String> members = new ArrayList<>();
      for (Constructor<?> constructor : type.getDeclaredConstructors()) {
        if (isApi(constructor)) {
          members.add(constructor.toGenericString());
        }
      }
      for (Method method : type.getDeclaredMethods()) {
        if (isApi(method) && !method.isBridge()) {
          members.add(method.toGenericString());
        }
      }
      for (Field field : type.getDeclaredFields()) {
        if (isApi(field)) {
          members.add(field.toGenericString());
        }
      }
      Collections.sort(members);
      for (String member : members) {
        lines.add("  " + member);
      }
    }
    return lines;
  }

  /** Binary names of the classes under {@code classes}, without module-info and package-info. */
  static List<String> classNames(Path classes) {
    try (Stream<Path> files = Files.walk(classes)) {
      return files
          .filter(file -> file.getFileName().toString().endsWith(".class"))
          .map(file -> classes.relativize(file).toString())
          .map(path -> path.substring(0, path.length() - ".class".length()))
          .filter(path -> !path.endsWith("module-info") && !path.endsWith("package-info"))
          .map(path -> path.replace(classes.getFileSystem().getSeparator(), "."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the classes under " + classes, e);
    }
  }

  private static boolean isApi(Class<?> type) {
    return !type.isSynthetic()
        && !type.isAnonymousClass()
        && !type.isLocalClass()
        && isPublicOrProtected(type.getModifiers());
  }

  private static boolean isApi(Member member) {
    return !member.isSynthetic() && isPublicOrProtected(member.getModifiers());
  }

  private static boolean isPublicOrProtected(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  /** The type's declaration: modifiers, kind, name with type parameters, and its supertypes. */
  private static String typeLine(Class<?> type) {
    StringBuilder line = new StringBuilder(type.toGenericString());
    Type superclass = type.getGenericSuperclass();
    if (superclass != null && superclass != Object.class) {
      line.append(" extends ").append(superclass.getTypeName());
    }
    Type[] interfaces = type.getGenericInterfaces();
    for (int i = 0; i < interfaces.length; i++) {
      line.append(i == 0 ? (type.isInterface() ? " extends " : " implements ") : ", ");
      line.append(interfaces[i].getTypeName());
    }
    return line.toString();
  }
}

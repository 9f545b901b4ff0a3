package io.github.newcache.internal.codec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;

/**
 * Java serialization with the manager's class loader and a per-stream filter: the cache's
 * allow-list and limits on depth, references, array sizes and bytes ({@link
 * DeserializationFilter}, carried by a {@link FilteringClassLoader}), merged with any JVM-wide
 * {@code jdk.serialFilter}. A rejected stream throws {@link RejectedValueException} before the
 * rejected class is instantiated; so does every other stream that cannot be decoded here
 * (malformed, a class missing on this JVM, too costly to build).
 */
public final class JavaSerialization {

  private JavaSerialization() {}

  public static byte[] serialize(Object o, String what) {
    return serialize(o, what, 0);
  }

  /** The serialized form after {@code headroom} zero bytes, in one array. */
  public static byte[] serialize(Object o, String what, int headroom) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 + headroom);
    bytes.write(new byte[headroom], 0, headroom);
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    } catch (NotSerializableException e) {
      throw new IllegalArgumentException(
          "the " + what + " of type " + o.getClass().getName()
              + " cannot be stored: it is not Serializable (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "the " + what + " of type " + o.getClass().getName() + " cannot be serialized: " + e, e);
    }
    return bytes.toByteArray();
  }

  /**
   * The object stored as {@code data[offset, offset + length)}. Whatever the bytes, this either
   * returns an object or throws {@link RejectedValueException} naming why, and it does so within
   * the limits of {@link DecodingLimits}: a stream whose graph would be too costly to build is
   * refused before anything is instantiated ({@link StreamShape}), and one still being read after
   * its CPU time limit is refused at its next object ({@link Deadline}).
   */
  public static Object deserialize(byte[] data, int offset, int length, ClassLoader loader) {
    DecodingLimits limits =
        loader instanceof FilteringClassLoader filtering ? filtering.limits() : DecodingLimits.DEFAULT;
    StreamShape.check(data, offset, length, limits.maxWork());
    LoaderObjectInputStream stream = null;
    try (LoaderObjectInputStream in =
        new LoaderObjectInputStream(new ByteArrayInputStream(data, offset, length), loader, limits.maxMillis(length), length)) {
      stream = in;
      return in.readObject();
    } catch (InvalidClassException e) {
      String at = stream == null ? "?" : stream.lastClass;
      if (stream != null && stream.deadline.expired()) {
        throw new RejectedValueException(
            "refused to deserialize a stored value: still reading it after "
                + limits.maxMillis(length) + " ms of CPU time (at class " + at + ")");
      }
      if (String.valueOf(e.getMessage()).contains("REJECTED")) {
        throw new RejectedValueException(
            "refused to deserialize a stored value: the deserialization filter rejected it at class "
                + at
                + " (not in the cache's allow-list, or past a size, depth or reference limit; "
                + "allow your own classes with deserializationAllow)");
      }
      throw new RejectedValueException(
          "cannot deserialize a stored value: class " + at + " differs from the one that wrote it ("
              + e.getMessage() + ")");
    } catch (ClassNotFoundException e) {
      throw new RejectedValueException(
          "cannot deserialize a stored value: class " + e.getMessage()
              + " is not on this JVM (written by another version of the application?)");
    } catch (IOException | RuntimeException | StackOverflowError | LinkageError e) {
      throw new RejectedValueException("cannot deserialize a stored value: a malformed stream (" + e + ")");
    }
  }

  private static final class LoaderObjectInputStream extends ObjectInputStream {
    private final ClassLoader loader;
    final Deadline deadline;
    /** The class last resolved, to name it when the filter rejects the stream. */
    String lastClass = "?";

    LoaderObjectInputStream(InputStream in, ClassLoader loader, long maxMillis, long length) throws IOException {
      super(in);
      this.loader = loader;
      // The cache's allow-list travels with its loader; a plain loader gets the built-in list.
      ObjectInputFilter ours =
          loader instanceof FilteringClassLoader filtering
              ? filtering.filter()
              : DeserializationFilter.DEFAULT;
      ObjectInputFilter jvmWide = ObjectInputFilter.Config.getSerialFilter();
      ObjectInputFilter merged = jvmWide == null ? ours : ObjectInputFilter.merge(jvmWide, ours);
      this.deadline = new Deadline(merged, maxMillis, length);
      setObjectInputFilter(deadline);
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
      lastClass = desc.getName();
      try {
        return Class.forName(desc.getName(), false, loader);
      } catch (ClassNotFoundException e) {
        return super.resolveClass(desc);
      }
    }
  }
}

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
import javax.cache.CacheException;

/**
 * Java serialization with the manager's class loader and a per-stream filter: the cache's
 * allow-list and limits on depth, references, array sizes and bytes ({@link
 * DeserializationFilter}, carried by a {@link FilteringClassLoader}), merged with any JVM-wide
 * {@code jdk.serialFilter}. A rejected stream throws {@link RejectedValueException} before the
 * rejected class is instantiated.
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

  public static Object deserialize(byte[] data, int offset, int length, ClassLoader loader) {
    LoaderObjectInputStream stream = null;
    try (LoaderObjectInputStream in = new LoaderObjectInputStream(new ByteArrayInputStream(data, offset, length), loader)) {
      stream = in;
      return in.readObject();
    } catch (InvalidClassException e) {
      if (String.valueOf(e.getMessage()).contains("REJECTED")) {
        throw new RejectedValueException(
            "refused to deserialize a stored value: the deserialization filter rejected it at class "
                + (stream == null ? "?" : stream.lastClass)
                + " (not in the cache's allow-list, or past a size, depth or reference limit; "
                + "allow your own classes with deserializationAllow)");
      }
      throw new CacheException("cannot deserialize a stored value: " + e, e);
    } catch (IOException | ClassNotFoundException e) {
      throw new CacheException("cannot deserialize a stored value: " + e, e);
    }
  }

  private static final class LoaderObjectInputStream extends ObjectInputStream {
    private final ClassLoader loader;
    /** The class last resolved, to name it when the filter rejects the stream. */
    String lastClass = "?";

    LoaderObjectInputStream(InputStream in, ClassLoader loader) throws IOException {
      super(in);
      this.loader = loader;
      // The cache's allow-list travels with its loader; a plain loader gets the built-in list.
      ObjectInputFilter ours =
          loader instanceof FilteringClassLoader filtering
              ? filtering.filter()
              : DeserializationFilter.DEFAULT;
      ObjectInputFilter jvmWide = ObjectInputFilter.Config.getSerialFilter();
      setObjectInputFilter(jvmWide == null ? ours : ObjectInputFilter.merge(jvmWide, ours));
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

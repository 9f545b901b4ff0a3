package io.github.newcache.codec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import javax.cache.CacheException;

/**
 * Java serialization with the manager's class loader and a per-stream filter that bounds depth,
 * references and array sizes (merged with any JVM-wide {@code jdk.serialFilter}).
 */
public final class JavaSerialization {

  private static final ObjectInputFilter LIMITS =
      ObjectInputFilter.Config.createFilter(
          "maxdepth=100;maxrefs=1000000;maxarray=16777216;maxbytes=1073741824");

  private JavaSerialization() {}

  public static byte[] serialize(Object o, String what) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
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
    try (ObjectInputStream in = new LoaderObjectInputStream(new ByteArrayInputStream(data, offset, length), loader)) {
      return in.readObject();
    } catch (IOException | ClassNotFoundException e) {
      throw new CacheException("cannot deserialize a stored value: " + e, e);
    }
  }

  private static final class LoaderObjectInputStream extends ObjectInputStream {
    private final ClassLoader loader;

    LoaderObjectInputStream(InputStream in, ClassLoader loader) throws IOException {
      super(in);
      this.loader = loader;
      ObjectInputFilter jvmWide = ObjectInputFilter.Config.getSerialFilter();
      setObjectInputFilter(jvmWide == null ? LIMITS : ObjectInputFilter.merge(jvmWide, LIMITS));
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
      try {
        return Class.forName(desc.getName(), false, loader);
      } catch (ClassNotFoundException e) {
        return super.resolveClass(desc);
      }
    }
  }
}

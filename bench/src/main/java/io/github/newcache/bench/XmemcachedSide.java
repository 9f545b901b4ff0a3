package io.github.newcache.bench;

import com.google.code.yanf4j.core.impl.StandardSocketOption;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.command.BinaryCommandFactory;
import net.rubyeye.xmemcached.command.TextCommandFactory;
import net.rubyeye.xmemcached.exception.MemcachedException;
import net.rubyeye.xmemcached.impl.KetamaMemcachedSessionLocator;
import net.rubyeye.xmemcached.transcoders.CachedData;
import net.rubyeye.xmemcached.transcoders.CompressionMode;
import net.rubyeye.xmemcached.transcoders.Transcoder;

/**
 * Raw xmemcached 2.4.8, the fastest Java memcached client we know: the ours/xmemcached ratio says
 * how far our cache is from the best a raw client does on the same server.
 *
 * <p>Configured fairly against spymemcached: the same protocol (text or binary command factory),
 * ketama session locator, 1 s operation timeout, and a pass-through transcoder (flags 0, no
 * compression, no serialization), and socket buffers left to the OS as spymemcached leaves them
 * (xmemcached's own fixed sizes make large values crawl, see the constructor). Everything else is
 * xmemcached's default: one NIO connection per server (its user guide's point is that NIO needs
 * only one; spymemcached and ours use one too), concurrent gets merged into multi-gets and write
 * buffers merged, session healing on.
 *
 * <p>Batches: {@code getAll} is xmemcached's multi-get ({@code get(Collection)}). xmemcached has
 * no asynchronous set, so its pipelined {@code putAll} is all but the last entry as {@code noreply}
 * sets, then the last as an acknowledged set on the same (single, ordered) connection: when that
 * answer arrives memcached has processed the whole batch. That is one round trip like the others,
 * but it cannot tell if an individual item was refused, a weaker guarantee than ours and
 * spymemcached's; the comparison errs in xmemcached's favour.
 */
final class XmemcachedSide implements Side {

  static final String ID = "xmemcached";

  private static final Transcoder<byte[]> BYTES = new PassThrough();

  private final MemcachedClient client;

  XmemcachedSide(MemcachedServer server, boolean binary) {
    XMemcachedClientBuilder builder = new XMemcachedClientBuilder(List.of(new InetSocketAddress(server.host(), server.port())));
    builder.setCommandFactory(binary ? new BinaryCommandFactory() : new TextCommandFactory());
    builder.setSessionLocator(new KetamaMemcachedSessionLocator());
    builder.setOpTimeout(OP_TIMEOUT_MILLIS);
    builder.setTranscoder(BYTES);
    // Socket buffers as the OS sizes them, as for spymemcached: xmemcached's fixed 32 KB send and
    // 64 KB receive buffers made one 500 KB set take ~250 ms here (20 ms with the OS's).
    builder.getSocketOptions().remove(StandardSocketOption.SO_SNDBUF);
    builder.getSocketOptions().remove(StandardSocketOption.SO_RCVBUF);
    try {
      client = builder.build();
    } catch (IOException e) {
      throw new IllegalStateException("cannot connect to " + server.address() + ": " + e, e);
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public byte[] get(String key) {
    try {
      return client.get(key, BYTES);
    } catch (TimeoutException | MemcachedException e) {
      throw failed(e);
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
  }

  @Override
  public void put(String key, byte[] value) {
    try {
      if (!client.set(key, 0, value, BYTES)) {
        throw new IllegalStateException("memcached did not store " + key);
      }
    } catch (TimeoutException | MemcachedException e) {
      throw failed(e);
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
  }

  @Override
  public Map<String, byte[]> getAll(Set<String> keys) {
    try {
      return client.get(keys, BYTES);
    } catch (TimeoutException | MemcachedException e) {
      throw failed(e);
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
  }

  /** noreply sets, then one acknowledged set on the same ordered connection (see the class doc). */
  @Override
  public void putAll(Map<String, byte[]> entries) {
    try {
      Iterator<Map.Entry<String, byte[]>> it = entries.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, byte[]> e = it.next();
        if (it.hasNext()) {
          client.setWithNoReply(e.getKey(), 0, e.getValue(), BYTES);
        } else if (!client.set(e.getKey(), 0, e.getValue(), BYTES)) {
          throw new IllegalStateException("memcached did not store " + e.getKey());
        }
      }
    } catch (TimeoutException | MemcachedException e) {
      throw failed(e);
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
  }

  @Override
  public void close() {
    try {
      client.shutdown();
    } catch (IOException e) {
      throw new IllegalStateException("xmemcached shutdown failed: " + e, e);
    }
  }

  private static IllegalStateException failed(Exception e) {
    return new IllegalStateException("xmemcached operation failed: " + e, e);
  }

  private static IllegalStateException interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    return new IllegalStateException("interrupted", e);
  }

  /** Hands the caller's bytes to xmemcached untouched: flags 0, never compressed or serialized. */
  static final class PassThrough implements Transcoder<byte[]> {

    @Override
    public CachedData encode(byte[] o) {
      return new CachedData(0, o, MAX_ITEM_SIZE, -1);
    }

    @Override
    public byte[] decode(CachedData d) {
      return d.getData();
    }

    @Override
    public void setPrimitiveAsString(boolean primitiveAsString) {}

    @Override
    public void setPackZeros(boolean packZeros) {}

    @Override
    public void setCompressionThreshold(int to) {}

    @Override
    public boolean isPrimitiveAsString() {
      return false;
    }

    @Override
    public boolean isPackZeros() {
      return false;
    }

    @Override
    public void setCompressionMode(CompressionMode compressMode) {}
  }
}

package io.github.newcache.internal.transport;

import java.net.InetSocketAddress;

/**
 * Told when a server's connection is made or lost, on the client's IO thread: implementations
 * return at once and do their work elsewhere. How the DNS watcher learns that a name should be
 * resolved again while its connection is being re-established.
 */
interface ServerEvents {

  /** Nobody listens. */
  ServerEvents NONE = new ServerEvents() {
    @Override
    public void connected(InetSocketAddress server) {}

    @Override
    public void lost(InetSocketAddress server) {}
  };

  /**
   * A connection to {@code server} was made (at start or again).
   *
   * @param server the server as the transport was given it
   */
  void connected(InetSocketAddress server);

  /**
   * The connection to {@code server} was lost; spymemcached tries to make it again.
   *
   * @param server the server as the transport was given it
   */
  void lost(InetSocketAddress server);
}

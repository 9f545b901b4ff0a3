package io.github.newcache.frameworks.boot;

import java.io.Serializable;

/** What the catalog caches: a serializable value, as every value stored in memcached must be. */
public record Book(long id, String title, int edition) implements Serializable {}

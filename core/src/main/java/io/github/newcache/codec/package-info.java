/**
 * The value codec SPI: a {@link io.github.newcache.codec.ValueCodec} turns cache values into bytes
 * and back. {@link io.github.newcache.codec.DefaultValueCodec} is the default.
 */
package io.github.newcache.codec;

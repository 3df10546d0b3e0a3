#ifndef SWIFT_LIBWEBSOCKETS_TEST_ZLIB_H
#define SWIFT_LIBWEBSOCKETS_TEST_ZLIB_H
/* zlib for the tests' own permessage-deflate peer (zlib1g-dev, which libwebsockets-dev needs). */
#include <zlib.h>

/** deflateInit2 and inflateInit2 are macros Swift cannot import. Raw deflate (negative window
 * bits), as RFC 7692 uses it. */
static inline int lwsbt_deflate_init(z_stream *s, int level, int window_bits) {
    return deflateInit2(s, level, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY);
}
static inline int lwsbt_inflate_init(z_stream *s, int window_bits) {
    return inflateInit2(s, -window_bits);
}
#endif

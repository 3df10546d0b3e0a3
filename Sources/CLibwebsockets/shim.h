#ifndef SWIFT_LIBWEBSOCKETS_SHIM_H
#define SWIFT_LIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>

/* Only what Swift cannot import on its own: macros that expand to expressions, and a
 * non-variadic entry to lws's printf-style logger. */

/** Headroom every buffer handed to lws_write needs in front of its payload. */
static inline size_t lwsb_pre(void) { return LWS_PRE; }

/** LWS_LIBRARY_VERSION_NUMBER, e.g. 4001006 for 4.1.6. */
static inline unsigned int lwsb_version_number(void) { return LWS_LIBRARY_VERSION_NUMBER; }

/** Logs one line through lws's own logger at the given LLL_* level. */
static inline void lwsb_log(int level, const char *line) { _lws_log(level, "%s\n", line); }

#endif

/*
 * lws-load: a small websocket load generator for the swift-libwebsockets
 * benchmarks.
 *
 * It deliberately does NOT use libwebsockets: it is plain non-blocking
 * sockets + epoll on one thread, so the C baseline server and the Swift
 * server are driven by exactly the same client code.  It does its own
 * RFC 6455 client handshake (SHA-1 + base64 for Sec-WebSocket-Accept),
 * sends masked frames and parses the server's unmasked frames (7-, 16- and
 * 64-bit lengths, continuation frames, ping/pong/close).
 *
 * Modes
 *
 *   echo (default):
 *     lws-load --url ws://127.0.0.1:PORT/ --connections C --size BYTES
 *              [--text|--binary] --duration SECONDS --warmup SECONDS
 *
 *     Every connection keeps exactly one message in flight: send, wait for
 *     the complete echo, send again.  The clock starts once all C
 *     connections are open; the first --warmup seconds are not counted.
 *     Reports round trips/s, MB/s (echoed payload bytes per second, one
 *     direction, MB = 1e6 bytes) and round-trip latency percentiles.  Every
 *     echo is checked for opcode, length and (unless --no-verify) content;
 *     a wrong echo counts as a mismatch and as an error.
 *
 *   echo, a fixed number of round trips (--messages N):
 *     lws-load --url ws://127.0.0.1:PORT/ --connections C --messages N
 *
 *     The same closed loop, but with no warmup and no clock: exactly N
 *     messages go out in all (each connection sends again only while fewer
 *     than N were sent), and the run ends when the N-th echo is back.
 *     --duration is then only a time limit (default 600 s), past which the
 *     run fails.  N = 0 opens and closes the connections and sends nothing.
 *     For counting instructions per round trip (Benchmarks/callgrind.sh).
 *
 *   idle:
 *     lws-load --url ws://127.0.0.1:PORT/ --idle C --hold SECONDS
 *
 *     Opens C connections, sends one small message on each and waits for
 *     its echo, prints "established C" (flushed), keeps them open for
 *     SECONDS, then closes them.
 *
 * TLS: a wss:// URL (wss://localhost:PORT/) makes every connection do a
 * non-blocking OpenSSL handshake after the TCP connect, then the same
 * upgrade and framing through SSL_read / SSL_write.  TLS 1.2 at least,
 * OpenSSL picks the version and cipher (TLS 1.3 in practice); ALPN offers
 * http/1.1; SNI and the name checked in the certificate are the URL's host
 * ("localhost"; an IP literal is checked as an IP address and sends no
 * SNI).  The server's chain is verified against --ca-file PATH, or against
 * the system's trust store without it: there is no insecure mode.  The
 * negotiated version, cipher and ALPN are printed once on stderr and in the
 * RESULT line (tls=... cipher=... alpn=...).
 *
 * The last line on stdout is always machine readable:
 *   RESULT mode=echo ... rtps=... mbps=... p50_us=... p99_us=... errors=...
 *   RESULT mode=idle ... established=... errors=...
 * Human-readable detail goes to stderr.  Exit status is 0 only if
 * errors=0.
 *
 * Payloads (--content): by default every message carries the same
 * pseudo-random payload (letters for text, all byte values for binary).
 * --content json|random|zero makes a pool of 64 different payloads of
 * --size bytes (1024 unless --size is given), and each connection sends
 * them in turn, so that consecutive messages differ (64 x 1 KiB is more
 * than a 32 KiB deflate window: a compressor cannot just point back at the
 * previous copy of the same message):
 *   json    JSON-like text with repeating keys and small varying numbers,
 *           which compresses well;
 *   random  random printable ASCII (0x20-0x7e), which does not;
 *   zero    zero bytes (binary) or spaces (text).
 *
 * permessage-deflate (--deflate, RFC 7692): the upgrade request offers
 * "permessage-deflate; client_max_window_bits" (what lws clients offer) and
 * the server must accept it, else the connection counts as a connect
 * error.  Every data message is then compressed (zlib raw deflate, level 1,
 * Z_SYNC_FLUSH, the trailing 00 00 ff ff removed, RSV1 set), honouring the
 * server's client_no_context_takeover and client_max_window_bits; messages
 * from the server with RSV1 are inflated and the inflated bytes are
 * checked like uncompressed ones.  This is the client's own zlib code, not
 * lws's (lws 4.1.6's client-side permessage-deflate is not reliable).
 *
 * Bytes on the wire: the RESULT line reports the websocket bytes (frame
 * headers and payloads, after compression; over wss:// the TLS records)
 * that the client's send()/recv() moved during the measured seconds, as
 * wire_tx, wire_rx and wire_per_rt (both directions per round trip).
 * TCP/IP headers are not included.  echoes= counts every echo received,
 * warmup included (to divide a server's CPU time over the whole run by).
 *
 * Server CPU (--server-pid PID, echo modes): the client reads the server's
 * utime + stime from /proc/PID/stat when the measured seconds start and
 * when they end (with --messages: when all connections are open, before the
 * first message, and when the last echo is back), so the figure covers
 * exactly the window whose round trips it counts.  The RESULT line gives
 * server_cpu_s= and server_cpu_us_per_rt= (microseconds of server CPU per
 * round trip); both are -1 without --server-pid or if /proc could not be
 * read.  /proc counts in clock ticks (1/CLK_TCK s, 10 ms), so a window
 * should hold a few hundred of them.
 *
 * --idle-silent (idle mode): connections send nothing after the upgrade,
 * so a server's per-connection memory can be measured before any message.
 *
 * Only loopback (127.0.0.0/8) targets are accepted.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#define HS_BUF_SIZE	4096		/* max handshake response size */
#define RX_BUF_SIZE	(256 * 1024)	/* shared socket read buffer */
#define MAX_EVENTS	1024
#define CLOSE_GRACE_NS	(2 * 1000000000ull) /* wait for close replies */

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9,
       OP_PONG = 10 };

enum cstate {
	CS_NEW,		/* not started yet */
	CS_CONNECTING,	/* non-blocking connect() in progress */
	CS_TLS,		/* wss: TLS handshake (SSL_connect) in progress */
	CS_HANDSHAKE,	/* upgrade request sent, reading the 101 response */
	CS_OPEN,	/* websocket open */
	CS_CLOSING,	/* we sent a close frame, waiting for the server's */
	CS_CLOSED
};

enum phase {
	PH_CONNECT,	/* opening connections */
	PH_WARMUP,	/* echo: traffic flows, not counted */
	PH_MEASURE,	/* echo: counted */
	PH_HOLD,	/* idle: all established, holding */
	PH_CLOSING,	/* close frames sent, waiting for the server */
	PH_DONE
};

struct conn {
	int		fd;
	enum cstate	state;
	unsigned int	want_out:1;	/* EPOLLOUT currently requested */
	unsigned int	in_msg:1;	/* inside a fragmented data message */
	unsigned int	in_payload:1;	/* parser: reading a frame payload */
	unsigned int	content_bad:1;	/* current echo differs from sent */
	unsigned int	awaiting:1;	/* a message is in flight */
	unsigned int	idle_echoed:1;	/* idle mode: first echo seen */
	unsigned int	rd_wants_wr:1;	/* wss: SSL_read needs the socket writable */
	unsigned int	wr_wants_rd:1;	/* wss: SSL_write needs the socket readable */
	unsigned int	out_tried:1;	/* wss: SSL_write of out (ctrl) would */
	unsigned int	ctrl_tried:1;	/* block: retry with the same frame */
	unsigned int	pmd:1;		/* permessage-deflate agreed */
	unsigned int	pmd_client_nct:1; /* we reset our deflater per message */
	unsigned int	msg_z:1;	/* the message being read is compressed */

	SSL		*ssl;		/* wss only, else NULL */

	/* handshake */
	char		*hs;		/* response buffer (HS_BUF_SIZE) */
	size_t		hs_len;
	char		accept[32];	/* expected Sec-WebSocket-Accept */

	/* output: the current data frame, plus at most one control frame */
	const unsigned char *out;
	size_t		out_len, out_off;
	unsigned char	ctrl[2 + 4 + 125];
	size_t		ctrl_len, ctrl_off;

	/* input frame parser */
	unsigned char	hdr[14];
	unsigned int	hdr_have, hdr_need;
	unsigned int	fin, opcode;
	uint64_t	pay_left;
	unsigned char	cin[125];	/* control frame payload */
	size_t		cin_len;
	unsigned int	msg_opcode;
	uint64_t	msg_len;

	uint64_t	sent_ns;	/* when the in-flight message was sent */

	/* payloads and permessage-deflate */
	unsigned int	pool_next;	/* next payload of the pool to send */
	const unsigned char *expect;	/* payload of the message in flight */
	int		pmd_client_bits; /* client_max_window_bits agreed (15) */
	z_stream	*zd, *zi;	/* deflater, inflater (--deflate) */
	unsigned char	*zframe;	/* this connection's compressed frame */
};

/* ---- options ---- */

static struct sockaddr_in target;
static char host_hdr[80], path[256] = "/";
static char url_host[64];	/* the URL's host, as written */
static int use_tls;		/* wss:// */
static const char *ca_file;	/* --ca-file, else the system trust store */
static SSL_CTX *ssl_ctx;
static char tls_version[32] = "none", tls_cipher[64] = "none",
	    tls_alpn[32] = "none";
static long n_conns = 1, idle_conns = 0, connect_concurrency = 256;
static size_t msg_size = 64;
static int binary = 0, verify = 1;
static double duration_s = 5, warmup_s = 1, hold_s = 5, connect_timeout_s = 60;
static int size_given, deflate_opt, idle_silent, duration_given;
static long messages_total = -1;	/* --messages N, else -1 */
static long server_pid = -1;		/* --server-pid PID, else -1 */
enum { CONTENT_DEFAULT, CONTENT_JSON, CONTENT_RANDOM, CONTENT_ZERO };
static int content = CONTENT_DEFAULT;
static const char *content_name = "default";

/* ---- state ---- */

static struct conn *conns;
static long n_total;		/* connections to open (echo or idle) */
static int epfd;
static enum phase phase = PH_CONNECT;
static uint64_t t_start, t_established, t_measure, t_end, t_hold_end,
		t_close_deadline;
static long started, pending, established, idle_ready, open_conns;
static uint64_t roundtrips, errors, mismatches, closed_early, conn_errors,
		proto_errors;
static unsigned char *payload;	/* what we send (unmasked) */
static unsigned char *frame;	/* the masked frame carrying payload */
static size_t frame_len;
/* --content: the pool of payloads and their pre-masked frames */
#define POOL_SIZE	64
static unsigned char *pool[POOL_SIZE], *pool_frame[POOL_SIZE];
static size_t pool_frame_len[POOL_SIZE];
static unsigned int pool_n = 1;
/* --deflate: scratch space for one compressed payload */
static unsigned char *zscratch;
static size_t zscratch_cap;
static unsigned char zout[64 * 1024];	/* inflated bytes */
static long deflate_conns;		/* connections that agreed on it */
/* bytes moved by send()/recv() (or SSL_write/SSL_read), in total ... */
static uint64_t wire_tx, wire_rx;
/* ... and at the start and end of the measured seconds */
static uint64_t wire_tx0, wire_rx0, wire_tx1, wire_rx1;
static uint64_t echoes;		/* echoes received in all phases */
static unsigned char mask_key[4];
static unsigned char rxbuf[RX_BUF_SIZE];
static volatile sig_atomic_t interrupted;
static double cpu_measure_start, cpu_measure_end;	/* our own CPU, s */
static long sent_msgs;		/* --messages: messages sent so far */
/* --server-pid: the server's CPU ticks (utime + stime) at the start and
 * end of the measured window, -1 if unread */
static long long srv_ticks0 = -1, srv_ticks1 = -1;
static uint64_t wall_measure_start, wall_measure_end;

/* latency samples, ns (clipped to UINT32_MAX) */
static uint32_t *lat;
static size_t lat_n, lat_cap;

static int is_idle(void) { return idle_conns > 0; }
static int counted(void) { return messages_total >= 0; }

/* utime + stime of --server-pid in clock ticks, or -1 */
static long long
server_ticks(void)
{
	char fn[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	if (server_pid <= 0)
		return -1;
	snprintf(fn, sizeof(fn), "/proc/%ld/stat", server_pid);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip to the last ')' */
	p = strrchr(buf, ')');
	/* then: state ppid pgrp session tty_nr tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
enter_measure(uint64_t now)
{
	phase = PH_MEASURE;
	srv_ticks0 = server_ticks();
	wire_tx0 = wire_tx;
	wire_rx0 = wire_rx;
	cpu_measure_start = cpu_seconds();
	wall_measure_start = now;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "lws-load: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

/* report the first few problems in detail, then only count them */
static void
note(const char *fmt, ...)
{
	static int shown;
	va_list ap;

	if (shown++ >= 10) {
		if (shown == 12)
			fprintf(stderr, "lws-load: (further problems not shown)\n");
		return;
	}
	va_start(ap, fmt);
	fprintf(stderr, "lws-load: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* ---- SHA-1 (RFC 3174) and base64, just enough for the handshake ---- */

static uint32_t
rol32(uint32_t x, int s)
{
	return (x << s) | (x >> (32 - s));
}

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

	a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

static void
sha1(const void *data, size_t len, unsigned char out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
			  0xc3d2e1f0 };
	const unsigned char *p = data;
	unsigned char tail[128];
	size_t rest = len % 64, tl = rest < 56 ? 64 : 128, i;
	uint64_t bits = (uint64_t)len * 8;

	for (i = 0; i + 64 <= len; i += 64)
		sha1_block(h, p + i);

	/* padding: 0x80, zeros, 64-bit big-endian bit length */
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p + len - rest, rest);
	tail[rest] = 0x80;
	for (i = 0; i < 8; i++)
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(h, tail);
	if (tl == 128)
		sha1_block(h, tail + 64);

	for (i = 0; i < 20; i++)
		out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void
base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*out++ = tab[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		*out++ = tab[in[i + 2] & 63];
	}
	if (len - i == 1) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*out++ = tab[(in[i + 1] & 15) << 2];
		*out++ = '=';
	}
	*out = '\0';
}

static void
fill_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("getrandom: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

/* ---- frames ---- */

/*
 * Build a masked client frame (FIN set) into out; returns its length.
 * out must have room for len + 14 bytes.
 */
static size_t
build_frame(unsigned char *out, unsigned int opcode, const unsigned char *pl,
	    size_t len)
{
	size_t n = 0, i;

	out[n++] = (unsigned char)(0x80 | opcode);
	if (len < 126)
		out[n++] = (unsigned char)(0x80 | len);
	else if (len <= 0xffff) {
		out[n++] = 0x80 | 126;
		out[n++] = (unsigned char)(len >> 8);
		out[n++] = (unsigned char)len;
	} else {
		out[n++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[n++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(out + n, mask_key, 4);
	n += 4;
	for (i = 0; i < len; i++)
		out[n + i] = pl[i] ^ mask_key[i & 3];

	return n + len;
}

/* ---- epoll / socket plumbing ---- */

static void
set_events(struct conn *c, int want_out)
{
	struct epoll_event ev;

	if ((int)c->want_out == want_out)
		return;
	c->want_out = (unsigned int)want_out;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
	ev.data.u32 = (uint32_t)(c - conns);
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl MOD: %s", strerror(errno));
}

static void
conn_close(struct conn *c)
{
	if (c->state == CS_CLOSED || c->state == CS_NEW)
		return;
	if (c->state == CS_CONNECTING || c->state == CS_TLS ||
	    c->state == CS_HANDSHAKE)
		pending--;
	else
		open_conns--;
	if (c->ssl) {
		/* no close_notify: the websocket close (or its absence) is
		 * what this client measures, and the server drops TCP anyway */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);	/* also removes it from the epoll set */
	c->fd = -1;
	c->state = CS_CLOSED;
	free(c->hs);
	c->hs = NULL;
	if (c->zd) {
		deflateEnd(c->zd);
		free(c->zd);
		c->zd = NULL;
	}
	if (c->zi) {
		inflateEnd(c->zi);
		free(c->zi);
		c->zi = NULL;
	}
	free(c->zframe);
	c->zframe = NULL;
}

/*
 * ---- I/O: recv/send for ws://, SSL_read/SSL_write for wss:// ----
 *
 * io_read and io_write return the bytes moved (> 0), 0 for an orderly end
 * of the stream (io_read only: FIN, TLS close_notify, or TLS EOF without
 * close_notify), IO_AGAIN when the socket would block, or IO_ERROR with the
 * reason in io_why.  OpenSSL's error queue is kept empty between calls, as
 * SSL_get_error needs.
 *
 * OpenSSL specifics the callers rely on:
 *  - SSL_read returns at most one TLS record, and decrypted bytes can wait
 *    inside OpenSSL where epoll cannot see them, so wss readers loop until
 *    IO_AGAIN rather than stopping after a short read;
 *  - SSL_read may need to write (and SSL_write to read): rd_wants_wr asks
 *    for EPOLLOUT to retry the read, wr_wants_rd retries the write after
 *    the next read;
 *  - SSL_MODE_ENABLE_PARTIAL_WRITE lets SSL_write return after each record,
 *    like send(); after IO_AGAIN the write must be retried with the same
 *    bytes (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets the pointer differ),
 *    which flush_out guarantees with out_tried.
 */
#define IO_AGAIN	(-1)
#define IO_ERROR	(-2)

static char io_why[200];

/* io_why for a failed SSL call, from the error queue (then emptied) */
static void
ssl_failure(struct conn *c, const char *what, int err, int saved_errno)
{
	unsigned long e = ERR_get_error();
	long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	char buf[120];

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else if (err == SSL_ERROR_SYSCALL && saved_errno)
		snprintf(buf, sizeof(buf), "%s", strerror(saved_errno));
	else
		snprintf(buf, sizeof(buf), "SSL_get_error %d", err);
	if (v != X509_V_OK)
		snprintf(io_why, sizeof(io_why), "%s: %s (%s)", what, buf,
			 X509_verify_cert_error_string(v));
	else
		snprintf(io_why, sizeof(io_why), "%s: %s", what, buf);
	ERR_clear_error();
}

/* recv (into rbuf) or send (from wbuf) on a plain socket, retried on EINTR. */
static ssize_t
plain_io(struct conn *c, void *rbuf, const void *wbuf, size_t len)
{
	for (;;) {
		ssize_t n = rbuf ? recv(c->fd, rbuf, len, 0) : send(c->fd, wbuf, len, MSG_NOSIGNAL);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return IO_AGAIN;
		snprintf(io_why, sizeof(io_why), "%s", strerror(errno));
		return IO_ERROR;
	}
}

static ssize_t
io_read(struct conn *c, void *buf, size_t len)
{
	int r, err, saved;

	if (!c->ssl) {
		ssize_t n = plain_io(c, buf, NULL, len);

		if (n > 0)
			wire_rx += (uint64_t)n;
		return n;
	}

	c->rd_wants_wr = 0;
	errno = 0;
	r = SSL_read(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (r > 0) {
		wire_rx += (uint64_t)r;
		return r;
	}
	saved = errno;
	err = SSL_get_error(c->ssl, r);
	switch (err) {
	case SSL_ERROR_WANT_READ:
		return IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->rd_wants_wr = 1;
		set_events(c, 1);
		return IO_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF) */
		ERR_clear_error();
		return 0;
	case SSL_ERROR_SYSCALL:
		if (!saved && !ERR_peek_error()) {
			ERR_clear_error();
			return 0;	/* EOF */
		}
		/* fallthrough */
	default:
		ssl_failure(c, "SSL_read", err, saved);
		return IO_ERROR;
	}
}

static ssize_t
io_write(struct conn *c, const void *buf, size_t len)
{
	int r, err, saved;

	if (!c->ssl) {
		ssize_t n = plain_io(c, NULL, buf, len);

		if (n > 0)
			wire_tx += (uint64_t)n;
		return n;
	}

	c->wr_wants_rd = 0;
	errno = 0;
	r = SSL_write(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (r > 0) {
		wire_tx += (uint64_t)r;
		return r;
	}
	saved = errno;
	err = SSL_get_error(c->ssl, r);
	switch (err) {
	case SSL_ERROR_WANT_WRITE:
		return IO_AGAIN;
	case SSL_ERROR_WANT_READ:
		c->wr_wants_rd = 1;
		return IO_AGAIN;
	default:
		ssl_failure(c, "SSL_write", err, saved);
		return IO_ERROR;
	}
}

/* a connection failed outside an orderly close */
static void
conn_fail(struct conn *c, uint64_t *counter, const char *why)
{
	if (phase < PH_CLOSING) {
		(*counter)++;
		errors++;
		note("connection %ld: %s", (long)(c - conns), why);
	}
	conn_close(c);
}

/*
 * Push out pending bytes: a partly sent data frame goes first (control
 * frames may not be interleaved inside it), then the control frame, then
 * a data frame that has not started.  Returns -1 if the connection died.
 */
static int
flush_out(struct conn *c)
{
	for (;;) {
		const unsigned char *p;
		size_t left, *off;
		ssize_t n;

		if (c->out && (c->out_off || c->out_tried) &&
		    c->out_off < c->out_len) {
			p = c->out;
			left = c->out_len;
			off = &c->out_off;
		} else if (c->ctrl_off < c->ctrl_len) {
			p = c->ctrl;
			left = c->ctrl_len;
			off = &c->ctrl_off;
		} else if (c->out && c->out_off < c->out_len) {
			p = c->out;
			left = c->out_len;
			off = &c->out_off;
		} else
			break;

		n = io_write(c, p + *off, left - *off);
		if (n == IO_AGAIN) {
			if (c->ssl && off == &c->out_off)
				c->out_tried = 1;
			else if (c->ssl)
				c->ctrl_tried = 1;
			/* wait for writable, unless OpenSSL needs a read */
			set_events(c, c->wr_wants_rd ? c->rd_wants_wr : 1);
			return 0;
		}
		if (n < 0) {
			conn_fail(c, &closed_early, io_why);
			return -1;
		}
		*off += (size_t)n;
		if (c->out && c->out_off == c->out_len) {
			c->out = NULL;
			c->out_len = c->out_off = 0;
			c->out_tried = 0;
		}
		if (c->ctrl_len && c->ctrl_off == c->ctrl_len) {
			c->ctrl_len = c->ctrl_off = 0;
			c->ctrl_tried = 0;
		}
	}
	set_events(c, c->rd_wants_wr);

	return 0;
}

static int
send_ctrl(struct conn *c, unsigned int opcode, const unsigned char *pl,
	  size_t len)
{
	if (c->ctrl_len)	/* one pending control frame is enough */
		return 0;
	c->ctrl_len = build_frame(c->ctrl, opcode, pl, len);
	c->ctrl_off = 0;

	return flush_out(c);
}

/*
 * --deflate: compress payload p into c->zframe as one masked frame with
 * RSV1 set; returns its length, or 0 on a zlib failure.
 */
static size_t
deflate_frame(struct conn *c, const unsigned char *p)
{
	unsigned int opcode = binary ? OP_BINARY : OP_TEXT;
	size_t zlen;
	int r;

	c->zd->next_in = (unsigned char *)p;
	c->zd->avail_in = (uInt)msg_size;
	c->zd->next_out = zscratch;
	c->zd->avail_out = (uInt)zscratch_cap;
	r = deflate(c->zd, Z_SYNC_FLUSH);
	if (r != Z_OK || c->zd->avail_in || !c->zd->avail_out)
		return 0;
	zlen = zscratch_cap - c->zd->avail_out;
	/* a sync flush ends with an empty stored block: 00 00 ff ff */
	if (zlen < 4 || memcmp(zscratch + zlen - 4, "\x00\x00\xff\xff", 4))
		return 0;
	zlen -= 4;
	if (c->pmd_client_nct && deflateReset(c->zd) != Z_OK)
		return 0;

	return build_frame(c->zframe, 0x40 | opcode, zscratch, zlen);
}

static int
send_message(struct conn *c, uint64_t now)
{
	unsigned int k = c->pool_next++ % pool_n;

	c->expect = pool[k];
	if (c->pmd && msg_size) {
		/* (an empty message goes out uncompressed, as RFC 7692 allows) */
		c->out_len = deflate_frame(c, pool[k]);
		if (!c->out_len) {
			conn_fail(c, &proto_errors, "deflate failed");
			return -1;
		}
		c->out = c->zframe;
	} else {
		c->out = pool_frame[k];
		c->out_len = pool_frame_len[k];
	}
	c->out_off = 0;
	c->out_tried = 0;
	c->awaiting = 1;
	c->content_bad = 0;
	c->sent_ns = now;

	return flush_out(c);
}

static void
send_close(struct conn *c)
{
	static const unsigned char normal[2] = { 0x03, 0xe8 }; /* 1000 */

	if (c->state != CS_OPEN)
		return;
	/*
	 * A partly sent frame cannot be abandoned without corrupting the
	 * stream, and a close frame that does not go out at once is not worth
	 * waiting for at the end of a run: in both cases just drop the TCP
	 * connection.
	 */
	if ((c->out && (c->out_off || c->out_tried)) || c->ctrl_off ||
	    c->ctrl_tried) {
		conn_close(c);
		return;
	}
	c->state = CS_CLOSING;
	c->out = NULL;	/* an unsent message is simply not sent */
	c->out_len = 0;
	c->out_tried = 0;
	c->ctrl_len = 0;
	if (send_ctrl(c, OP_CLOSE, normal, sizeof(normal)) == 0 && c->want_out)
		conn_close(c);
}

/* ---- connecting and the handshake ---- */

static void
start_connect(struct conn *c)
{
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s (raise the fd limit?)", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	c->state = CS_CONNECTING;
	pending++;
	started++;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u32 = (uint32_t)(c - conns);
	c->want_out = 1;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl ADD: %s", strerror(errno));

	if (connect(c->fd, (struct sockaddr *)&target, sizeof(target)) < 0 &&
	    errno != EINPROGRESS)
		conn_fail(c, &conn_errors, strerror(errno));
}

static void
start_more_connects(void)
{
	while (started < n_total && pending < connect_concurrency)
		start_connect(&conns[started]);
}

static void
send_upgrade(struct conn *c)
{
	unsigned char key[16], digest[20];
	char key64[32], cat[128], req[512];
	int len;
	ssize_t n;

	fill_random(key, sizeof(key));
	base64(key, sizeof(key), key64);
	snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
		 key64);
	sha1(cat, strlen(cat), digest);
	base64(digest, sizeof(digest), c->accept);

	len = snprintf(req, sizeof(req),
		       "GET %s HTTP/1.1\r\n"
		       "Host: %s\r\n"
		       "Upgrade: websocket\r\n"
		       "Connection: Upgrade\r\n"
		       "Sec-WebSocket-Key: %s\r\n"
		       "Sec-WebSocket-Version: 13\r\n"
		       "%s"
		       "\r\n", path, host_hdr, key64,
		       deflate_opt ? "Sec-WebSocket-Extensions: permessage-deflate; "
				     "client_max_window_bits\r\n" : "");

	/* a fresh socket always takes a few hundred bytes in one go */
	n = io_write(c, req, (size_t)len);
	if (n != len) {
		conn_fail(c, &conn_errors, n == IO_ERROR ? io_why :
			  "short write of upgrade request");
		return;
	}

	c->hs = malloc(HS_BUF_SIZE);
	if (!c->hs)
		die("out of memory");
	c->hs_len = 0;
	c->state = CS_HANDSHAKE;
	set_events(c, 0);
}

/* wss: the first completed handshake says what was negotiated */
static void
tls_note(struct conn *c)
{
	const unsigned char *alpn;
	unsigned int alpn_len = 0;
	int group;

	if (strcmp(tls_version, "none"))
		return;
	snprintf(tls_version, sizeof(tls_version), "%s", SSL_get_version(c->ssl));
	snprintf(tls_cipher, sizeof(tls_cipher), "%s",
		 SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl)));
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
	if (alpn_len)
		snprintf(tls_alpn, sizeof(tls_alpn), "%.*s", (int)alpn_len,
			 (const char *)alpn);
	group = SSL_get_negotiated_group(c->ssl);
	fprintf(stderr, "lws-load: TLS: %s, cipher %s, key exchange %s, ALPN "
		"%s; server certificate verified for %s against %s\n",
		tls_version, tls_cipher, group ? OBJ_nid2sn(group) : "?",
		tls_alpn, url_host, ca_file ? ca_file : "the system trust store");
}

/* wss: drive SSL_connect; epoll interest follows what OpenSSL waits for */
static void
tls_step(struct conn *c)
{
	int r, err, saved;

	errno = 0;
	r = SSL_connect(c->ssl);
	if (r == 1) {
		tls_note(c);
		send_upgrade(c);
		return;
	}
	saved = errno;
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		set_events(c, 0);
	else if (err == SSL_ERROR_WANT_WRITE)
		set_events(c, 1);
	else {
		ssl_failure(c, "TLS handshake", err, saved);
		conn_fail(c, &conn_errors, io_why);
	}
}

/* the TCP connect finished: TLS handshake (wss) or upgrade request (ws) */
static void
connect_done(struct conn *c)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err) {
		conn_fail(c, &conn_errors, strerror(err));
		return;
	}
	if (!use_tls) {
		send_upgrade(c);
		return;
	}
	c->ssl = SSL_new(ssl_ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		die("SSL_new / SSL_set_fd failed");
	/* SNI for a name, never for an IP literal (RFC 6066) */
	{
		struct in_addr a;

		if (inet_pton(AF_INET, url_host, &a) != 1 &&
		    !SSL_set_tlsext_host_name(c->ssl, url_host))
			die("SSL_set_tlsext_host_name failed");
	}
	c->state = CS_TLS;
	tls_step(c);
}

static void on_all_established(uint64_t now);
static int parse_frames(struct conn *c, const unsigned char *p, size_t n);
static void read_frames(struct conn *c);

/*
 * The server's Sec-WebSocket-Extensions value: permessage-deflate and its
 * parameters.  Returns -1 if it is not something we offered.
 */
static int
pmd_response(struct conn *c, const char *v)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", v);
	tok = strtok_r(buf, ";", &save);
	while (tok && (*tok == ' ' || *tok == '\t'))
		tok++;
	if (!deflate_opt || !tok || strncasecmp(tok, "permessage-deflate", 18)) {
		note("connection %ld: unexpected extension '%s'",
		     (long)(c - conns), v);
		return -1;
	}
	c->pmd = 1;
	c->pmd_client_bits = 15;
	while ((tok = strtok_r(NULL, ";", &save))) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (!strncasecmp(tok, "client_no_context_takeover", 26))
			c->pmd_client_nct = 1;
		else if (!strncasecmp(tok, "client_max_window_bits", 22)) {
			const char *eq = strchr(tok, '=');

			if (eq)
				c->pmd_client_bits = atoi(eq + 1 + (eq[1] == '"'));
			if (c->pmd_client_bits < 8 || c->pmd_client_bits > 15) {
				note("connection %ld: bad client_max_window_bits",
				     (long)(c - conns));
				return -1;
			}
			/* zlib's raw deflate cannot do 8: 9 is what it offers */
			if (c->pmd_client_bits == 8) {
				note("connection %ld: client_max_window_bits=8 "
				     "not supported", (long)(c - conns));
				return -1;
			}
		}
		/* server_no_context_takeover and server_max_window_bits need
		 * nothing here: the inflater keeps a 15-bit window */
	}

	return 0;
}

/* permessage-deflate agreed: make the connection's deflater and inflater */
static int
pmd_start(struct conn *c)
{
	c->zd = calloc(1, sizeof(*c->zd));
	c->zi = calloc(1, sizeof(*c->zi));
	c->zframe = malloc(zscratch_cap + 14);
	if (!c->zd || !c->zi || !c->zframe)
		die("out of memory");
	if (deflateInit2(c->zd, 1, Z_DEFLATED, -c->pmd_client_bits, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK ||
	    inflateInit2(c->zi, -15) != Z_OK) {
		note("connection %ld: zlib init failed", (long)(c - conns));
		return -1;
	}
	deflate_conns++;

	return 0;
}

/* check the 101 response; returns bytes of it consumed, or -1 */
static long
check_upgrade(struct conn *c)
{
	char *end, *line, *next;
	int ok_accept = 0;

	c->hs[c->hs_len] = '\0';
	end = strstr(c->hs, "\r\n\r\n");
	if (!end)
		return 0;	/* need more */
	*end = '\0';

	if (strncmp(c->hs, "HTTP/1.1 101", 12)) {
		next = strstr(c->hs, "\r\n");
		if (next)
			*next = '\0';
		note("connection %ld: upgrade refused: '%s'",
		     (long)(c - conns), c->hs);
		return -1;
	}

	for (line = strstr(c->hs, "\r\n"); line; line = next) {
		line += 2;
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		if (!strncasecmp(line, "Sec-WebSocket-Accept:", 21)) {
			char *v = line + 21;

			while (*v == ' ' || *v == '\t')
				v++;
			ok_accept = !strncmp(v, c->accept, strlen(c->accept));
		}
		if (!strncasecmp(line, "Sec-WebSocket-Extensions:", 25) &&
		    pmd_response(c, line + 25))
			return -1;
	}
	if (!ok_accept) {
		note("connection %ld: bad or missing Sec-WebSocket-Accept",
		     (long)(c - conns));
		return -1;
	}
	if (deflate_opt && !c->pmd) {
		note("connection %ld: the server did not accept permessage-deflate",
		     (long)(c - conns));
		return -1;
	}
	if (c->pmd && pmd_start(c))
		return -1;

	return (end + 4) - c->hs;
}

static void
on_open(struct conn *c, uint64_t now)
{
	c->state = CS_OPEN;
	pending--;
	open_conns++;
	established++;
	c->hdr_have = 0;
	c->hdr_need = 2;

	if (is_idle() && idle_silent) {
		/* --idle-silent: no message; the connection counts as ready */
		c->idle_echoed = 1;
		idle_ready++;
	} else if (is_idle())
		/* touch the connection's buffers once, as real use would */
		send_message(c, now);
	else if (established == n_total)
		on_all_established(now);
}

static void
read_handshake(struct conn *c, uint64_t now)
{
	ssize_t n;
	long used;
	size_t extra;

	/* read until the response is complete or the socket is drained */
	for (;;) {
		n = io_read(c, c->hs + c->hs_len, HS_BUF_SIZE - 1 - c->hs_len);
		if (n == IO_AGAIN)
			return;
		if (n == IO_ERROR) {
			conn_fail(c, &conn_errors, io_why);
			return;
		}
		if (n == 0) {
			conn_fail(c, &conn_errors, "closed during handshake");
			return;
		}
		c->hs_len += (size_t)n;

		used = check_upgrade(c);
		if (used < 0) {
			conn_fail(c, &conn_errors, "handshake failed");
			return;
		}
		if (used)
			break;
		if (c->hs_len >= HS_BUF_SIZE - 1) {
			conn_fail(c, &conn_errors, "handshake response too big");
			return;
		}
	}

	/* anything after the response headers is already websocket data */
	extra = c->hs_len - (size_t)used;
	if (extra)
		memcpy(rxbuf, c->hs + used, extra);
	free(c->hs);
	c->hs = NULL;

	on_open(c, now);
	if (extra && parse_frames(c, rxbuf, extra))
		return;
	/* wss: decrypted bytes may wait inside OpenSSL, unseen by epoll */
	if (c->ssl && (c->state == CS_OPEN || c->state == CS_CLOSING))
		read_frames(c);
}

/* ---- receiving ---- */

static void
record_latency(uint64_t ns)
{
	if (lat_n == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 1 << 20;
		lat = realloc(lat, lat_cap * sizeof(*lat));
		if (!lat)
			die("out of memory for latency samples");
	}
	lat[lat_n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* a complete data message arrived */
static int
on_message(struct conn *c)
{
	unsigned int want = binary ? OP_BINARY : OP_TEXT;
	uint64_t now = now_ns();

	if (!c->awaiting) {
		proto_errors++;
		errors++;
		note("connection %ld: unsolicited message", (long)(c - conns));
		return 0;
	}
	c->awaiting = 0;
	echoes++;

	if (c->msg_opcode != want || c->msg_len != msg_size || c->content_bad) {
		mismatches++;
		errors++;
		note("connection %ld: echo mismatch (opcode %u/%u, length "
		     "%" PRIu64 "/%zu%s)", (long)(c - conns), c->msg_opcode,
		     want, c->msg_len, msg_size,
		     c->content_bad ? ", content differs" : "");
	}

	if (is_idle()) {
		if (!c->idle_echoed) {
			c->idle_echoed = 1;
			idle_ready++;
		}
		return 0;
	}

	if ((phase != PH_WARMUP && phase != PH_MEASURE) || now >= t_end)
		return 0;	/* the run is over: this connection stops */

	/* count by the clock, not by phase, which is updated per batch */
	if (now >= t_measure) {
		roundtrips++;
		if (c->sent_ns >= t_measure)
			record_latency(now - c->sent_ns);
	}

	if (counted()) {
		/* --messages: the N-th echo ends the run (advance_phase) */
		if (sent_msgs >= messages_total)
			return 0;
		sent_msgs++;
	}
	return send_message(c, now);
}

/* a complete frame's header is in c->hdr: decode it */
static int
frame_header(struct conn *c)
{
	unsigned int len7 = c->hdr[1] & 0x7f, i;

	if (c->hdr[1] & 0x80) {
		conn_fail(c, &proto_errors, "server sent a masked frame");
		return -1;
	}
	c->fin = c->hdr[0] >> 7;
	c->opcode = c->hdr[0] & 0x0f;
	/* RSV1: a compressed message, only on its first frame */
	if ((c->hdr[0] & 0x30) || ((c->hdr[0] & 0x40) &&
	    (!c->pmd || (c->opcode != OP_TEXT && c->opcode != OP_BINARY)))) {
		conn_fail(c, &proto_errors, c->pmd ? "bad RSV bits" :
			  "RSV bits set (no extension agreed)");
		return -1;
	}
	if (len7 == 126)
		c->pay_left = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
	else if (len7 == 127)
		for (c->pay_left = 0, i = 0; i < 8; i++)
			c->pay_left = c->pay_left << 8 | c->hdr[2 + i];
	else
		c->pay_left = len7;

	if (c->opcode & 8) {
		if (!c->fin || c->pay_left > 125) {
			conn_fail(c, &proto_errors, "bad control frame");
			return -1;
		}
		c->cin_len = 0;
	} else if (c->opcode == OP_CONT) {
		if (!c->in_msg) {
			conn_fail(c, &proto_errors, "unexpected continuation");
			return -1;
		}
	} else if (c->opcode == OP_TEXT || c->opcode == OP_BINARY) {
		if (c->in_msg) {
			conn_fail(c, &proto_errors, "new message inside message");
			return -1;
		}
		c->in_msg = 1;
		c->msg_opcode = c->opcode;
		c->msg_len = 0;
		c->msg_z = !!(c->hdr[0] & 0x40);
	} else {
		conn_fail(c, &proto_errors, "unknown opcode");
		return -1;
	}
	c->in_payload = 1;

	return 0;
}

/* data bytes of the echo (after inflating): compare with what was sent */
static void
check_bytes(struct conn *c, const unsigned char *p, size_t n)
{
	if (c->msg_len + n > msg_size)
		c->content_bad = 1;
	else if (verify && (!c->expect || memcmp(p, c->expect + c->msg_len, n)))
		c->content_bad = 1;
	c->msg_len += n;
}

/* compressed payload bytes: inflate and check them; -1 if c was closed */
static int
inflate_bytes(struct conn *c, const unsigned char *p, size_t n)
{
	int r;

	c->zi->next_in = (unsigned char *)p;
	c->zi->avail_in = (uInt)n;
	do {
		c->zi->next_out = zout;
		c->zi->avail_out = sizeof(zout);
		r = inflate(c->zi, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END) {
			conn_fail(c, &proto_errors, "inflate failed");
			return -1;
		}
		check_bytes(c, zout, sizeof(zout) - c->zi->avail_out);
		if (r == Z_STREAM_END)	/* a final block: start afresh */
			inflateReset(c->zi);
		if (c->msg_len > msg_size + sizeof(zout))
			break;	/* far too long already: stop inflating */
	} while (c->zi->avail_in || !c->zi->avail_out);

	return 0;
}

/* the current frame's payload has been consumed */
static int
frame_done(struct conn *c)
{
	c->in_payload = 0;
	c->hdr_have = 0;
	c->hdr_need = 2;

	switch (c->opcode) {
	case OP_PING:
		return send_ctrl(c, OP_PONG, c->cin, c->cin_len);
	case OP_PONG:
		return 0;
	case OP_CLOSE:
		if (c->state != CS_CLOSING) {
			conn_fail(c, &closed_early, "server closed the connection");
			return -1;
		}
		conn_close(c);	/* close handshake complete */
		return -1;
	default:
		if (!c->fin)
			return 0;
		c->in_msg = 0;
		/* the 00 00 ff ff the sender removed ends the inflated bytes */
		if (c->msg_z && inflate_bytes(c, (const unsigned char *)
					      "\x00\x00\xff\xff", 4))
			return -1;
		return on_message(c);
	}
}

/* feed received bytes through the frame parser; -1 if c was closed */
static int
parse_frames(struct conn *c, const unsigned char *p, size_t n)
{
	while (n) {
		if (!c->in_payload) {
			unsigned int take = c->hdr_need - c->hdr_have;

			if (take > n)
				take = (unsigned int)n;
			memcpy(c->hdr + c->hdr_have, p, take);
			c->hdr_have += take;
			p += take;
			n -= take;
			if (c->hdr_have < c->hdr_need)
				continue;
			if (c->hdr_need == 2) {
				/* now we know how long the header is */
				unsigned int len7 = c->hdr[1] & 0x7f;

				c->hdr_need += len7 == 126 ? 2 :
					       len7 == 127 ? 8 : 0;
				c->hdr_need += (c->hdr[1] & 0x80) ? 4 : 0;
				if (c->hdr_have < c->hdr_need)
					continue;
			}
			if (frame_header(c))
				return -1;
			if (!c->pay_left && frame_done(c))
				return -1;
			continue;
		}

		/* payload bytes */
		{
			size_t take = n < c->pay_left ? n : (size_t)c->pay_left;

			if (c->opcode & 8) {
				memcpy(c->cin + c->cin_len, p, take);
				c->cin_len += take;
			} else if (c->msg_z) {
				if (inflate_bytes(c, p, take))
					return -1;
			} else
				check_bytes(c, p, take);
			p += take;
			n -= take;
			c->pay_left -= take;
			if (!c->pay_left && frame_done(c))
				return -1;
		}
	}

	return 0;
}

static void
read_frames(struct conn *c)
{
	for (;;) {
		ssize_t n = io_read(c, rxbuf, sizeof(rxbuf));

		if (n == IO_AGAIN)
			return;
		if (n < 0) {
			conn_fail(c, &closed_early, io_why);
			return;
		}
		if (n == 0) {
			if (c->state == CS_CLOSING)
				conn_close(c);
			else
				conn_fail(c, &closed_early,
					  "server closed the TCP connection");
			return;
		}
		if (parse_frames(c, rxbuf, (size_t)n))
			return;
		/*
		 * ws: a short read drained the socket, and level-triggered
		 * epoll brings us back.  wss: SSL_read returns one record at a
		 * time and may hold more, so read until IO_AGAIN.
		 */
		if (!c->ssl && (size_t)n < sizeof(rxbuf))
			return;
	}
}

/* ---- phases ---- */

static void
on_all_established(uint64_t now)
{
	long i;

	t_established = now;
	printf("established %ld\n", established);
	fflush(stdout);
	fprintf(stderr, "lws-load: %ld connections open in %.3f s\n",
		established, (double)(now - t_start) / 1e9);

	if (is_idle()) {
		phase = PH_HOLD;
		t_hold_end = now + (uint64_t)(hold_s * 1e9);
		return;
	}

	if (counted()) {
		/* --messages: no warmup; --duration is only a time limit */
		t_measure = now;
		t_end = now + (uint64_t)(duration_s * 1e9);
		enter_measure(now);
		for (i = 0; i < n_total && sent_msgs < messages_total; i++)
			if (conns[i].state == CS_OPEN) {
				sent_msgs++;
				send_message(&conns[i], now_ns());
			}
		return;
	}
	phase = PH_WARMUP;
	t_measure = now + (uint64_t)(warmup_s * 1e9);
	t_end = t_measure + (uint64_t)(duration_s * 1e9);
	if (warmup_s <= 0)
		enter_measure(now);
	for (i = 0; i < n_total; i++)
		if (conns[i].state == CS_OPEN)
			send_message(&conns[i], now_ns());
}

static void
begin_closing(uint64_t now)
{
	long i;

	if (phase == PH_MEASURE) {
		srv_ticks1 = server_ticks();
		cpu_measure_end = cpu_seconds();
		wall_measure_end = now;
		wire_tx1 = wire_tx;
		wire_rx1 = wire_rx;
	}
	phase = PH_CLOSING;
	t_close_deadline = now + CLOSE_GRACE_NS;
	for (i = 0; i < n_total; i++) {
		if (conns[i].state == CS_OPEN)
			send_close(&conns[i]);
		else if (conns[i].state == CS_CONNECTING ||
			 conns[i].state == CS_TLS ||
			 conns[i].state == CS_HANDSHAKE)
			conn_close(&conns[i]);
	}
	if (!open_conns)
		phase = PH_DONE;
}

static void
advance_phase(uint64_t now)
{
	switch (phase) {
	case PH_CONNECT:
		if (is_idle() && idle_ready == n_total) {
			on_all_established(now);
			break;
		}
		/* give up if connections fail or take too long */
		if (conn_errors || closed_early || proto_errors) {
			note("could not open all connections; giving up");
			begin_closing(now);
		} else if (now - t_start > (uint64_t)(connect_timeout_s * 1e9)) {
			note("timed out opening connections (%ld of %ld open)",
			     established, n_total);
			errors++;
			conn_errors++;
			begin_closing(now);
		}
		break;
	case PH_WARMUP:
		if (now >= t_measure)
			enter_measure(now);
		/* fallthrough */
	case PH_MEASURE:
		if (counted() && roundtrips >= (uint64_t)messages_total)
			begin_closing(now);
		else if (now >= t_end) {
			if (counted()) {
				note("time limit: %" PRIu64 " of %ld round trips "
				     "in %.0f s", roundtrips, messages_total,
				     duration_s);
				errors++;
			}
			begin_closing(now);
		}
		break;
	case PH_HOLD:
		if (now >= t_hold_end)
			begin_closing(now);
		break;
	case PH_CLOSING:
		if (!open_conns || now >= t_close_deadline)
			phase = PH_DONE;
		break;
	case PH_DONE:
		break;
	}
}

static int
next_timeout_ms(uint64_t now)
{
	uint64_t t;

	switch (phase) {
	case PH_WARMUP:
		t = t_measure;
		break;
	case PH_MEASURE:
		t = t_end;
		break;
	case PH_HOLD:
		t = t_hold_end;
		break;
	case PH_CLOSING:
		t = t_close_deadline;
		break;
	default:
		return 100;
	}
	if (t <= now)
		return 0;
	return (int)((t - now + 999999) / 1000000);
}

/* ---- results ---- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_us(double p)
{
	size_t i;

	if (!lat_n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(lat_n - 1) + 0.5);
	return lat[i] / 1000.0;
}

static void
report(void)
{
	if (is_idle()) {
		fprintf(stderr, "lws-load: idle: %ld/%ld connections established "
			"and echoed, held %.1f s\n", idle_ready, n_total, hold_s);
		printf("RESULT mode=idle connections=%ld established=%ld "
		       "connect_s=%.3f tls=%s cipher=%s alpn=%s errors=%" PRIu64
		       " mismatches=%" PRIu64 " deflate=%ld content=%s"
		       " silent=%d\n", n_total, idle_ready,
		       t_established ? (double)(t_established - t_start) / 1e9
				     : 0.0, tls_version, tls_cipher, tls_alpn,
		       errors, mismatches, deflate_conns, content_name,
		       idle_silent);
	} else {
		double secs = duration_s, rtps, cpu = 0, scpu = -1, sper = -1;

		/* --messages: the window is as long as the N round trips took */
		if (counted())
			secs = wall_measure_end > wall_measure_start ?
			       (double)(wall_measure_end - wall_measure_start) / 1e9 : 0;
		rtps = secs > 0 ? (double)roundtrips / secs : 0;
		if (srv_ticks0 >= 0 && srv_ticks1 >= srv_ticks0) {
			scpu = (double)(srv_ticks1 - srv_ticks0) /
			       (double)sysconf(_SC_CLK_TCK);
			if (roundtrips)
				sper = scpu * 1e6 / (double)roundtrips;
		}

		if (wall_measure_end > wall_measure_start)
			cpu = 100.0 * (cpu_measure_end - cpu_measure_start) /
			      ((double)(wall_measure_end - wall_measure_start) / 1e9);

		qsort(lat, lat_n, sizeof(*lat), cmp_u32);
		fprintf(stderr, "lws-load: %ld x %zu B %s, %.1f s: %" PRIu64
			" round trips, %.0f/s, %.2f MB/s, latency us p50 %.1f "
			"p90 %.1f p99 %.1f p99.9 %.1f max %.1f; client CPU %.0f%%\n",
			n_total, msg_size, binary ? "binary" : "text", secs,
			roundtrips, rtps, rtps * (double)msg_size / 1e6,
			pct_us(50), pct_us(90), pct_us(99), pct_us(99.9),
			pct_us(100), cpu);
		if (scpu >= 0)
			fprintf(stderr, "lws-load: server (pid %ld) CPU in the "
				"window: %.2f s, %.2f us per round trip\n",
				server_pid, scpu, sper);
		printf("RESULT mode=echo connections=%ld size=%zu type=%s "
		       "duration_s=%.3f roundtrips=%" PRIu64 " rtps=%.1f "
		       "mbps=%.3f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
		       "p999_us=%.1f max_us=%.1f client_cpu_pct=%.0f "
		       "cpu_s=%.3f wall_s=%.3f tls=%s cipher=%s alpn=%s "
		       "errors=%" PRIu64 " mismatches=%" PRIu64 " deflate=%ld "
		       "content=%s wire_tx=%" PRIu64 " wire_rx=%" PRIu64
		       " wire_per_rt=%.1f echoes=%" PRIu64 " messages=%ld"
		       " server_cpu_s=%.3f server_cpu_us_per_rt=%.3f\n",
		       n_total, msg_size, binary ? "binary" : "text", secs,
		       roundtrips, rtps, rtps * (double)msg_size / 1e6,
		       pct_us(50), pct_us(90), pct_us(99), pct_us(99.9),
		       pct_us(100), cpu, cpu_seconds(),
		       (double)(now_ns() - t_start) / 1e9, tls_version,
		       tls_cipher, tls_alpn, errors, mismatches, deflate_conns,
		       content_name, wire_tx1 - wire_tx0, wire_rx1 - wire_rx0,
		       roundtrips ? (double)(wire_tx1 - wire_tx0 + wire_rx1 -
					     wire_rx0) / (double)roundtrips : 0.0,
		       echoes, messages_total, scpu, sper);
	}
	if (errors)
		fprintf(stderr, "lws-load: errors: %" PRIu64 " (mismatches %"
			PRIu64 ", connect %" PRIu64 ", closed early %" PRIu64
			", protocol %" PRIu64 ")\n", errors, mismatches,
			conn_errors, closed_early, proto_errors);
	fflush(stdout);
}

/* ---- setup ---- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage:\n"
	    "  lws-load --url ws://127.0.0.1:PORT/ [--connections C] "
	    "[--size BYTES]\n"
	    "           [--text|--binary] [--duration S] [--warmup S] "
	    "[--no-verify]\n"
	    "  lws-load --url ws://127.0.0.1:PORT/ [--connections C] "
	    "--messages N [--duration LIMIT_S (600)]\n"
	    "  lws-load --url ws://127.0.0.1:PORT/ --idle C [--hold S] "
	    "[--size BYTES] [--idle-silent]\n"
	    "payload: [--content json|random|zero] (a pool of 64; --size "
	    "default 1024)\n"
	    "         [--deflate]   offer and require permessage-deflate\n"
	    "common: [--connect-concurrency N (256)] [--connect-timeout S "
	    "(60)]\n"
	    "        [--server-pid PID]   echo: the server's CPU in the "
	    "measured window\n"
	    "        [--ca-file PATH]   wss://: trust these CAs (default: the "
	    "system's)\n"
	    "URLs: ws://HOST:PORT/PATH or wss://HOST:PORT/PATH, HOST in "
	    "127.0.0.0/8 or localhost\n");
	exit(2);
}

static void
parse_url(const char *url)
{
	char host[64];
	const char *p, *hp, *slash, *colon;
	long port = 80;
	size_t hl;

	if (!strncmp(url, "ws://", 5))
		hp = url + 5;
	else if (!strncmp(url, "wss://", 6)) {
		hp = url + 6;
		use_tls = 1;
		port = 443;
	} else
		die("only ws:// and wss:// URLs are supported: %s", url);
	slash = strchr(hp, '/');
	if (!slash)
		slash = hp + strlen(hp);
	colon = memchr(hp, ':', (size_t)(slash - hp));
	hl = (size_t)((colon ? colon : slash) - hp);
	if (!hl || hl >= sizeof(host))
		die("bad host in %s", url);
	memcpy(host, hp, hl);
	host[hl] = '\0';
	if (colon) {
		char *end;

		port = strtol(colon + 1, &end, 10);
		if (end != slash || port <= 0 || port > 65535)
			die("bad port in %s", url);
	}
	p = *slash ? slash : "/";
	if (strlen(p) >= sizeof(path))
		die("path too long");
	strcpy(path, p);
	strcpy(url_host, host);	/* SNI and certificate name (wss) */

	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	memset(&target, 0, sizeof(target));
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &target.sin_addr) != 1)
		die("host must be an IPv4 loopback address: %s", host);
	if ((ntohl(target.sin_addr.s_addr) >> 24) != 127)
		die("refusing non-loopback target %s (benchmarks are "
		    "loopback-only)", host);
	snprintf(host_hdr, sizeof(host_hdr), "%s:%ld", url_host, port);
}

/* wss: one client SSL_CTX for every connection */
static void
tls_init(void)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	X509_VERIFY_PARAM *vp;
	struct in_addr a;

	ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (!ssl_ctx)
		die("SSL_CTX_new failed");
	/* TLS 1.2 at least; OpenSSL negotiates the rest (TLS 1.3 if both can) */
	if (!SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION))
		die("SSL_CTX_set_min_proto_version failed");
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* a peer that drops TCP without close_notify reads as EOF */
	SSL_CTX_set_options(ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* no resumption: every connection makes a full handshake */
	SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);

	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file) {
		if (SSL_CTX_load_verify_locations(ssl_ctx, ca_file, NULL) != 1)
			die("--ca-file %s: %s", ca_file,
			    ERR_reason_error_string(ERR_get_error()));
	} else if (SSL_CTX_set_default_verify_paths(ssl_ctx) != 1)
		die("cannot load the system trust store");
	vp = SSL_CTX_get0_param(ssl_ctx);
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (inet_pton(AF_INET, url_host, &a) == 1) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(vp, url_host))
			die("X509_VERIFY_PARAM_set1_ip_asc failed");
	} else if (!X509_VERIFY_PARAM_set1_host(vp, url_host, 0))
		die("X509_VERIFY_PARAM_set1_host failed");

	if (SSL_CTX_set_alpn_protos(ssl_ctx, alpn, sizeof(alpn) - 1))
		die("SSL_CTX_set_alpn_protos failed");
	ERR_clear_error();
}

static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * --content: POOL_SIZE payloads of msg_size bytes.  json: an object with an
 * array of records, keys repeating, numbers small and varying, padded with
 * spaces (still JSON) to the exact size; random: printable ASCII.
 */
static void
make_pool(void)
{
	static const char *names[] = { "alpha", "bravo", "charlie", "delta",
				       "echo", "foxtrot", "golf", "hotel" };
	uint32_t x = 88172645u;
	unsigned int k;
	size_t i;

	pool_n = POOL_SIZE;
	for (k = 0; k < POOL_SIZE; k++) {
		unsigned char *p = malloc(msg_size ? msg_size : 1);

		if (!p)
			die("out of memory");
		if (content == CONTENT_ZERO)
			memset(p, binary ? 0 : ' ', msg_size);
		else if (content == CONTENT_RANDOM)
			for (i = 0; i < msg_size; i++)
				p[i] = (unsigned char)(0x20 + xorshift(&x) % 95);
		else {
			char *t = malloc(msg_size + 256);
			size_t n;
			int id = (int)(xorshift(&x) % 100000);

			if (!t)
				die("out of memory");
			n = (size_t)sprintf(t, "{\"seq\":%u,\"items\":[", k);
			for (;;) {
				char rec[200];
				const char *name = names[xorshift(&x) % 8];
				unsigned int eur = xorshift(&x) % 100;
				unsigned int cent = xorshift(&x) % 100;
				unsigned int qty = xorshift(&x) % 20;
				int on = xorshift(&x) % 2;
				int r = sprintf(rec, "%s{\"id\":%d,\"name\":\"%s\","
						"\"price\":%u.%02u,\"qty\":%u,"
						"\"active\":%s}",
						n > 20 ? "," : "", id++, name,
						eur, cent, qty,
						on ? "true" : "false");

				if (n + (size_t)r + 2 > msg_size)
					break;
				memcpy(t + n, rec, (size_t)r);
				n += (size_t)r;
			}
			if (n + 2 <= msg_size) {
				memcpy(t + n, "]}", 2);
				n += 2;
			}
			memset(t + n, ' ', msg_size > n ? msg_size - n : 0);
			memcpy(p, t, msg_size);
			free(t);
		}
		pool[k] = p;
		pool_frame[k] = malloc(msg_size + 14);
		if (!pool_frame[k])
			die("out of memory");
		pool_frame_len[k] = build_frame(pool_frame[k],
						binary ? OP_BINARY : OP_TEXT,
						p, msg_size);
	}
}

static double
arg_double(const char *opt, const char *v, double min)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end || d < min)
		die("bad value for %s: %s", opt, v);
	return d;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			fprintf(stderr, "lws-load: setrlimit: %s\n",
				strerror(errno));
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if ((rlim_t)n_total + 16 > rl.rlim_cur)
		die("need %ld fds but RLIMIT_NOFILE is %lu", n_total + 16,
		    (unsigned long)rl.rlim_cur);
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[MAX_EVENTS];
	const char *url = NULL;
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(o, "--binary"))
			binary = 1;
		else if (!strcmp(o, "--text"))
			binary = 0;
		else if (!strcmp(o, "--no-verify"))
			verify = 0;
		else if (!strcmp(o, "--deflate"))
			deflate_opt = 1;
		else if (!strcmp(o, "--idle-silent"))
			idle_silent = 1;
		else if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			usage();
		else if (!v)
			usage();
		else {
			a++;
			if (!strcmp(o, "--url"))
				url = v;
			else if (!strcmp(o, "--connections"))
				n_conns = (long)arg_double(o, v, 1);
			else if (!strcmp(o, "--size")) {
				msg_size = (size_t)arg_double(o, v, 0);
				size_given = 1;
			} else if (!strcmp(o, "--content")) {
				content_name = v;
				if (!strcmp(v, "json"))
					content = CONTENT_JSON;
				else if (!strcmp(v, "random"))
					content = CONTENT_RANDOM;
				else if (!strcmp(v, "zero"))
					content = CONTENT_ZERO;
				else if (!strcmp(v, "default"))
					content = CONTENT_DEFAULT;
				else
					die("--content json|random|zero");
			}
			else if (!strcmp(o, "--duration")) {
				duration_s = arg_double(o, v, 0.001);
				duration_given = 1;
			} else if (!strcmp(o, "--messages"))
				messages_total = (long)arg_double(o, v, 0);
			else if (!strcmp(o, "--server-pid"))
				server_pid = (long)arg_double(o, v, 1);
			else if (!strcmp(o, "--warmup"))
				warmup_s = arg_double(o, v, 0);
			else if (!strcmp(o, "--idle"))
				idle_conns = (long)arg_double(o, v, 1);
			else if (!strcmp(o, "--hold"))
				hold_s = arg_double(o, v, 0);
			else if (!strcmp(o, "--connect-concurrency"))
				connect_concurrency = (long)arg_double(o, v, 1);
			else if (!strcmp(o, "--connect-timeout"))
				connect_timeout_s = arg_double(o, v, 0.1);
			else if (!strcmp(o, "--ca-file"))
				ca_file = v;
			else {
				fprintf(stderr, "unknown option %s\n", o);
				usage();
			}
		}
	}
	if (!url)
		usage();
	if (msg_size > 256u * 1024 * 1024)
		die("--size too big");
	if (content != CONTENT_DEFAULT && !size_given)
		msg_size = 1024;
	if (counted() && is_idle())
		die("--messages goes with echo mode, not --idle");
	if (counted() && !duration_given)
		duration_s = 600;
	parse_url(url);
	if (ca_file && !use_tls)
		die("--ca-file goes with a wss:// URL");
	if (use_tls)
		tls_init();
	n_total = is_idle() ? idle_conns : n_conns;
	raise_nofile();

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/*
	 * One payload and one pre-masked frame shared by every connection:
	 * the mask key is random per run rather than per frame, which the
	 * server cannot tell apart, and it keeps the client's per-message
	 * cost to the syscalls.  Text payloads are printable ASCII (valid
	 * UTF-8); binary ones cover all byte values.
	 */
	payload = malloc(msg_size ? msg_size : 1);
	frame = malloc(msg_size + 14);
	if (!payload || !frame)
		die("out of memory");
	fill_random(mask_key, sizeof(mask_key));
	{
		uint32_t x = 2463534242u;

		for (i = 0; i < msg_size; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			payload[i] = binary ? (unsigned char)x :
				     (unsigned char)('a' + x % 26);
		}
	}
	frame_len = build_frame(frame, binary ? OP_BINARY : OP_TEXT, payload,
				msg_size);
	pool[0] = payload;
	pool_frame[0] = frame;
	pool_frame_len[0] = frame_len;
	if (content != CONTENT_DEFAULT)
		make_pool();
	if (deflate_opt) {
		/* deflateBound plus room for the sync flush's empty block */
		zscratch_cap = msg_size + msg_size / 8 + 64;
		zscratch = malloc(zscratch_cap);
		if (!zscratch)
			die("out of memory");
	}

	conns = calloc((size_t)n_total, sizeof(*conns));
	if (!conns)
		die("out of memory");
	for (i = 0; i < (size_t)n_total; i++)
		conns[i].fd = -1;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));

	t_start = now_ns();
	start_more_connects();

	while (phase != PH_DONE) {
		uint64_t now = now_ns();
		int n, k;

		if (interrupted && phase < PH_CLOSING) {
			note("interrupted");
			errors++;
			begin_closing(now);
		}

		n = epoll_wait(epfd, evs, MAX_EVENTS, next_timeout_ms(now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		now = now_ns();

		for (k = 0; k < n; k++) {
			struct conn *c = &conns[evs[k].data.u32];
			uint32_t e = evs[k].events;

			switch (c->state) {
			case CS_CONNECTING:
				if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
					connect_done(c);
				break;
			case CS_TLS:
				tls_step(c);
				break;
			case CS_HANDSHAKE:
				read_handshake(c, now);
				break;
			case CS_OPEN:
			case CS_CLOSING:
				if ((e & EPOLLOUT) && flush_out(c))
					break;
				if ((e & (EPOLLIN | EPOLLERR | EPOLLHUP)) ||
				    c->rd_wants_wr)
					read_frames(c);
				/* wss: a write that waited for a read */
				if (c->wr_wants_rd && (c->state == CS_OPEN ||
						       c->state == CS_CLOSING))
					flush_out(c);
				break;
			default:
				break;
			}
		}

		if (phase == PH_CONNECT)
			start_more_connects();
		advance_phase(now_ns());
	}

	/* anything still open after the grace period is simply dropped */
	for (i = 0; i < (size_t)n_total; i++)
		conn_close(&conns[i]);

	report();

	return errors ? 1 : 0;
}

/*
 * lws-c-echo-server: the C baseline for the swift-libwebsockets benchmarks.
 *
 * A plain libwebsockets (4.1.x) websocket echo server written the way the
 * library is meant to be used:
 *
 *  - one protocol, bound as protocols[0] so clients that do not ask for a
 *    subprotocol land on it; HTTP reasons are delegated to
 *    lws_callback_http_dummy;
 *  - RECEIVE delivers chunks, not messages: chunks are appended to a per
 *    connection buffer until lws_is_final_fragment() says the message is
 *    complete, then the whole message is queued;
 *  - writes happen only in LWS_CALLBACK_SERVER_WRITEABLE, one lws_write() per
 *    callback, from a buffer that has LWS_PRE bytes of headroom;
 *  - the reply uses the opcode of the message it echoes (text or binary);
 *  - when a connection has too many messages queued, reading from it is
 *    paused with lws_rx_flow_control() until the queue drains.
 *
 * Usage:
 *   lws-c-echo-server [--host ADDR] [--port N] [--rx-buffer-size N]
 *                     [--fd-limit N] [--serv-buf-size N]
 *                     [--max-message-size N] [--no-validate-utf8]
 *                     [--spin-ns N] [--tls-cert PATH --tls-key PATH]
 *                     [--deflate]
 *
 * --spin-ns burns N ns of CPU per received message. It is a calibration knob, not part of
 * the baseline: it shows what a given amount of extra work per message costs in the ratios.
 *
 * --tls-cert / --tls-key serve wss:// with the TLS setup of the Swift
 * package's server (Sources/LibWebSockets/LWS/TLSSetup.swift): the PEM chain
 * and key as files, LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT, ALPN "http/1.1"
 * only, TLS 1.2 at least (SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
 * SSL_OP_NO_TLSv1_1; SSL_OP_NO_SSLv2 is 0 in OpenSSL 1.1 and later), and,
 * as the Swift server also sets them, the system CA bundle and the same
 * minimum for the vhost's client side, which this server never uses.
 *
 * --deflate offers lws's own permessage-deflate (lws_extension_callback_pm_deflate,
 * with lws's default options: 1 KiB inflate/deflate steps, compression level 1).
 * Compressed sends need the written buffer to stay valid after lws_write()
 * returns: lws keeps feeding it to zlib while it sends the compressed output
 * in pieces from later POLLOUTs ("tx draining"), and only then gives the
 * protocol its next WRITEABLE callback.  So with --deflate the last written
 * message is kept (pss->sent) and freed at the next WRITEABLE or at CLOSED.
 * Without --deflate nothing changes: the buffer is freed right after
 * lws_write() as before.
 *
 * Once listening it prints "listening on ws://HOST:PORT" (or wss://) on
 * stdout.
 * SIGINT / SIGTERM stop the service loop and destroy the context.
 */

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Pause reading a connection when this many messages wait to be echoed... */
#define QUEUE_PAUSE_AT	8
/* ...and resume once the queue is down to this many. */
#define QUEUE_RESUME_AT	2

/* --spin-ns: loop iterations per message, calibrated at start (0: off) */
static unsigned long spin_iterations;

static void
spin(unsigned long iterations)
{
	volatile unsigned long i;

	for (i = 0; i < iterations; i++)
		;
}

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* how many spin() iterations take `ns` nanoseconds on this CPU */
static unsigned long
calibrate_spin(long ns)
{
	const unsigned long probe = 50000000;
	double t0 = now_ns();

	spin(probe);
	return (unsigned long)((double)ns * (double)probe / (now_ns() - t0));
}

/*
 * One queued message.  The payload lives in buf[LWS_PRE .. LWS_PRE + len):
 * lws_write() needs LWS_PRE writable bytes in front of the payload to build
 * the frame header in place, so the headroom is part of every allocation.
 */
struct msg {
	struct msg	*next;
	size_t		len;		/* payload bytes */
	size_t		cap;		/* payload capacity (excluding LWS_PRE) */
	int		binary;
	unsigned char	buf[];		/* LWS_PRE + cap bytes */
};

/* Per-connection state; lws allocates and zeroes it for us. */
struct pss {
	struct msg	*rx;		/* message being reassembled, or NULL */
	struct msg	*head;		/* queue of complete messages to echo */
	struct msg	*tail;
	struct msg	*sent;		/* --deflate: last written, lws may still read it */
	unsigned int	queued;
	unsigned int	rx_paused:1;
};

static struct lws_context *context;
static volatile sig_atomic_t interrupted;
static size_t max_message_size = 16u * 1024 * 1024;
static int deflate_on;		/* --deflate */

/* --deflate: lws's permessage-deflate, offered to every client that asks */
static const struct lws_extension extensions[] = {
	{ "permessage-deflate", lws_extension_callback_pm_deflate,
	  "permessage-deflate; client_max_window_bits" },
	{ NULL, NULL, NULL }	/* terminator */
};

static struct msg *
msg_grow(struct msg *m, size_t need)
{
	size_t cap = m ? m->cap : 0;
	struct msg *n;

	if (m && need <= cap)
		return m;
	if (!cap)
		cap = 256;
	while (cap < need)
		cap *= 2;

	n = realloc(m, sizeof(*n) + LWS_PRE + cap);
	if (!n)
		return NULL;
	if (!m) {
		n->next = NULL;
		n->len = 0;
		n->binary = 0;
	}
	n->cap = cap;

	return n;
}

static void
pss_free_all(struct pss *pss)
{
	struct msg *m = pss->head, *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
	free(pss->rx);
	free(pss->sent);
	pss->rx = pss->head = pss->tail = pss->sent = NULL;
	pss->queued = 0;
}

static int
callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	      void *in, size_t len)
{
	struct pss *pss = (struct pss *)user;
	struct msg *m;
	int n;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(pss, 0, sizeof(*pss));
		break;

	case LWS_CALLBACK_RECEIVE:
		/*
		 * A chunk of a message.  A new message starts whenever we do
		 * not have one in progress; its opcode is taken from the first
		 * chunk (continuation frames keep the message's type).
		 */
		if ((pss->rx ? pss->rx->len : 0) + len > max_message_size) {
			static const char why[] = "message too big";

			lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
					 (unsigned char *)why, sizeof(why) - 1);
			return -1;
		}

		m = msg_grow(pss->rx, (pss->rx ? pss->rx->len : 0) + len);
		if (!m) {
			lwsl_err("%s: OOM\n", __func__);
			return -1;
		}
		if (!pss->rx)
			m->binary = lws_frame_is_binary(wsi);
		pss->rx = m;

		if (len)
			memcpy(m->buf + LWS_PRE + m->len, in, len);
		m->len += len;

		if (!lws_is_final_fragment(wsi))
			break;	/* more chunks / frames of this message to come */

		/* message complete: move it to the send queue */
		if (spin_iterations)
			spin(spin_iterations);
		pss->rx = NULL;
		m->next = NULL;
		if (pss->tail)
			pss->tail->next = m;
		else
			pss->head = m;
		pss->tail = m;
		pss->queued++;

		if (pss->queued >= QUEUE_PAUSE_AT && !pss->rx_paused) {
			/* peer is pipelining faster than we drain: stop reading */
			pss->rx_paused = 1;
			lws_rx_flow_control(wsi, 0);
		}

		lws_callback_on_writable(wsi);
		break;

	case LWS_CALLBACK_SERVER_WRITEABLE:
		/*
		 * We may get WRITEABLE callbacks we did not ask for (eg, while
		 * closing), so an empty queue is not an error.
		 */
		if (pss->sent) {
			/* --deflate: lws has finished with the previous one */
			free(pss->sent);
			pss->sent = NULL;
		}
		m = pss->head;
		if (!m)
			break;

		n = lws_write(wsi, m->buf + LWS_PRE, m->len,
			      m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
		if (n < (int)m->len) {
			lwsl_err("%s: lws_write %d of %d\n", __func__, n,
				 (int)m->len);
			return -1;
		}

		/*
		 * Without compression lws has either sent the frame or copied
		 * what the socket did not take, so the buffer can go now.  With
		 * permessage-deflate lws may still be deflating from it: keep
		 * it until the next WRITEABLE (see --deflate above).
		 */
		pss->head = m->next;
		if (!pss->head)
			pss->tail = NULL;
		pss->queued--;
		if (deflate_on)
			pss->sent = m;
		else
			free(m);

		if (pss->rx_paused && pss->queued <= QUEUE_RESUME_AT) {
			pss->rx_paused = 0;
			lws_rx_flow_control(wsi, 1);
		}

		if (pss->head)
			lws_callback_on_writable(wsi);
		break;

	case LWS_CALLBACK_CLOSED:
		pss_free_all(pss);
		break;

	default:
		/* HTTP-level reasons (plain GETs etc.) get lws's default handling */
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}

	return 0;
}

/* rx_buffer_size is filled in from the command line before use */
static struct lws_protocols protocols[] = {
	{ "lws-echo", callback_echo, sizeof(struct pss), 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }	/* terminator */
};

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	/* wake lws_service(); this only writes to lws's event pipe */
	if (context)
		lws_cancel_service(context);
}

static void
usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--host ADDR] [--port N] [--rx-buffer-size N]\n"
		"          [--fd-limit N] [--serv-buf-size N]\n"
		"          [--max-message-size N] [--no-validate-utf8] [--spin-ns N]\n"
		"          [--tls-cert PATH --tls-key PATH] [--deflate]\n"
		"  --host ADDR           address to bind (default 127.0.0.1)\n"
		"  --port N              port, 0 = ephemeral (default 0)\n"
		"  --rx-buffer-size N    protocol rx_buffer_size (default 65536)\n"
		"  --fd-limit N          fd_limit_per_thread, 0 = lws default\n"
		"                        (soft RLIMIT_NOFILE) (default 0)\n"
		"  --serv-buf-size N     pt_serv_buf_size, 0 = lws default (4096)\n"
		"  --max-message-size N  close with 1009 above this (default 16 MiB)\n"
		"  --no-validate-utf8    do not validate text messages\n"
		"  --spin-ns N           burn N ns of CPU per message (calibration)\n"
		"  --tls-cert PATH       serve wss:// with this PEM certificate chain\n"
		"  --tls-key PATH        the PEM private key of --tls-cert\n"
		"  --deflate             offer permessage-deflate (lws's own)\n",
		argv0);
}

static int
parse_num(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "bad value for %s: '%s'\n", opt, s);
		return -1;
	}
	*out = v;

	return 0;
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct sigaction sa;
	struct lws_vhost *vh;
	const char *host = "127.0.0.1", *tls_cert = NULL, *tls_key = NULL;
	long port = 0, rx_buffer_size = 65536, fd_limit = 0, serv_buf = 0;
	long max_msg = (long)max_message_size, spin_ns = 0;
	int validate_utf8 = 1, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		long *dst = NULL, min = 0, max = INT_MAX;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(argv[0]);
			return 0;
		}
		if (!strcmp(a, "--no-validate-utf8")) {
			validate_utf8 = 0;
			continue;
		}
		if (!strcmp(a, "--deflate")) {
			deflate_on = 1;
			continue;
		}
		if (!strcmp(a, "--host") || !strcmp(a, "--tls-cert") ||
		    !strcmp(a, "--tls-key")) {
			if (++i >= argc)
				goto missing;
			if (!strcmp(a, "--host"))
				host = argv[i];
			else if (!strcmp(a, "--tls-cert"))
				tls_cert = argv[i];
			else
				tls_key = argv[i];
			continue;
		}
		if (!strcmp(a, "--port")) {
			dst = &port;
			max = 65535;
		} else if (!strcmp(a, "--rx-buffer-size")) {
			dst = &rx_buffer_size;
			min = 128;
		} else if (!strcmp(a, "--fd-limit"))
			dst = &fd_limit;
		else if (!strcmp(a, "--serv-buf-size"))
			dst = &serv_buf;
		else if (!strcmp(a, "--max-message-size"))
			dst = &max_msg;
		else if (!strcmp(a, "--spin-ns"))
			dst = &spin_ns;
		else {
			fprintf(stderr, "unknown option '%s'\n", a);
			usage(argv[0]);
			return 2;
		}
		if (++i >= argc)
			goto missing;
		if (parse_num(a, argv[i], min, max, dst))
			return 2;
	}

	if (!tls_cert != !tls_key) {
		fprintf(stderr, "--tls-cert and --tls-key go together\n");
		return 2;
	}
	max_message_size = (size_t)max_msg;
	if (spin_ns)
		spin_iterations = calibrate_spin(spin_ns);
	protocols[0].rx_buffer_size = (size_t)rx_buffer_size;

	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&info, 0, sizeof(info));
	/* context-level settings; the vhost is created explicitly below */
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	if (tls_cert)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.fd_limit_per_thread = (unsigned int)fd_limit;
	info.pt_serv_buf_size = (unsigned int)serv_buf;
	info.gid = -1;
	info.uid = -1;

	context = lws_create_context(&info);
	if (!context) {
		fprintf(stderr, "lws_create_context failed\n");
		return 1;
	}

	/* vhost-level settings */
	info.port = (int)port;
	info.iface = host;
	info.protocols = protocols;
	if (deflate_on)
		info.extensions = extensions;
	info.options = validate_utf8 ? LWS_SERVER_OPTION_VALIDATE_UTF8 : 0;
	/*
	 * lws 4.1 binds an IPv6 socket by default and, given an IPv4 literal
	 * as iface, silently falls back to the IPv6 wildcard address.  Asking
	 * for an IPv4-only listener makes an IPv4 iface bind exactly.
	 */
	if (!strchr(host, ':'))
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	if (tls_cert) {
		/* as TLSSetup.apply(_:to:) in the Swift package */
		const char *bundle = "/etc/ssl/certs/ca-certificates.crt";
		long tls12_minimum = (long)(SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 |
					    SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);

		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = tls_cert;
		info.ssl_private_key_filepath = tls_key;
		info.alpn = "http/1.1";
		info.ssl_options_set = tls12_minimum;
		info.client_ssl_ca_filepath =
			access(bundle, R_OK) == 0 ? bundle : "/dev/null";
		info.ssl_client_options_set = tls12_minimum;
	}

	vh = lws_create_vhost(context, &info);
	if (!vh) {
		fprintf(stderr, "lws_create_vhost failed (%s:%ld)\n", host, port);
		lws_context_destroy(context);
		return 1;
	}

	/* with port 0 the kernel chose the port; lws recorded it at bind */
	printf("listening on %s://%s:%d\n", tls_cert ? "wss" : "ws", host,
	       lws_get_vhost_listen_port(vh));
	fflush(stdout);

	while (!interrupted)
		if (lws_service(context, 0) < 0)
			break;

	lws_context_destroy(context);

	return 0;

missing:
	fprintf(stderr, "option '%s' needs a value\n", argv[i - 1]);
	return 2;
}

/*
 * lws-c-http-server: the plain C baseline for the HTTP load benchmark
 * (Benchmarks/http-load.sh). The same work as `lws-echo-server --static DIR`:
 * a folder mounted at "/" through lws's file mount, "/healthz" answering
 * 200 "ok\n" through a callback mount, and a WebSocket echo on the same port.
 *
 *   lws-c-http-server --port 0 --static DIR [--fd-limit N]
 *
 * Prints "listening on http://127.0.0.1:PORT" once bound. Written for this
 * benchmark only, in the shape of lws's minimal-http-server examples.
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int interrupted;

/* "/healthz": the whole response written at once, as lws_return_http_status does. */
static int
healthz(struct lws *wsi)
{
	unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start,
		      *end = buf + sizeof(buf) - 1;
	static const char body[] = "ok\n";

	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/plain; charset=utf-8",
					sizeof(body) - 1, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end))
		return 1;
	memcpy(p, body, sizeof(body) - 1);
	p += sizeof(body) - 1;
	if (lws_write(wsi, start, lws_ptr_diff(p, start), LWS_WRITE_HTTP_FINAL) < 0)
		return 1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

struct echo { unsigned char buf[LWS_PRE + 65536]; size_t len; int binary, pending; };

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct echo *e = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (!strcmp((const char *)in, "/healthz"))
			return healthz(wsi);
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_RECEIVE:
		/* one message in flight per connection, as the load client does */
		if (e->len + len > sizeof(e->buf) - LWS_PRE)
			return -1;
		memcpy(e->buf + LWS_PRE + e->len, in, len);
		e->len += len;
		e->binary = lws_frame_is_binary(wsi);
		if (lws_is_final_fragment(wsi)) {
			e->pending = 1;
			lws_callback_on_writable(wsi);
		}
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!e->pending)
			return 0;
		if (lws_write(wsi, e->buf + LWS_PRE, e->len, e->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)e->len)
			return -1;
		e->pending = 0;
		e->len = 0;
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols protocols[] = {
	{ "http", callback, sizeof(struct echo), 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void sigint_handler(int sig) { (void)sig; interrupted = 1; }

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_http_mount files, health;
	struct lws_context *context;
	const char *folder = NULL;
	int port = 7682, fd_limit = 0, i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--static"))
			folder = argv[i + 1];
		else if (!strcmp(argv[i], "--fd-limit"))
			fd_limit = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "usage: %s --port N --static DIR [--fd-limit N]\n", argv[0]);
			return 2;
		}
	}
	if (!folder) {
		fprintf(stderr, "--static DIR is required\n");
		return 2;
	}
	signal(SIGINT, sigint_handler);
	signal(SIGTERM, sigint_handler);
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

	memset(&health, 0, sizeof(health));
	health.mountpoint = "/healthz";
	health.mountpoint_len = 8;
	health.origin = "http";
	health.origin_protocol = LWSMPRO_CALLBACK;

	memset(&files, 0, sizeof(files));
	files.mount_next = &health;
	files.mountpoint = "/";
	files.mountpoint_len = 1;
	files.origin = folder;
	files.def = "index.html";
	files.origin_protocol = LWSMPRO_FILE;

	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.mounts = &files;
	info.fd_limit_per_thread = (unsigned int)fd_limit;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	info.gid = -1;
	info.uid = -1;
	context = lws_create_context(&info);
	if (!context)
		return 1;
	printf("listening on http://127.0.0.1:%d\n",
	       lws_get_vhost_listen_port(lws_get_vhost_by_name(context, "default")));
	fflush(stdout);
	while (!interrupted && lws_service(context, 0) >= 0)
		;
	lws_context_destroy(context);
	return 0;
}

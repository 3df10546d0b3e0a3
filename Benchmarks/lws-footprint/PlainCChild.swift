/// Run (d): a small C program that uses libwebsockets directly, built at run time like
/// ``FakeNofileLibrary``, so that the Swift processes have plain C lws processes beside them.
///
/// It does what a wrapper-default child does, with the same lws settings: one client context
/// with the wrapper's defaults (`fd_limit_per_thread` as given, the value the wrapper-default
/// children reported; `rx_buffer_size` 65536, UTF-8 validation, `max_http_header_pool` 32, the
/// 30 s / 60 s ping and hang-up policy, ...), `--connections` connections made one at a time,
/// one `--message-bytes` text message echoed on each, then the same report line
/// (``ChildReport``), read from `/proc/self/status`. It keeps servicing lws on its main thread,
/// as the wrapper's service thread does, while a second thread blocks on stdin; when stdin
/// closes it destroys the context and exits with 0. It takes the Swift child's options, plus
/// `--fd-limit-per-thread`.
///
/// The source is a string constant, like the interposer's, so that the binary needs no file
/// beside it and no Foundation to find one.
struct PlainCChild {
    /// The whole C source.
    static let source = #"""
        /* lws-footprint's run (d): one plain C lws client context doing what a wrapper-default child
         * does. Written out and compiled by lws-footprint at run time (PlainCChild.swift). */
        #include <libwebsockets.h>
        #include <errno.h>
        #include <getopt.h>
        #include <pthread.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>

        /* The wrapper's FDBudgetPlan: 16 bytes per slot; a compact table of N + 2 slots below
         * lws's max_fds (the open-file limit, 2560 above 10,000,000), else the full one. */
        #define BYTES_PER_SLOT 16
        #define MAX_FDS_CEILING 10000000L

        struct connection {
            int index;
            int sent;
            size_t received;
            int echoed;
        };

        static struct lws_context *context;
        static unsigned char *payload; /* LWS_PRE bytes of headroom, then message_bytes to send */
        static size_t message_bytes = 1024;
        static int failed;
        static volatile int input_closed;

        /* Whether the echo holds only what was sent: 'x' throughout. */
        static int all_x(const unsigned char *bytes, size_t count) {
            for (size_t index = 0; index < count; index++)
                if (bytes[index] != 'x')
                    return 0;
            return 1;
        }

        static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
            (void)user;
            struct connection *connection = wsi ? lws_get_opaque_user_data(wsi) : NULL;
            switch (reason) {
            case LWS_CALLBACK_CLIENT_ESTABLISHED:
                lws_callback_on_writable(wsi);
                break;
            case LWS_CALLBACK_CLIENT_WRITEABLE:
                if (connection == NULL || connection->sent)
                    break;
                /* lws masks a client's payload in place: fill it for every message. */
                memset(payload + LWS_PRE, 'x', message_bytes);
                if (lws_write(wsi, payload + LWS_PRE, message_bytes, LWS_WRITE_TEXT) < (int)message_bytes) {
                    fprintf(stderr, "connection %d: lws_write failed\n", connection->index);
                    failed = 1;
                    return -1;
                }
                connection->sent = 1;
                break;
            case LWS_CALLBACK_CLIENT_RECEIVE:
                if (connection == NULL)
                    break;
                if (lws_frame_is_binary(wsi) || connection->received + len > message_bytes
                    || !all_x((const unsigned char *)in, len)) {
                    fprintf(stderr, "connection %d: the echo did not match what was sent\n", connection->index);
                    failed = 1;
                    return -1;
                }
                connection->received += len;
                if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
                    if (connection->received != message_bytes) {
                        fprintf(stderr, "connection %d: the echo did not match what was sent\n", connection->index);
                        failed = 1;
                        return -1;
                    }
                    connection->echoed = 1;
                }
                break;
            case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
                fprintf(stderr, "connection %d: %s\n", connection ? connection->index : -1,
                        in ? (const char *)in : "connection error");
                failed = 1;
                break;
            case LWS_CALLBACK_CLIENT_CLOSED:
                if (connection != NULL && !connection->echoed) {
                    fprintf(stderr, "connection %d closed before its echo\n", connection->index);
                    failed = 1;
                }
                break;
            default:
                break;
            }
            return 0;
        }

        /* Blocks on stdin until the parent closes it, then wakes the service loop. */
        static void *wait_for_end_of_input(void *unused) {
            (void)unused;
            char byte;
            for (;;) {
                ssize_t count = read(STDIN_FILENO, &byte, 1);
                if (count < 0 && errno == EINTR)
                    continue;
                if (count <= 0)
                    break;
            }
            __atomic_store_n(&input_closed, 1, __ATOMIC_RELEASE);
            lws_cancel_service(context);
            return NULL;
        }

        /* "Name:   1234 kB" from /proc/self/status, or -1. */
        static long status_field(const char *text, const char *name) {
            size_t length = strlen(name);
            for (const char *line = text; line != NULL && *line != '\0';) {
                if (strncmp(line, name, length) == 0 && line[length] == ':')
                    return strtol(line + length + 1, NULL, 10);
                line = strchr(line, '\n');
                if (line != NULL)
                    line++;
            }
            return -1;
        }

        int main(int argc, char **argv) {
            int port = 0, connections = 2;
            unsigned int lifetime = 120;
            long expect_open_max = 0, fd_limit_per_thread = -1;
            static const struct option options[] = {
                {"port", required_argument, NULL, 'p'},
                {"connections", required_argument, NULL, 'c'},
                {"message-bytes", required_argument, NULL, 'm'},
                {"child-lifetime", required_argument, NULL, 'l'},
                {"expect-open-max", required_argument, NULL, 'e'},
                {"fd-limit-per-thread", required_argument, NULL, 'f'},
                {NULL, 0, NULL, 0},
            };
            for (int option; (option = getopt_long(argc, argv, "", options, NULL)) != -1;) {
                switch (option) {
                case 'p': port = atoi(optarg); break;
                case 'c': connections = atoi(optarg); break;
                case 'm': message_bytes = (size_t)strtoul(optarg, NULL, 10); break;
                case 'l': lifetime = (unsigned int)strtoul(optarg, NULL, 10); break;
                case 'e': expect_open_max = strtol(optarg, NULL, 10); break;
                case 'f': fd_limit_per_thread = strtol(optarg, NULL, 10); break;
                default: return 2;
                }
            }
            if (port < 1 || port > 65535 || connections < 0 || message_bytes < 1 || fd_limit_per_thread < 0) {
                fprintf(stderr, "usage: %s --port P --fd-limit-per-thread N [--connections N] [--message-bytes N] "
                                "[--child-lifetime S] [--expect-open-max N]\n", argv[0]);
                return 2;
            }
            alarm(lifetime);
            long open_max = sysconf(_SC_OPEN_MAX);
            if (expect_open_max > 0 && open_max != expect_open_max) {
                fprintf(stderr, "sysconf(_SC_OPEN_MAX) is %ld, not the simulated %ld: the LD_PRELOAD library is not in "
                                "effect; refusing to report\n", open_max, expect_open_max);
                return 1;
            }
            lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

            payload = malloc(LWS_PRE + message_bytes);
            if (payload == NULL)
                return 1;

            /* The wrapper's defaults (ContextCreation.swift, ContextResources.swift, LWSConfiguration.swift). */
            static struct lws_protocols protocols[] = {
                {.name = "lws-swift", .callback = callback, .per_session_data_size = 0, .rx_buffer_size = 65536},
                {NULL, NULL, 0, 0, 0, NULL, 0},
            };
            static lws_retry_bo_t retry = {.secs_since_valid_ping = 30, .secs_since_valid_hangup = 60};
            struct lws_context_creation_info info;
            memset(&info, 0, sizeof info);
            info.port = CONTEXT_PORT_NO_LISTEN;
            info.protocols = protocols;
            info.vhost_name = "lws-swift";
            info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
            info.fd_limit_per_thread = (unsigned int)fd_limit_per_thread;
            info.count_threads = 1;
            info.pt_serv_buf_size = 0;
            info.max_http_header_data = 4096;
            info.max_http_header_pool = 32;
            info.timeout_secs = 10;
            info.connect_timeout_secs = 10;
            info.retry_and_idle_policy = &retry;
            info.gid = -1;
            info.uid = -1;
            context = lws_create_context(&info);
            if (context == NULL) {
                fprintf(stderr, "lws_create_context failed\n");
                return 1;
            }

            /* One at a time, like the Swift child: connect, send, wait for the echo. */
            struct connection *states = calloc((size_t)connections + 1, sizeof *states);
            if (states == NULL) {
                lws_context_destroy(context);
                return 1;
            }
            char host[32];
            snprintf(host, sizeof host, "127.0.0.1:%d", port);
            char origin[48];
            snprintf(origin, sizeof origin, "http://%s", host);
            int echoed = 0;
            for (int index = 0; index < connections && !failed; index++) {
                states[index].index = index;
                struct lws_client_connect_info connect;
                memset(&connect, 0, sizeof connect);
                connect.context = context;
                connect.address = "127.0.0.1";
                connect.port = port;
                connect.path = "/footprint";
                connect.host = host;
                connect.origin = origin;
                connect.local_protocol_name = protocols[0].name;
                connect.ietf_version_or_minus_one = -1;
                connect.retry_and_idle_policy = &retry;
                connect.opaque_user_data = &states[index];
                if (lws_client_connect_via_info(&connect) == NULL) {
                    fprintf(stderr, "connection %d: lws_client_connect_via_info failed\n", index);
                    failed = 1;
                    break;
                }
                while (!states[index].echoed && !failed)
                    lws_service(context, 0);
                if (states[index].echoed)
                    echoed++;
            }
            if (failed) {
                lws_context_destroy(context);
                return 1;
            }

            char status[8192];
            FILE *file = fopen("/proc/self/status", "r");
            size_t length = file ? fread(status, 1, sizeof status - 1, file) : 0;
            if (file)
                fclose(file);
            status[length] = '\0';
            long rss = status_field(status, "VmRSS"), anon = status_field(status, "RssAnon"), mapped = status_field(status, "RssFile");
            if (rss < 0 || anon < 0 || mapped < 0) {
                fprintf(stderr, "cannot read VmRSS, RssAnon and RssFile from /proc/self/status\n");
                return 1;
            }
            long max_fds = open_max > MAX_FDS_CEILING ? 2560 : open_max;
            long slots = fd_limit_per_thread > 0 && fd_limit_per_thread < max_fds ? fd_limit_per_thread + 2 : max_fds;
            printf("FOOTPRINT rss_kib=%ld rss_anon_kib=%ld rss_file_kib=%ld fd_table_bytes=%ld fd_limit_per_thread=%ld "
                   "open_max=%ld connections=%d\n", rss, anon, mapped, slots * BYTES_PER_SLOT, fd_limit_per_thread, open_max, echoed);
            fflush(stdout);

            /* Keep serving the connections (as the wrapper's service thread does) until stdin closes. */
            pthread_t reader;
            if (pthread_create(&reader, NULL, wait_for_end_of_input, NULL) != 0)
                return 1;
            while (!__atomic_load_n(&input_closed, __ATOMIC_ACQUIRE))
                lws_service(context, 0);
            pthread_join(reader, NULL);
            lws_context_destroy(context);
            free(states);
            free(payload);
            return 0;
        }
        """#

    /// The built program.
    let path: String

    /// Writes the source to `directory` and compiles it against libwebsockets with `cc` and
    /// `pkg-config`.
    /// - Parameters:
    ///   - directory: where the source and the program go; removing it removes them.
    ///   - timeout: for the compiler.
    /// - Throws: ``FootprintError/buildFailed(_:)``.
    static func build(in directory: ScratchDirectory, timeout: Duration) throws -> PlainCChild {
        try directory.write(source, to: "plain-c-child.c")
        let path = try directory.compile(
            "cc -O2 -Wall -Wextra -o plain-c-child plain-c-child.c $(pkg-config --cflags --libs libwebsockets) -lpthread",
            producing: "plain-c-child", timeout: timeout)
        return PlainCChild(path: path)
    }
}

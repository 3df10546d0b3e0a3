#ifndef SWIFT_LIBWEBSOCKETS_SHIM_H
#define SWIFT_LIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>
#include <openssl/pem.h>

/* Only what Swift cannot import on its own: macros that expand to expressions, and a
 * non-variadic entry to lws's printf-style logger. */

/** Headroom every buffer handed to lws_write needs in front of its payload. */
static inline size_t lwsb_pre(void) { return LWS_PRE; }

/** LWS_LIBRARY_VERSION_NUMBER, e.g. 4001006 for 4.1.6. */
static inline unsigned int lwsb_version_number(void) { return LWS_LIBRARY_VERSION_NUMBER; }

/** Logs one line through lws's own logger at the given LLL_* level. */
static inline void lwsb_log(int level, const char *line) { _lws_log(level, "%s\n", line); }

/** LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT, a two-bit macro Swift cannot import. */
static inline uint64_t lwsb_option_require_valid_client_cert(void) {
    return (uint64_t)LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
}

/** OpenSSL's reason for the verification error in an X509_STORE_CTX (the `user` argument of
 * LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION), with the depth it happened at. */
static inline const char *lwsb_x509_verify_error(void *store_ctx, int *depth) {
    X509_STORE_CTX *ctx = (X509_STORE_CTX *)store_ctx;
    if (depth) *depth = X509_STORE_CTX_get_error_depth(ctx);
    return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
}

/** SSL_OP_* bits that refuse everything below TLS 1.2 (for ssl_options_set). */
static inline long lwsb_ssl_options_tls12_minimum(void) {
    return (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
}

/** Loads a certificate (chain) and a private key, from PEM files (`in_memory` 0) or PEM text
 * (`in_memory` 1), into a throwaway SSL_CTX, as lws will, to report a bad configuration before
 * the context starts. Returns 0 when both load and match, 1 when the certificate does not load,
 * 2 when the key does not load, 3 when they do not match, 4 when a key in memory is neither RSA
 * nor EC (lws 4.1.6 loads only those from memory), -1 when OpenSSL could not make a context.
 * `why` receives OpenSSL's reason. */
static inline int lwsb_check_certificate_and_key(const char *cert, const char *key, int in_memory, char *why, size_t why_len) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int result = 0;
    if (!ctx) return -1;
    ERR_clear_error();
    if (!in_memory) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) result = 1;
    } else {
        BIO *bio = BIO_new_mem_buf(cert, -1);
        X509 *x509 = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        if (bio) BIO_free(bio);
        if (!x509 || SSL_CTX_use_certificate(ctx, x509) != 1) result = 1;
        if (x509) X509_free(x509);
    }
    if (!result) {
        BIO *bio = in_memory ? BIO_new_mem_buf(key, -1) : BIO_new_file(key, "r");
        EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        if (bio) BIO_free(bio);
        if (!pkey) result = 2;
        else if (in_memory && EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA && EVP_PKEY_base_id(pkey) != EVP_PKEY_EC) result = 4;
        else if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) result = 3;
        if (pkey) EVP_PKEY_free(pkey);
    }
    if (result && why && why_len) {
        why[0] = '\0';
        ERR_error_string_n(ERR_peek_last_error(), why, why_len);
    }
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return result;
}

/** The `in` of LWS_EXT_CB_PAYLOAD_RX and LWS_EXT_CB_PAYLOAD_TX: lws 4.1.6's private
 * `struct lws_ext_pm_deflate_rx_ebufs` (lib/roles/ws/private-lib-roles-ws.h), the compressed
 * side and the plain side of one step. Same layout: two public `struct lws_tokens`. */
struct lwsb_pmd_ebufs {
    struct lws_tokens eb_in;
    struct lws_tokens eb_out;
};

/** What permessage-deflate's PAYLOAD_RX / PAYLOAD_TX return in lws 4.1.6 (the private
 * `enum lws_ext_pmdr` in lib/core-net/private-lib-core-net.h). */
enum {
    LWSB_PMDR_FAILED = -1,
    LWSB_PMDR_UNKNOWN = 0,
    LWSB_PMDR_DID_NOTHING = 1,
    LWSB_PMDR_HAS_PENDING = 2,
    LWSB_PMDR_NOTHING_WE_SHOULD_DO = 5,
};

#endif

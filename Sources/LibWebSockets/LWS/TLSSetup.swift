import CLibwebsockets
#if canImport(Glibc)
import Glibc
#endif

/// TLS: checking the server's files, filling the TLS fields of lws's creation info, and the
/// vhost that client `wss://` connections use. Service thread, except ``validate(_:)``.
enum TLSSetup {
    /// The system's CA bundle (Debian's `ca-certificates`). Handed to lws as the client's
    /// `client_ssl_ca_filepath` when the user gives none: lws then adds it to OpenSSL's default
    /// paths instead of loading `LWS_OPENSSL_CLIENT_CERTS`, which Debian's build sets to
    /// "../share", a folder relative to the working directory that anyone could fill.
    static let systemTrustBundle: String = {
        let bundle = "/etc/ssl/certs/ca-certificates.crt"
        return access(bundle, R_OK) == 0 ? bundle : "/dev/null"
    }()

    /// Checks the server's certificate chain and key as lws will load them, so that a bad file
    /// is a typed error from `build()`, never a half-configured server.
    /// - Throws: ``LWSError/invalidConfiguration(_:)`` naming the field and the reason.
    static func validate(_ configuration: LWSConfiguration) throws {
        let client = configuration.clientTLS
        for (path, field) in [(client.trustRootsPath, "trustRootsPath"), (client.certificateChainPath, "certificateChainPath"),
                              (client.privateKeyPath, "privateKeyPath")] {
            guard let path, access(path, R_OK) != 0 else { continue }
            throw LWSError.invalidConfiguration("clientTLS.\(field) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        guard (client.certificateChainPath == nil) == (client.privateKeyPath == nil) else {
            throw LWSError.invalidConfiguration("clientTLS.certificateChainPath and clientTLS.privateKeyPath go together")
        }
        guard let tls = configuration.tls else { return }
        guard configuration.listen != nil else { throw LWSError.invalidConfiguration("tls needs listen(host:port:)") }
        if let roots = tls.clientCertificateTrustRootsPath, access(roots, R_OK) != 0 {
            throw LWSError.invalidConfiguration("tls.clientCertificateTrustRootsPath \(roots) cannot be read: \(String(cString: strerror(errno)))")
        }
        var why = [CChar](repeating: 0, count: 256)
        let result: Int32
        let certificateField: String, keyField: String
        switch tls.identity {
        case .files(let chain, let key):
            for (path, field) in [(chain, "certificateChainPath"), (key, "privateKeyPath")] where access(path, R_OK) != 0 {
                throw LWSError.invalidConfiguration("tls.\(field) \(path) cannot be read: \(String(cString: strerror(errno)))")
            }
            result = lwsb_check_certificate_and_key(chain, key, 0, &why, why.count)
            (certificateField, keyField) = ("tls.certificateChainPath \(chain)", "tls.privateKeyPath \(key)")
        case .pem(let certificate, let key):
            // lws 4.1.6 converts only the first PEM block to DER: a chain would be cut short.
            for (pem, field) in [(certificate, "certificate"), (key, "privateKey")] {
                let blocks = pem.split(separator: "\n").filter { $0.hasPrefix("-----BEGIN ") }.count
                guard blocks <= 1 else {
                    throw LWSError.invalidConfiguration(
                        "tls PEM \(field) holds \(blocks) PEM blocks; lws 4.1.6 loads only the first, so give a chain as files")
                }
            }
            result = lwsb_check_certificate_and_key(certificate, key, 1, &why, why.count)
            (certificateField, keyField) = ("tls PEM certificate", "tls PEM privateKey")
        }
        let reason = why.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        switch result {
        case 0: return
        case 1: throw LWSError.invalidConfiguration("\(certificateField) is not a PEM certificate: \(reason)")
        case 2: throw LWSError.invalidConfiguration("\(keyField) is not a PEM private key: \(reason)")
        case 3: throw LWSError.invalidConfiguration("\(keyField) does not match the certificate: \(reason)")
        case 4: throw LWSError.invalidConfiguration("\(keyField) is neither RSA nor EC, which lws 4.1.6 needs for keys in memory")
        default: throw LWSError.invalidConfiguration("tls: OpenSSL could not check the certificate and key: \(reason)")
        }
    }

    /// The server's TLS fields: its files, `http/1.1` only in ALPN, TLS 1.2 at least.
    static func apply(_ resources: ContextResources, to info: inout lws_context_creation_info) {
        if let chain = resources.tls.certificateChain {
            info.ssl_cert_filepath = chain
            info.ssl_private_key_filepath = resources.tls.privateKey
        } else if let certificate = resources.tls.certificatePEM, let key = resources.tls.privateKeyPEM {
            info.server_ssl_cert_mem = UnsafeRawPointer(certificate)
            info.server_ssl_cert_mem_len = UInt32(strlen(certificate))
            info.server_ssl_private_key_mem = UnsafeRawPointer(key)
            info.server_ssl_private_key_mem_len = UInt32(strlen(key))
        } else {
            return
        }
        info.options |= UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
        info.alpn = resources.tls.alpn
        info.ssl_options_set = lwsb_ssl_options_tls12_minimum()
        if let clientRoots = resources.tls.clientCertificateTrustRoots {
            // Mutual TLS. lws 4.1.6 lets our PERFORM_CLIENT_CERT_VERIFICATION callback overrule
            // OpenSSL's verdict; the router returns OpenSSL's (see `clientCertificateVerdict`).
            info.options |= lwsb_option_require_valid_client_cert()
            info.ssl_ca_filepath = clientRoots
        }
        // The vhost gets a client TLS context too: keep it off the "../share" folder.
        info.client_ssl_ca_filepath = resources.tls.clientTrustRoots
        info.ssl_client_options_set = lwsb_ssl_options_tls12_minimum()
    }

    /// A vhost with no listener whose client TLS context verifies as ``TLSClientConfiguration``
    /// says. Made on the first `wss://` connect, so contexts that never use TLS never set it up.
    static func makeClientVhost(
        context: OpaquePointer, resources: ContextResources, configuration: LWSConfiguration
    ) -> OpaquePointer? {
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(resources.protocols)
        info.extensions = UnsafePointer(resources.extensions)
        info.vhost_name = resources.tls.clientVhostName
        info.options = LWSOptionMapping.lwsServerOptions(configuration.serverOptions)
            | UInt64(LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN) | UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
        info.client_ssl_ca_filepath = resources.tls.clientTrustRoots
        info.client_ssl_cert_filepath = resources.tls.clientCertificateChain
        info.client_ssl_private_key_filepath = resources.tls.clientPrivateKey
        info.ssl_client_options_set = lwsb_ssl_options_tls12_minimum()
        info.retry_and_idle_policy = UnsafePointer(resources.retryPolicy)
        info.timeout_secs = UInt32(configuration.handshakeTimeout.wholeSeconds)
        info.connect_timeout_secs = UInt32(configuration.connectTimeout.wholeSeconds)
        return lws_create_vhost(context, &info)
    }

    /// `lws_client_connect_info.ssl_connection` for a `wss://` connect.
    static func connectFlags(_ client: TLSClientConfiguration) -> Int32 {
        var flags = LCCSCF_USE_SSL.rawValue
        if client.insecureAllowSelfSigned { flags |= LCCSCF_ALLOW_SELFSIGNED.rawValue }
        if client.insecureSkipHostnameCheck { flags |= LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK.rawValue }
        if client.insecureAllowExpired { flags |= LCCSCF_ALLOW_EXPIRED.rawValue }
        return Int32(bitPattern: flags)
    }
}

extension TLSSetup {
    /// `OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION`: lws 4.1.6 returns `!callback(...)` to
    /// OpenSSL, so returning 0 would accept any client certificate, valid or not (which is what
    /// `lws_callback_http_dummy` does). `preverifyOK` is OpenSSL's own verdict: keep it.
    static func clientCertificateVerdict(preverifyOK: Int) -> Int32 { preverifyOK != 0 ? 0 : 1 }

    /// OpenSSL's reason for refusing a certificate, from the `X509_STORE_CTX` lws hands to
    /// `OPENSSL_PERFORM_SERVER_CERT_VERIFICATION`.
    static func verificationFailure(_ storeContext: UnsafeMutableRawPointer) -> String {
        var depth: Int32 = 0
        let reason = lwsb_x509_verify_error(storeContext, &depth).map { String(cString: $0) } ?? "unknown"
        return depth == 0 ? reason : "\(reason) (certificate \(depth) in the chain)"
    }

    /// The common name of the peer's certificate, if it presented one.
    static func peerCommonName(of wsi: OpaquePointer) -> String? {
        var results = lws_tls_cert_info_results()
        let capacity = MemoryLayout.size(ofValue: results.ns.name)
        guard lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_COMMON_NAME, &results, capacity) == 0 else { return nil }
        return withUnsafeBytes(of: &results.ns.name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }
}

extension ContextEngine {
    /// See ``TLSSetup/validate(_:)``.
    static func validateTLS(_ configuration: LWSConfiguration) throws { try TLSSetup.validate(configuration) }

    /// Loads the listener's certificate chain and key again from their files
    /// (`lws_tls_cert_updated`): connections accepted from now on get the new certificate,
    /// open ones keep theirs. The caller checked the files first.
    func reloadCertificates(_ promise: ServicePromise<Void>) {
        guard let context = local.value.lwsContext, case .files(let chain, let key)? = configuration.tls?.identity else {
            return promise.fail(.contextShutDown)
        }
        lws_tls_cert_updated(context, chain, key, nil, 0, nil, 0)
        promise.succeed(())
    }

    /// The client TLS vhost, made on first use.
    func clientTLSVhost() -> OpaquePointer? {
        if let vhost = local.value.clientTLSVhost { return vhost }
        guard let context = local.value.lwsContext, let resources = local.value.resources else { return nil }
        let vhost = TLSSetup.makeClientVhost(context: context, resources: resources, configuration: configuration)
        local.value.clientTLSVhost = vhost
        return vhost
    }
}

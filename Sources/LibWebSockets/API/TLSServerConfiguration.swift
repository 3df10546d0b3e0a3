/// TLS for a server's listener: it then serves `wss://` only.
///
/// The listener advertises only `http/1.1` in ALPN (lws 4.1.6 would offer h2, and WebSocket
/// over h2 in 4.1.6 breaks in Firefox) and accepts TLS 1.2 and later.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// Where the server's certificate and private key come from.
    public enum Identity: Sendable, Hashable {
        /// PEM files: the certificate first, then its intermediates, and the key (RSA or EC).
        /// lws loads the whole chain. ``LWSContext/reloadCertificates()`` reads them again.
        case files(certificateChainPath: String, privateKeyPath: String)
        /// PEM text held in memory. lws 4.1.6 loads only the first PEM block of each, as DER,
        /// so the certificate must stand alone (a chain with intermediates needs ``files``) and
        /// the key must be RSA or EC. `build()` refuses PEM with more than one block rather than
        /// serving a chain silently cut short.
        case pem(certificate: String, privateKey: String)
    }

    /// The certificate and key.
    public var identity: Identity
    /// Mutual TLS: a PEM file of the CAs that client certificates must chain to. When set, a
    /// client without a valid certificate from one of them cannot connect, and the connection
    /// shows the certificate's common name (``WebSocketConnection/Info/clientCertificateCommonName``).
    /// Default `nil`: clients are not asked for a certificate.
    public var clientCertificateTrustRootsPath: String?

    /// - Parameters:
    ///   - identity: the certificate and key, as files or PEM text.
    ///   - clientCertificateTrustRootsPath: for mutual TLS, the CAs client certificates must
    ///     chain to; `nil` asks clients for none.
    public init(identity: Identity, clientCertificateTrustRootsPath: String? = nil) {
        self.identity = identity
        self.clientCertificateTrustRootsPath = clientCertificateTrustRootsPath
    }

    /// - Parameters:
    ///   - certificateChainPath: the PEM chain, leaf first.
    ///   - privateKeyPath: the PEM private key.
    ///   - clientCertificateTrustRootsPath: for mutual TLS, the CAs client certificates must
    ///     chain to; `nil` asks clients for none.
    public init(certificateChainPath: String, privateKeyPath: String, clientCertificateTrustRootsPath: String? = nil) {
        self.init(
            identity: .files(certificateChainPath: certificateChainPath, privateKeyPath: privateKeyPath),
            clientCertificateTrustRootsPath: clientCertificateTrustRootsPath)
    }
}

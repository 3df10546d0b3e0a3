/// TLS for a server's listener: it then serves `wss://` only.
///
/// lws loads the whole certificate chain from the file. The listener advertises only
/// `http/1.1` in ALPN (lws 4.1.6 would offer h2, and WebSocket over h2 in 4.1.6 breaks in
/// Firefox) and accepts TLS 1.2 and later.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// A PEM file: the server's certificate first, then its intermediates.
    public var certificateChainPath: String
    /// A PEM file with the private key (RSA or EC) that matches the certificate.
    public var privateKeyPath: String
    /// Mutual TLS: a PEM file of the CAs that client certificates must chain to. When set, a
    /// client without a valid certificate from one of them cannot connect, and the connection
    /// shows the certificate's common name (``WebSocketConnection/Info/clientCertificateCommonName``).
    /// Default `nil`: clients are not asked for a certificate.
    public var clientCertificateTrustRootsPath: String?

    /// - Parameters:
    ///   - certificateChainPath: the PEM chain, leaf first.
    ///   - privateKeyPath: the PEM private key.
    ///   - clientCertificateTrustRootsPath: for mutual TLS, the CAs client certificates must
    ///     chain to; `nil` asks clients for none.
    public init(certificateChainPath: String, privateKeyPath: String, clientCertificateTrustRootsPath: String? = nil) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCertificateTrustRootsPath = clientCertificateTrustRootsPath
    }
}

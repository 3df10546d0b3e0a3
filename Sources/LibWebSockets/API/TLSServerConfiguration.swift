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

    /// - Parameters:
    ///   - certificateChainPath: the PEM chain, leaf first.
    ///   - privateKeyPath: the PEM private key.
    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

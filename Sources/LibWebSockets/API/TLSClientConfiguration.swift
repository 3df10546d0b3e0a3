/// How a context's client connections verify `wss://` servers.
///
/// By default the server's certificate must chain to the system's trust store (OpenSSL's default
/// paths) and name the host of the URL (SNI and hostname check). Nothing else is trusted: in
/// particular not the certificate folder that Debian's lws build would otherwise read relative
/// to the working directory (`LWS_OPENSSL_CLIENT_CERTS "../share"`). The `insecure…` switches
/// weaken that, each on purpose; a context that uses one logs a warning for each such connect.
public struct TLSClientConfiguration: Sendable, Hashable {
    /// A PEM file of extra trust roots (for example a private CA), trusted besides the system's.
    public var trustRootsPath: String?
    /// A PEM certificate chain to present to servers that ask for one (mutual TLS).
    public var certificateChainPath: String?
    /// The PEM private key of ``certificateChainPath``.
    public var privateKeyPath: String?
    /// Accept a certificate that signs itself. Insecure: anyone can make one.
    public var insecureAllowSelfSigned = false
    /// Accept a certificate for another host name. Insecure: any certificate from a trusted CA
    /// would do.
    public var insecureSkipHostnameCheck = false
    /// Accept an expired certificate. Insecure: its key may have leaked since.
    public var insecureAllowExpired = false

    /// Verified against the system's trust store, with the hostname checked.
    public static let `default` = TLSClientConfiguration()

    /// - Parameter trustRootsPath: a PEM file of extra trust roots, or `nil`.
    public init(trustRootsPath: String? = nil) {
        self.trustRootsPath = trustRootsPath
    }

    /// Whether any insecure switch is on.
    public var isInsecure: Bool { insecureAllowSelfSigned || insecureSkipHostnameCheck || insecureAllowExpired }
}

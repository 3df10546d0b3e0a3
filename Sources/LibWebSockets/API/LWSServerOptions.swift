/// The lws context options that this package lets users set.
///
/// The bits are this package's own; the lws layer maps each to its `LWS_SERVER_OPTION_*`
/// (a test checks the mapping). The default, ``default``, validates UTF-8 in text frames so that
/// lws closes a connection that sends invalid text with 1007, as RFC 6455 requires.
public struct LWSServerOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64

    /// Creates options from this package's bits (not lws's). Unknown bits make `build()` throw.
    /// - Parameter rawValue: the bits, as the static members below define them.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `LWS_SERVER_OPTION_VALIDATE_UTF8`: lws checks text frames and closes with 1007.
    public static let validateUTF8 = LWSServerOptions(rawValue: 1 << 0)
    /// `LWS_SERVER_OPTION_DISABLE_IPV6`: listen on IPv4 only.
    public static let disableIPv6 = LWSServerOptions(rawValue: 1 << 1)
    /// `LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY` plus `_VALUE`: an IPv6 listener does not take IPv4.
    public static let ipv6Only = LWSServerOptions(rawValue: 1 << 2)
    /// `LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE`: `SO_REUSEPORT` on the listen socket.
    public static let allowListenShare = LWSServerOptions(rawValue: 1 << 3)

    /// Every option named above.
    static let known: LWSServerOptions = [.validateUTF8, .disableIPv6, .ipv6Only, .allowListenShare]

    /// What a context uses unless told otherwise: ``validateUTF8``.
    public static let `default`: LWSServerOptions = [.validateUTF8]
}

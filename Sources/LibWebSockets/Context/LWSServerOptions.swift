import CLibwebsockets

/// The lws context options (`LWS_SERVER_OPTION_*`) that this package lets users set.
///
/// The default, ``default``, validates UTF-8 in text frames so that lws closes a connection that
/// sends invalid text with 1007, as RFC 6455 requires.
public struct LWSServerOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64

    /// Creates options from raw `LWS_SERVER_OPTION_*` bits, for options not named here.
    /// - Parameter rawValue: the bits, as lws defines them.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `LWS_SERVER_OPTION_VALIDATE_UTF8`: lws checks text frames and closes with 1007.
    public static let validateUTF8 = LWSServerOptions(rawValue: UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8))
    /// `LWS_SERVER_OPTION_DISABLE_IPV6`: listen on IPv4 only.
    public static let disableIPv6 = LWSServerOptions(rawValue: UInt64(LWS_SERVER_OPTION_DISABLE_IPV6))
    /// `LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY` plus `_VALUE`: an IPv6 listener does not take IPv4.
    public static let ipv6Only = LWSServerOptions(
        rawValue: UInt64(LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY) | UInt64(LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE))
    /// `LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE`: `SO_REUSEPORT` on the listen socket.
    public static let allowListenShare = LWSServerOptions(rawValue: UInt64(LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE))

    /// What a context uses unless told otherwise: ``validateUTF8``.
    public static let `default`: LWSServerOptions = [.validateUTF8]
}

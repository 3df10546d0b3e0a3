import CLibwebsockets

/// Maps the public option sets' own bits to lws's, and back where lws reports them.
enum LWSOptionMapping {
    /// Each ``LWSServerOptions`` member and its `LWS_SERVER_OPTION_*` bits.
    static let serverOptionBits: [(LWSServerOptions, UInt64)] = [
        (.validateUTF8, UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)),
        (.disableIPv6, UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)),
        (.ipv6Only, UInt64(LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY) | UInt64(LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE)),
        (.allowListenShare, UInt64(LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE)),
    ]

    /// Each ``LWSLogLevels`` member and its `LLL_*` bit.
    static let logLevelBits: [(LWSLogLevels, Int32)] = [
        (.error, LLL_ERR), (.warning, LLL_WARN), (.notice, LLL_NOTICE),
        (.info, LLL_INFO), (.debug, LLL_DEBUG), (.user, LLL_USER),
    ]

    /// The `LWS_SERVER_OPTION_*` bits for `options`.
    static func lwsServerOptions(_ options: LWSServerOptions) -> UInt64 {
        serverOptionBits.reduce(0) { bits, entry in options.contains(entry.0) ? bits | entry.1 : bits }
    }

    /// The `LLL_*` mask for `levels`.
    static func lwsLogLevels(_ levels: LWSLogLevels) -> Int32 {
        logLevelBits.reduce(0) { bits, entry in levels.contains(entry.0) ? bits | entry.1 : bits }
    }

    /// The levels in an `LLL_*` mask (lws logs one level per line).
    static func logLevels(fromLWS level: Int32) -> LWSLogLevels {
        logLevelBits.reduce([]) { levels, entry in level & entry.1 != 0 ? levels.union(entry.0) : levels }
    }
}

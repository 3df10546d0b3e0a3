@testable import LibWebSockets
import Testing

extension AllTests {
    /// The public option sets have bits of their own; the lws layer maps them. The expected
    /// values are lws 4.1.6's, from `libwebsockets/lws-context-vhost.h` and `lws-logs.h` (this
    /// file does not import the C module: only `LWS/` may).
    @Suite struct OptionMappingTests {
        @Test func everyServerOptionMapsToItsLWSBits() {
            #expect(LWSOptionMapping.lwsServerOptions(.validateUTF8) == 1 << 8)  // LWS_SERVER_OPTION_VALIDATE_UTF8
            #expect(LWSOptionMapping.lwsServerOptions(.disableIPv6) == 1 << 5)  // LWS_SERVER_OPTION_DISABLE_IPV6
            #expect(LWSOptionMapping.lwsServerOptions(.ipv6Only) == 1 << 16 | 1 << 17)  // IPV6_V6ONLY_MODIFY | _VALUE
            #expect(LWSOptionMapping.lwsServerOptions(.allowListenShare) == 1 << 23)  // LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE
            #expect(LWSOptionMapping.lwsServerOptions([]) == 0)
            #expect(LWSOptionMapping.lwsServerOptions([.validateUTF8, .allowListenShare]) == 1 << 8 | 1 << 23)
            // Every named option has a mapping, and no two share lws bits.
            let mapped = LWSOptionMapping.serverOptionBits.map(\.0)
            #expect(LWSServerOptions(mapped) == LWSServerOptions.known)
            let bits = LWSOptionMapping.serverOptionBits.map(\.1)
            #expect(bits.reduce(0, |) == bits.reduce(0, +))
        }

        @Test func everyLogLevelMapsBothWays() {
            let expected: [(LWSLogLevels, Int32)] = [
                (.error, 1 << 0), (.warning, 1 << 1), (.notice, 1 << 2), (.info, 1 << 3), (.debug, 1 << 4), (.user, 1 << 10),
            ]
            for (level, lws) in expected {
                #expect(LWSOptionMapping.lwsLogLevels(level) == lws)
                #expect(LWSOptionMapping.logLevels(fromLWS: lws) == level)
            }
            #expect(LWSOptionMapping.lwsLogLevels([.error, .warning]) == 3)
            #expect(LWSLogBridge.swiftLogLevel(for: .error) == .error)
            #expect(LWSLogBridge.swiftLogLevel(for: .user) == .info)
        }

        @Test func unknownServerOptionBitsAreRejected() {
            var configuration = LWSConfiguration()
            configuration.serverOptions = LWSServerOptions(rawValue: 1 << 8)  // lws's own bit, not ours
            #expect(throws: LWSError.invalidConfiguration("serverOptions has unknown bits 0x100")) {
                try configuration.validate()
            }
            configuration.serverOptions = [.validateUTF8, .disableIPv6]
            #expect(throws: Never.self) { try configuration.validate() }
        }
    }
}

@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct HTTPStatusLineTests {
        @Test func statusLinesAreHTTP11WithTheStandardReason() {
            #expect(HTTPStatusLine.make(503) == "HTTP/1.1 503 Service Unavailable")
            #expect(HTTPStatusLine.make(403) == "HTTP/1.1 403 Forbidden")
            #expect(HTTPStatusLine.make(299) == "HTTP/1.1 299 ")  // unknown codes keep an empty reason, as RFC 9112 allows
        }
    }
}

extension AllTests {
    /// The upgrade checks that need no user code, and the client address behind proxies.
    @Suite struct UpgradePolicyTests {
        @Test func originAndAddressChecksInOrder() {
            let policy = UpgradePolicy(allowedOrigins: ["https://a.example"], maxConnectionsPerAddress: 2, trustedProxies: [])
            #expect(policy.check(origin: "https://a.example", openFromAddress: 0) == nil)
            #expect(policy.check(origin: nil, openFromAddress: 1) == nil)  // not a browser page
            #expect(policy.check(origin: "https://b.example", openFromAddress: 0) == .originNotAllowed)
            #expect(policy.check(origin: "https://a.example", openFromAddress: 2) == .tooManyFromAddress)
            #expect(policy.check(origin: "https://b.example", openFromAddress: 2) == .originNotAllowed)  // origin first
            let open = UpgradePolicy(allowedOrigins: nil, maxConnectionsPerAddress: nil, trustedProxies: [])
            #expect(open.check(origin: "https://any.example", openFromAddress: 1_000_000) == nil)
        }

        @Test func refusalStatusesAndBodies() {
            #expect(UpgradePolicy.Refusal.overCapacity.status == 503)
            #expect(UpgradePolicy.Refusal.originNotAllowed.status == 403)
            #expect(UpgradePolicy.Refusal.tooManyFromAddress.status == 429)
            #expect(UpgradePolicy.Refusal.rejectedByHook(status: 401).status == 401)
            #expect(UpgradePolicy.Refusal.hookFailed.status == 500)
        }

        @Test func forwardedForIsReadRightToLeftPastTrustedProxies() {
            let policy = UpgradePolicy(allowedOrigins: nil, maxConnectionsPerAddress: nil, trustedProxies: ["10.0.0.1", "10.0.0.2"])
            #expect(policy.clientAddress(peer: "10.0.0.1", forwardedFor: "203.0.113.7") == "203.0.113.7")
            #expect(policy.clientAddress(peer: "10.0.0.1", forwardedFor: "1.1.1.1, 203.0.113.7, 10.0.0.2") == "203.0.113.7")
            #expect(policy.clientAddress(peer: "10.0.0.1", forwardedFor: nil) == "10.0.0.1")
            #expect(policy.clientAddress(peer: "10.0.0.1", forwardedFor: "10.0.0.2") == "10.0.0.2")  // only proxies: the first
            #expect(policy.clientAddress(peer: "192.0.2.1", forwardedFor: "203.0.113.7") == "192.0.2.1")  // untrusted peer
        }

        @Test func keysMustBeBase64Of16Bytes() {
            #expect(UpgradePolicy.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="))
            #expect(UpgradePolicy.isValidKey("AAAAAAAAAAAAAAAAAAAAA/==") == true)  // padding bits are not checked, as in Python
            for key: String? in [nil, "", "not base64!!", "dGhlIHNhbXBsZQ==", String(repeating: "A", count: 24),
                                 "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub2*jZQ=="] {
                #expect(!UpgradePolicy.isValidKey(key), "\(key ?? "nil")")
            }
            #expect(UpgradePolicy.Refusal.badRequest.status == 400)
        }

        @Test func subprotocolHeaderIsSplit() {
            #expect(UpgradePolicy.subprotocols("chat, superchat ,x") == ["chat", "superchat", "x"])
            #expect(UpgradePolicy.subprotocols(nil) == [])
            #expect(UpgradePolicy.subprotocols(" , ") == [])
        }
    }
}

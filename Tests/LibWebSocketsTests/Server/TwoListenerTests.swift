import Foundation
@testable import LibWebSockets
import Testing

extension AllTests {
    /// One context listening on a `wss://` port and a plain `ws://` port at once.
    @Suite struct TwoListenerTests {
        /// A server whose handler answers each message with whether its connection is over TLS,
        /// and whose upgrade hook records what it saw.
        private func server(
            _ certs: TestCertificates, maxConnections: Int = 1024, seen: Locked<[Bool]>? = nil
        ) throws -> LWSContext {
            try LWSContextBuilder.testServer()
                .tls(certificateChainPath: certs.localhostChain, privateKeyPath: certs.localhostKey)
                .plainListen(port: 0)
                .maxConnections(maxConnections)
                .onUpgrade { request in
                    seen?.withLock { $0.append(request.isSecure) }
                    return .accept()
                }
                .onConnection { connection in
                    for try await _ in connection.messages {
                        try await connection.send(text: connection.info.isSecure ? "secure" : "plain")
                    }
                }
                .build()
        }

        private func answer(_ client: LWSContext, _ url: String) async throws -> (WebSocketConnection, WebSocketMessage?) {
            let connection = try await client.connect(to: url)
            try await connection.send(text: "which?")
            return (connection, try await connection.nextMessage())
        }

        @Test func servesWSAndWSSFromOneContext() async throws {
            let certs = try TestCertificates()
            let seen = Locked<[Bool]>([])
            let server = try server(certs, seen: seen)
            let client = try LWSContextBuilder.testClient().clientTLS(TLSClientConfiguration(trustRootsPath: certs.caPath)).build()
            let tlsPort = try #require(server.port), plainPort = try #require(server.plainPort)
            #expect(tlsPort != plainPort)
            try await withTimeout(20) {
                let (secure, secureAnswer) = try await answer(client, "wss://localhost:\(tlsPort)/")
                #expect(secureAnswer == .text("secure"))
                #expect(secure.info.isSecure)
                let (plain, plainAnswer) = try await answer(client, "ws://127.0.0.1:\(plainPort)/")
                #expect(plainAnswer == .text("plain"))
                #expect(!plain.info.isSecure)
                // Each port speaks only its own: no TLS on the plain one, nothing but TLS on the other.
                await #expect(throws: LWSError.self) { try await client.connect(to: "ws://127.0.0.1:\(tlsPort)/") }
                await #expect(throws: LWSError.self) { try await client.connect(to: "wss://localhost:\(plainPort)/") }
                // Both still serve after the garbage.
                #expect(try await answer(client, "wss://localhost:\(tlsPort)/").1 == .text("secure"))
                #expect(try await answer(client, "ws://127.0.0.1:\(plainPort)/").1 == .text("plain"))
                _ = try await secure.close()
                _ = try await plain.close()
            }
            #expect(seen.withLock { $0 }.prefix(2) == [true, false], "the hook sees which listener a request came to")
            await client.shutdown()
            await server.shutdown()
        }

        @Test func bothListenersCountInTheFDBudgetAndShareMaxConnections() async throws {
            let certs = try TestCertificates()
            let server = try server(certs, maxConnections: 2)
            let limits = OpenFileLimits.current()
            let expected = try FDBudgetPlan.make(
                budget: .automatic, maxConnections: 2, listeners: 2, softLimit: limits.soft, hardLimit: limits.hard)
            let oneListener = try FDBudgetPlan.make(
                budget: .automatic, maxConnections: 2, listeners: 1, softLimit: limits.soft, hardLimit: limits.hard)
            #expect(server.fdBudget == expected)
            #expect(server.fdLimitPerThread == oneListener.fdLimitPerThread + 1)
            let client = try LWSContextBuilder.testClient().clientTLS(TLSClientConfiguration(trustRootsPath: certs.caPath)).build()
            let tlsURL = "wss://localhost:\(server.port!)/", plainURL = "ws://127.0.0.1:\(server.plainPort!)/"
            try await withTimeout(20) {
                let first = try await answer(client, tlsURL).0
                let second = try await answer(client, plainURL).0
                // The cap is the context's, not each listener's: a third is refused on either port.
                await #expect(throws: LWSError.handshakeRejected(status: 503)) { try await client.connect(to: plainURL) }
                await #expect(throws: LWSError.handshakeRejected(status: 503)) { try await client.connect(to: tlsURL) }
                _ = try await first.close()
                _ = try await second.close()
                #expect(server.stats.refusedOverCapacity == 2)
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func plainListenIsCheckedAtBuild() throws {
            let certs = try TestCertificates()
            #expect(buildError(LWSContextBuilder.testServer().plainListen(port: 0)).contains("needs listen(host:port:) and tls"))
            let port = unusedPort()
            let clash = LWSContextBuilder.testClient().listen(port: port).plainListen(port: port)
                .tls(certificateChainPath: certs.localhostChain, privateKeyPath: certs.localhostKey)
            #expect(buildError(clash).contains("both ask for port \(port)"))
            // A plain port that is taken fails the start cleanly, with the port in the error.
            let holder = try server(certs)
            let taken = LWSContextBuilder.testServer().plainListen(port: holder.plainPort!)
                .tls(certificateChainPath: certs.localhostChain, privateKeyPath: certs.localhostKey)
            #expect(buildError(taken).contains("plain listener on 127.0.0.1:\(holder.plainPort!) could not start"))
            try holder.syncShutdown()
        }
    }
}

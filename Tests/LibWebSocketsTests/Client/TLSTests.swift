#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import LibWebSockets
import Testing

extension AllTests {
    /// wss:// between this package's client and server, with certificates made at test time.
    @Suite struct TLSTests {
        private func tlsServer(_ chain: String, _ key: String) throws -> LWSContext {
            try LWSContextBuilder.testServer().tls(certificateChainPath: chain, privateKeyPath: key).echo().build()
        }

        private func client(_ tls: TLSClientConfiguration) throws -> LWSContext {
            try LWSContextBuilder.testClient().clientTLS(tls).build()
        }

        private func echoes(_ client: LWSContext, _ url: String) async throws {
            let connection = try await client.connect(to: url)
            try await connection.send(text: "over tls")
            #expect(try await connection.nextMessage() == .text("over tls"))
            try await connection.close()
        }

        private func rejectsWithTLSError(_ client: LWSContext, _ url: String, reason: String? = nil) async {
            do {
                _ = try await client.connect(to: url)
                Issue.record("connected to \(url) although the certificate should not verify")
            } catch let error as LWSError {
                #expect(error.description.hasPrefix("TLS handshake failed"), "\(error)")
                if let reason { #expect(error == .tlsFailed(reason), "\(error)") }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }

        @Test func wssEchoWithAPrivateCA() async throws {
            let certs = try TestCertificates()
            let server = try tlsServer(certs.localhostChain, certs.localhostKey)
            let client = try client(TLSClientConfiguration(trustRootsPath: certs.caPath))
            try await withTimeout(15) {
                try await echoes(client, "wss://localhost:\(server.port!)/")
                try await echoes(client, "wss://127.0.0.1:\(server.port!)/")  // the IP is in the certificate too
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func unknownCAIsRejectedByDefault() async throws {
            let certs = try TestCertificates()
            let server = try tlsServer(certs.localhostChain, certs.localhostKey)
            let client = try client(.default)
            try await withTimeout(15) {
                // The typed error carries OpenSSL's reason, not lws's "connect SSL err 1".
                await rejectsWithTLSError(client, "wss://localhost:\(server.port!)/", reason: "unable to get local issuer certificate")
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// A server with `chain`/`key`: a client that trusts `strict` is refused with the typed
        /// error, and one whose configuration `loosen` weakens gets through.
        private func refusedUnless(
            chain: String, key: String, reason: String, strict: TLSClientConfiguration, loosen: (inout TLSClientConfiguration) -> Void
        ) async throws {
            let server = try tlsServer(chain, key)
            var loose = strict
            loosen(&loose)
            let strictClient = try client(strict)
            let lenientClient = try client(loose)
            try await withTimeout(15) {
                await rejectsWithTLSError(strictClient, "wss://localhost:\(server.port!)/", reason: reason)
                try await echoes(lenientClient, "wss://localhost:\(server.port!)/")
            }
            for context in [strictClient, lenientClient, server] { await context.shutdown() }
        }

        @Test func wrongHostIsRejectedUnlessTheCheckIsSkipped() async throws {
            let certs = try TestCertificates()
            try await refusedUnless(chain: certs.otherHostChain, key: certs.otherHostKey, reason: "hostname mismatch",
                                    strict: TLSClientConfiguration(trustRootsPath: certs.caPath)) { $0.insecureSkipHostnameCheck = true }
        }

        @Test func expiredIsRejectedUnlessAllowed() async throws {
            let certs = try TestCertificates()
            try await refusedUnless(chain: certs.expiredChain, key: certs.expiredKey, reason: "certificate has expired",
                                    strict: TLSClientConfiguration(trustRootsPath: certs.caPath)) { $0.insecureAllowExpired = true }
        }

        @Test func selfSignedIsRejectedUnlessAllowed() async throws {
            let certs = try TestCertificates()
            try await refusedUnless(chain: certs.selfSignedChain, key: certs.selfSignedKey, reason: "self-signed certificate",
                                    strict: TLSClientConfiguration(trustRootsPath: certs.caPath)) { $0.insecureAllowSelfSigned = true }
        }

        @Test func plainClientOnTheTLSPortFailsAndOthersAreStillServed() async throws {
            let certs = try TestCertificates()
            let server = try tlsServer(certs.localhostChain, certs.localhostKey)
            let plain = try LWSContextBuilder.testClient().build()
            let secure = try client(TLSClientConfiguration(trustRootsPath: certs.caPath))
            try await withTimeout(15) {
                await #expect(throws: LWSError.self) { try await plain.connect(to: "ws://127.0.0.1:\(server.port!)/") }
                try await echoes(secure, "wss://localhost:\(server.port!)/")
            }
            let plainServer = try LWSContextBuilder.testServer().echo().build()
            try await withTimeout(15) {
                await rejectsWithTLSError(secure, "wss://localhost:\(plainServer.port!)/")  // TLS hello to a plain port
                try await echoes(plain, plainServer.url)
            }
            await plain.shutdown()
            await secure.shutdown()
            await server.shutdown()
            await plainServer.shutdown()
        }

        @Test func badFilesAreTypedConfigurationErrors() throws {
            let certs = try TestCertificates()
            func message(_ chain: String, _ key: String) -> String {
                do {
                    _ = try tlsServer(chain, key)
                    return "built"
                } catch let error as LWSError {
                    return error.description
                } catch {
                    return "\(error)"
                }
            }
            #expect(message(certs.folder + "/missing.pem", certs.localhostKey).contains("tls.certificateChainPath"))
            #expect(message(certs.localhostChain, certs.folder + "/missing.key").contains("tls.privateKeyPath"))
            #expect(message(certs.localhostKey, certs.localhostKey).contains("is not a PEM certificate"))
            #expect(message(certs.localhostChain, certs.localhostChain).contains("is not a PEM private key"))
            #expect(message(certs.localhostChain, certs.otherHostKey).contains("does not match"))
            #expect(throws: LWSError.self) {
                try LWSContextBuilder.testClient().clientTLS(TLSClientConfiguration(trustRootsPath: certs.folder + "/none.pem")).build()
            }
        }

        /// Debian's lws would also trust a hashed CA folder at "../share", relative to the working
        /// directory, when the client gives no CA file. This package always gives one, so a CA
        /// placed there is not trusted. (The suite runs serially, so changing the working
        /// directory for this test is safe.)
        @Test func caFolderRelativeToTheWorkingDirectoryIsNotTrusted() async throws {
            let certs = try TestCertificates()
            let work = try certs.hashedCAFolderBesideWorkFolder()
            let server = try tlsServer(certs.localhostChain, certs.localhostKey)
            var previous = [CChar](repeating: 0, count: 4096)
            #expect(getcwd(&previous, previous.count) != nil)
            #expect(chdir(work) == 0)
            defer { _ = previous.withUnsafeBufferPointer { chdir($0.baseAddress!) } }
            let client = try client(.default)  // created here: lws sets up client TLS in this folder
            try await withTimeout(15) { await rejectsWithTLSError(client, "wss://localhost:\(server.port!)/") }
            await client.shutdown()
            await server.shutdown()
        }

        /// Mutual TLS: only clients with a certificate from the configured CA get in, and the
        /// connection shows its common name. (lws 4.1.6 would accept any client certificate if
        /// its verification callback returned 0, as lws_callback_http_dummy does: the
        /// self-signed case checks that OpenSSL's verdict stands.)
        @Test func mutualTLSRequiresAClientCertificateFromTheCA() async throws {
            let certs = try TestCertificates()
            let names = Locked<[String?]>([])
            let server = try LWSContextBuilder.testServer()
                .tls(certificateChainPath: certs.localhostChain, privateKeyPath: certs.localhostKey,
                     clientCertificateTrustRootsPath: certs.caPath)
                .onConnection { connection in
                    names.withLock { $0.append(connection.info.clientCertificateCommonName) }
                    for try await message in connection.messages { try await connection.send(message) }
                }.build()
            var withCertificate = TLSClientConfiguration(trustRootsPath: certs.caPath)
            withCertificate.certificateChainPath = certs.clientChain
            withCertificate.privateKeyPath = certs.clientKey
            var withSelfSigned = TLSClientConfiguration(trustRootsPath: certs.caPath)
            withSelfSigned.certificateChainPath = certs.selfSignedChain
            withSelfSigned.privateKeyPath = certs.selfSignedKey
            let good = try client(withCertificate)
            let none = try client(TLSClientConfiguration(trustRootsPath: certs.caPath))
            let forged = try client(withSelfSigned)
            let url = "wss://localhost:\(server.port!)/"
            try await withTimeout(15) {
                try await echoes(good, url)
                await #expect(throws: LWSError.self) { try await none.connect(to: url) }
                await #expect(throws: LWSError.self) { try await forged.connect(to: url) }
                try await echoes(good, url)  // still serving
            }
            #expect(names.withLock { $0 } == ["client", "client"])
            #expect(server.stats.totalConnections == 2)
            for context in [good, none, forged, server] { await context.shutdown() }
        }

        /// A renewed certificate, written over the same files, is served to the next connection
        /// after `reloadCertificates()`, without a restart; a bad file is refused and the old
        /// certificate stays.
        @Test func reloadedCertificateIsSeenByTheNextConnection() async throws {
            let old = try TestCertificates()
            let renewed = try TestCertificates()  // another CA
            let chain = old.folder + "/served.pem", key = old.folder + "/served.key"
            let files = FileManager.default
            try files.copyItem(atPath: old.localhostChain, toPath: chain)
            try files.copyItem(atPath: old.localhostKey, toPath: key)
            let server = try tlsServer(chain, key)
            let trustsOld = try client(TLSClientConfiguration(trustRootsPath: old.caPath))
            let trustsNew = try client(TLSClientConfiguration(trustRootsPath: renewed.caPath))
            let url = "wss://localhost:\(server.port!)/"
            try await withTimeout(15) {
                try await echoes(trustsOld, url)
                await rejectsWithTLSError(trustsNew, url)
                // A broken renewal is refused before lws sees it.
                try "not a certificate".write(toFile: chain, atomically: true, encoding: .utf8)
                await #expect(throws: LWSError.self) { try await server.reloadCertificates() }
                try await echoes(trustsOld, url)
                // The real renewal.
                try files.removeItem(atPath: chain)
                try files.removeItem(atPath: key)
                try files.copyItem(atPath: renewed.localhostChain, toPath: chain)
                try files.copyItem(atPath: renewed.localhostKey, toPath: key)
                try await server.reloadCertificates()
                try await echoes(trustsNew, url)
                await rejectsWithTLSError(trustsOld, url)
            }
            for context in [trustsOld, trustsNew, server] { await context.shutdown() }
        }

        /// The listener offers only http/1.1 in ALPN (lws 4.1.6 would offer h2, and WebSocket
        /// over h2 in 4.1.6 breaks in Firefox) and refuses TLS below 1.2. Checked with the
        /// openssl CLI as an independent client.
        @Test func listenerSpeaksHTTP11OnlyAndTLS12AtLeast() async throws {
            let certs = try TestCertificates()
            let server = try tlsServer(certs.localhostChain, certs.localhostKey)
            let port = server.port!
            let alpn = try certs.sClient(port: port, ["-alpn", "h2,http/1.1"])
            #expect(alpn.contains("ALPN protocol: http/1.1"), "\(alpn)")
            #expect(alpn.contains("Verify return code: 0 (ok)"), "\(alpn)")
            let old = try certs.sClient(port: port, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
            #expect(old.contains("alert protocol version") && old.contains("Cipher is (NONE)"), "\(old)")
            let modern = try certs.sClient(port: port, ["-tls1_2"])
            #expect(modern.contains("Protocol  : TLSv1.2"), "\(modern)")
            await server.shutdown()
        }

        /// 1,000 TLS connects and closes: RSS after them stays within 5 % of RSS after the first
        /// 100 (OpenSSL's per-connection state is freed), and the server counts every one.
        /// Sanitizer runs check the same churn for leaks; their RSS means nothing.
        @Test func thousandTLSConnectionsLeaveRSSFlat() async throws {
            let certs = try TestCertificates()
            let server = try tlsServer(certs.localhostChain, certs.localhostKey)
            let client = try client(TLSClientConfiguration(trustRootsPath: certs.caPath))
            let url = "wss://localhost:\(server.port!)/"
            let total = underSanitizer ? 200 : 1000
            let afterFirstHundred = try await withTimeout(240) {
                var afterFirstHundred = 0
                for round in 0 ..< total / 10 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0 ..< 10 {
                            group.addTask {
                                let connection = try await client.connect(to: url)
                                try await connection.send(text: "x")
                                _ = try await connection.nextMessage()
                                try await connection.close()
                            }
                        }
                        try await group.waitForAll()
                    }
                    if round == 9 {
                        malloc_trim(0)
                        afterFirstHundred = residentBytes()
                    }
                }
                return afterFirstHundred
            }
            for _ in 0 ..< 200 where server.stats.openConnections > 0 { try await Task.sleep(for: .milliseconds(10)) }
            malloc_trim(0)
            let end = residentBytes()
            #expect(server.stats.totalConnections == total)
            #expect(server.stats.openConnections == 0)
            if !underSanitizer {
                #expect(Double(end) <= Double(afterFirstHundred) * 1.05, "RSS \(afterFirstHundred) -> \(end) bytes")
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// A certificate and key held in memory as PEM text: served like files. lws 4.1.6 loads
        /// only the first PEM block, so more than one is refused, and a reload needs files.
        @Test func pemInMemoryServesAndRefusesWhatLWSWouldCut() async throws {
            let certs = try TestCertificates()
            let certificate = try String(contentsOfFile: certs.localhostChain, encoding: .utf8)
            let key = try String(contentsOfFile: certs.localhostKey, encoding: .utf8)
            let server = try LWSContextBuilder.testServer().tls(certificatePEM: certificate, privateKeyPEM: key).echo().build()
            let client = try client(TLSClientConfiguration(trustRootsPath: certs.caPath))
            try await withTimeout(15) {
                try await echoes(client, "wss://localhost:\(server.port!)/")
                await #expect(throws: LWSError.self) { try await server.reloadCertificates() }
            }
            let chain = certificate + (try String(contentsOfFile: certs.caPath, encoding: .utf8))
            #expect(throws: LWSError.invalidConfiguration(
                "tls PEM certificate holds 2 PEM blocks; lws 4.1.6 loads only the first, so give a chain as files")) {
                try LWSContextBuilder.testServer().tls(certificatePEM: chain, privateKeyPEM: key).echo().build()
            }
            let otherKey = try String(contentsOfFile: certs.otherHostKey, encoding: .utf8)
            do {
                _ = try LWSContextBuilder.testServer().tls(certificatePEM: certificate, privateKeyPEM: otherKey).echo().build()
                Issue.record("a mismatched key was accepted")
            } catch let error as LWSError {
                #expect(error.description.contains("does not match"), "\(error)")
            }
            #expect(throws: LWSError.self) {
                try LWSContextBuilder.testServer().tls(certificatePEM: "garbage", privateKeyPEM: key).echo().build()
            }
            await client.shutdown()
            await server.shutdown()
        }
    }
}

import Foundation
import LibWebSockets
import Testing

extension AllTests {
    @Suite struct ConfigurationTests {
        static let invalid: [(String, LWSContextBuilder)] = [
            ("zero maxConnections", LWSContextBuilder.testServer().echo().maxConnections(0)),
            ("negative maxConnections", LWSContextBuilder.testServer().echo().maxConnections(-5)),
            ("zero maxMessageSize", LWSContextBuilder.testServer().echo().maxMessageSize(0)),
            ("zero maxFrameSize", LWSContextBuilder.testServer().echo().maxFrameSize(0)),
            ("zero maxBackpressure", LWSContextBuilder.testServer().echo().maxBackpressure(0)),
            ("zero maxInboundBuffer", LWSContextBuilder.testServer().echo().maxInboundBuffer(0)),
            ("negative rxBufferSize", LWSContextBuilder.testServer().echo().rxBufferSize(-1)),
            ("tiny header data", LWSContextBuilder.testServer().echo().maxHTTPHeaderData(10)),
            ("zero header pool", LWSContextBuilder.testServer().echo().maxHTTPHeaderPool(0)),
            ("hang-up before ping", LWSContextBuilder.testServer().echo().idleTimeout(.seconds(5), pingAfter: .seconds(10))),
            ("hang-up equal to ping", LWSContextBuilder.testServer().echo().idleTimeout(.seconds(5), pingAfter: .seconds(5))),
            ("zero handshake timeout", LWSContextBuilder.testServer().echo().handshakeTimeout(.zero)),
            ("zero close timeout", LWSContextBuilder.testServer().echo().closeTimeout(.zero)),
            ("port out of range", LWSContext.builder().listen(port: 70000).echo()),
            ("budget above the hard limit", LWSContextBuilder.testServer().echo().fdBudget(.fixed(10_000_000))),
            ("zero budget", LWSContextBuilder.testServer().echo().fdBudget(.fixed(0))),
            ("listening without a handler", LWSContextBuilder.testServer()),
            ("bad subprotocol token", LWSContextBuilder.testServer().echo().subprotocols(["a b"])),
            ("compression level 0", LWSContextBuilder.testServer().echo().compression(.init(level: 0))),
            ("compression memory level 10", LWSContextBuilder.testServer().echo().compression(.init(memoryLevel: 10))),
            ("compression with a tiny rx buffer", LWSContextBuilder.testServer().echo().compression().rxBufferSize(64)),
        ]

        @Test(arguments: 0 ..< invalid.count)
        func invalidConfigurationThrowsTypedError(index: Int) {
            let (name, builder) = Self.invalid[index]
            do {
                let context = try builder.build()
                try? context.syncShutdown()
                Issue.record("\(name): build() did not throw")
            } catch let error as LWSError {
                #expect(error.description.hasPrefix("invalid configuration"), "\(name): \(error)")
            } catch {
                Issue.record("\(name): untyped error \(error)")
            }
        }

        @Test func bothHandlerStylesAtOnceIsRejected() {
            #expect(throws: LWSError.self) {
                try LWSContextBuilder.testServer().echo().onText { _, _ in }.build()
            }
        }

        @Test func defaultsAreFiniteAndDocumented() {
            let configuration = LWSConfiguration()
            #expect(configuration.maxConnections == 1024)
            #expect(configuration.maxMessageSize == 16 << 20)
            #expect(configuration.maxBackpressure == 1 << 20)
            #expect(configuration.maxInboundBuffer == 1 << 20)
            #expect(configuration.serverOptions.contains(.validateUTF8))
            #expect(configuration.idleTimeout > configuration.pingInterval)
            #expect(configuration.lwsLogLevels == [.error, .warning])
            #expect(configuration.compression == nil, "compression is opt-in")
            #expect(throws: Never.self) { try configuration.validate() }
        }

        @Test func compressionCostIsCountedInTheMemoryEstimate() throws {
            let plain = try LWSContextBuilder.testServer().echo().maxConnections(10).build()
            #expect(plain.estimatedCompressionBytes == 0)
            let compressing = try LWSContextBuilder.testServer().echo().maxConnections(10).compression().build()
            let perConnection = WebSocketCompression().estimatedBytesPerActiveConnection
            #expect(perConnection > 256 << 10 && perConnection < 512 << 10)
            #expect(compressing.estimatedCompressionBytes == 10 * perConnection)
            #expect(WebSocketCompression(memoryLevel: 1).estimatedBytesPerActiveConnection < perConnection)
            try plain.syncShutdown()
            try compressing.syncShutdown()
        }

        @Test func ephemeralPortIsReadable() throws {
            let context = try LWSContextBuilder.testServer().echo().build()
            defer { try? context.syncShutdown() }
            let port = try #require(context.port)
            #expect(port > 0 && port != 7681)
        }

        @Test func loopbackListenerListensOnLoopbackOnly() throws {
            let context = try LWSContextBuilder.testServer().echo().build()
            defer { try? context.syncShutdown() }
            let port = String(format: "%04X", context.port!)
            let v4 = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)
            let v6 = (try? String(contentsOfFile: "/proc/net/tcp6", encoding: .utf8)) ?? ""
            // Listening sockets (state 0A) on our port: only 127.0.0.1, never a wildcard.
            var listeners: [String] = []
            for line in (v4 + v6).split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count > 3, fields[1].hasSuffix(":" + port), fields[3] == "0A" else { continue }
                listeners.append(String(fields[1]))
            }
            #expect(listeners == ["0100007F:" + port], "\(listeners)")
        }

        @Test func clientOnlyContextHasNoPort() throws {
            let context = try LWSContextBuilder.testClient().build()
            defer { try? context.syncShutdown() }
            #expect(context.port == nil)
        }
    }
}

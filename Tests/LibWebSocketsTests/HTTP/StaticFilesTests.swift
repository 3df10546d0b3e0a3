import Foundation
@testable import LibWebSockets
import Testing

extension AllTests {
    /// Folders served through lws's file mount, with real requests over 127.0.0.1.
    @Suite struct StaticFilesTests {
        /// A temporary folder `parent/site` with a few files, and `parent/secret.txt`, which
        /// must never be served.
        final class Site {
            let parent: String
            var root: String { parent + "/site" }
            static let secret = "TOP-SECRET-\(UUID().uuidString)"

            init() throws {
                parent = NSTemporaryDirectory() + "lws-site-" + UUID().uuidString
                let files = [
                    "site/index.html": "<h1>home</h1>", "site/style.css": "body {}", "site/app.js": "let a = 1;",
                    "site/data.json": "{}", "site/blob.bin": "\u{1}\u{2}", "site/sub/index.html": "<p>sub</p>",
                    "site/notes.txt": "plain", "secret.txt": Self.secret,
                ]
                for (path, content) in files {
                    let full = parent + "/" + path
                    try FileManager.default.createDirectory(
                        atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try content.write(toFile: full, atomically: true, encoding: .utf8)
                }
                try FileManager.default.createSymbolicLink(atPath: root + "/outside.txt", withDestinationPath: parent + "/secret.txt")
                try FileManager.default.createSymbolicLink(atPath: root + "/inside.txt", withDestinationPath: root + "/notes.txt")
            }

            deinit { try? FileManager.default.removeItem(atPath: parent) }
        }

        @Test func servesFilesWithTheirTypesAFoldersIndexAnd404() async throws {
            let site = try Site()
            let server = try LWSContextBuilder.testServer().serveFiles(from: site.root).echo().build()
            let port = server.port!
            let expected: [(String, String, String)] = [
                ("/", "text/html; charset=utf-8", "<h1>home</h1>"),
                ("/index.html", "text/html; charset=utf-8", "<h1>home</h1>"),
                ("/style.css", "text/css; charset=utf-8", "body {}"),
                ("/app.js", "text/javascript; charset=utf-8", "let a = 1;"),
                ("/data.json", "application/json", "{}"),
                ("/blob.bin", "application/octet-stream", "\u{1}\u{2}"),
                ("/sub/", "text/html; charset=utf-8", "<p>sub</p>"),
            ]
            // All on one keep-alive connection: lws keeps it open between files.
            let socket = try RawSocket(port: port)
            for (path, type, body) in expected {
                let reply = try #require(socket.request(path), "no HTTP/1.1 answer for \(path)")
                #expect(reply.status == 200, "\(path)")
                #expect(reply.headers["content-type"] == type, "\(path)")
                #expect(reply.text == body, "\(path)")
            }
            let missing = try #require(socket.request("/nothing-here.html"))
            #expect(missing.status == 404)
            let head = try #require(socket.request("/style.css", method: "HEAD"))
            #expect(head.status == 200 && head.headers["content-length"] == "7" && head.body.isEmpty)
            // WebSockets still work on the same port, at "/" too.
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                try await connection.send(text: "still echoing")
                #expect(try await connection.nextMessage() == .text("still echoing"))
                _ = try await connection.close()
            }
            #expect(server.stats.httpRequests == expected.count + 2)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func requestsNeverGetAByteFromOutsideTheFolder() async throws {
            let site = try Site()
            let server = try LWSContextBuilder.testServer().serveFiles(from: site.root).echo().build()
            let attempts = [
                "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/%2e./secret.txt",
                "/sub/../../secret.txt", "/sub/..%2f..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/sub/%2e%2e/%2e%2e/secret.txt",
                "//../secret.txt", "/..\\secret.txt", "/./../secret.txt", "/sub/./../../secret.txt", "/%252e%252e/secret.txt",
                "/..%00/secret.txt", "/outside.txt",
            ]
            for target in attempts {
                guard let reply = try httpRequest(port: server.port!, target) else { continue }  // dropped: nothing served
                #expect([400, 403, 404].contains(reply.status), "\(target) answered \(reply.status)")
                #expect(!reply.text.contains(Site.secret), "\(target) leaked the file outside the folder")
            }
            // The symlink that leads outside is refused by name; one that stays inside is served.
            #expect(try httpRequest(port: server.port!, "/outside.txt")?.status == 403)
            #expect(try httpRequest(port: server.port!, "/inside.txt")?.text == "plain")
            // The server keeps serving.
            #expect(try httpRequest(port: server.port!, "/notes.txt")?.text == "plain")
            await server.shutdown()
        }

        @Test func aPrefixMountRedirectsItsBarePathWebSocketsIncluded() async throws {
            let site = try Site()
            let server = try LWSContextBuilder.testServer().serveFiles(from: site.root, at: "/assets")
                .onConnection { connection in try await connection.send(text: connection.info.path) }
                .build()
            let port = server.port!
            // lws answers the bare prefix itself, while it parses the request and before any
            // callback, so the status line is its own HTTP/1.0 (strict HTTP/1.1 clients reject it).
            let raw = try RawSocket(port: port)
            raw.write("GET /assets HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
            let head = raw.readHTTPHead()
            #expect(head.hasPrefix("HTTP/1.0 301"), "\(head)")
            #expect(head.contains("location: http://127.0.0.1:\(port)/assets/\r\n"), "\(head)")
            #expect(try httpRequest(port: port, "/assets/")?.text == "<h1>home</h1>")
            #expect(try httpRequest(port: port, "/assets/notes.txt")?.text == "plain")
            #expect(try httpRequest(port: port, "/notes.txt")?.status == 404, "outside the prefix nothing is mounted")
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                // A WebSocket client gets the same 301: lws's own client follows it, so the
                // socket opens at "/assets/". Below the prefix and elsewhere, upgrades go through.
                for (path, seen) in [("/assets", "/assets/"), ("/assets/chat", "/assets/chat"), ("/chat", "/chat"), ("/", "/")] {
                    let connection = try await client.connect(to: "ws://127.0.0.1:\(port)\(path)")
                    #expect(try await connection.nextMessage() == .text(seen), "\(path)")
                    _ = try await connection.close()
                }
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func badFoldersAndPrefixesAreConfigurationErrors() throws {
            let site = try Site()
            #expect(buildError(LWSContextBuilder.testServer().serveFiles(from: site.root + "/nope")).contains("cannot be read"))
            #expect(buildError(LWSContextBuilder.testServer().serveFiles(from: site.root + "/notes.txt")).contains("is not a folder"))
            #expect(buildError(LWSContextBuilder.testServer().serveFiles(from: site.root, at: "/assets/")).contains("without a trailing slash"))
            #expect(buildError(LWSContextBuilder.testServer().serveFiles(from: site.root, at: "assets")).contains("absolute path"))
            #expect(buildError(LWSContextBuilder.testServer().serveFiles(from: site.root, at: "/a").route("/a") { _ in .text("") })
                .contains("would answer the same path"))
            #expect(buildError(LWSContextBuilder.testClient().serveFiles(from: site.root)).contains("needs listen"))
        }
    }
}

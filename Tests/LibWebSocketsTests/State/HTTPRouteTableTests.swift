@testable import LibWebSockets
import Testing

extension AllTests {
    /// Where plain HTTP requests go, as lws matches mounts; no sockets.
    @Suite struct HTTPRouteTableTests {
        @Test func matchesPrefixesAtPathBoundariesLikeLWS() {
            #expect(HTTPRouteTable.matches(prefix: "/", path: "/anything/at/all"))
            #expect(HTTPRouteTable.matches(prefix: "/assets", path: "/assets"))
            #expect(HTTPRouteTable.matches(prefix: "/assets", path: "/assets/app.js"))
            #expect(!HTTPRouteTable.matches(prefix: "/assets", path: "/assetsx/app.js"))
            #expect(!HTTPRouteTable.matches(prefix: "/assets", path: "/"))
        }

        @Test func onlyRoutesUnderAFolderNeedAMountAndTheyWinOverIt() throws {
            let table = try HTTPRouteTable(routePaths: ["/healthz", "/api/status", "/other"], filePrefixes: ["/", "/api"])
            #expect(table.routesNeedingMounts == ["/api/status", "/healthz", "/other"])
            #expect(table.fileMount(for: "/healthz") == nil)
            #expect(table.fileMount(for: "/healthz/x") == nil, "a route's mount takes what is below it too")
            let page = try #require(table.fileMount(for: "/index.html"))
            #expect(page.index == 0 && page.remainder == "index.html")
            let api = try #require(table.fileMount(for: "/api/docs/a.html"))
            #expect(api.index == 1 && api.remainder == "/docs/a.html")
            let plain = try HTTPRouteTable(routePaths: ["/healthz"], filePrefixes: ["/assets"])
            #expect(plain.routesNeedingMounts.isEmpty, "no folder over it: the unmounted request reaches the router")
            #expect(plain.fileMount(for: "/healthz") == nil)
        }

        @Test func rejectsWhatLWSCouldNotMountOrWouldAnswerTwice() {
            let long = "/" + String(repeating: "a", count: 255)
            for (routes, prefixes) in [
                (["healthz"], []), (["/a?b"], []), ([long], []), ([], ["/assets/"]), ([], ["assets"]), ([], [long]),
                ([], ["/a", "/a"]), (["/a"], ["/a"]),
            ] as [([String], [String])] {
                #expect(throws: LWSError.self, "\(routes) \(prefixes)") { try HTTPRouteTable(routePaths: routes, filePrefixes: prefixes) }
            }
        }
    }
}

/// Which plain HTTP requests go where: exact-path routes, and folders mounted at URL prefixes
/// as lws matches them (`lws_find_mount`: the longest prefix that ends at a "/" or at the end
/// of the path, "/" matching everything).
///
/// Pure: the lws layer turns it into mounts and asks it about each request.
struct HTTPRouteTable: Sendable {
    /// The routes' exact paths.
    let routePaths: Set<String>
    /// The mounted folders' URL prefixes, in the user's order.
    let filePrefixes: [String]
    /// The routes that need a callback mount of their own: those under a file mount, which
    /// would otherwise take their requests. The rest reach the router as unmounted requests.
    /// Worked out once: ``fileMount(for:)`` runs on every request.
    let routesNeedingMounts: [String]

    /// - Throws: ``LWSError/invalidConfiguration(_:)`` for a path or prefix that is not
    ///   absolute, a prefix with a trailing slash or too long for lws, the same prefix twice,
    ///   or a route that a mount would answer with a redirect instead.
    init(routePaths: [String], filePrefixes: [String]) throws {
        var seen = Set<String>()
        for path in routePaths {
            guard path.hasPrefix("/"), !path.contains("?"), !path.contains("#") else {
                throw LWSError.invalidConfiguration("route \"\(path)\" must be an absolute path without a query")
            }
            guard path.utf8.count <= Self.maxPrefixLength else {
                throw LWSError.invalidConfiguration("route \"\(path)\" is longer than \(Self.maxPrefixLength) bytes")
            }
            guard seen.insert(path).inserted else { throw LWSError.invalidConfiguration("route \"\(path)\" is given twice") }
        }
        var prefixes = Set<String>()
        for prefix in filePrefixes {
            guard prefix.hasPrefix("/"), prefix == "/" || !prefix.hasSuffix("/"), !prefix.contains("?") else {
                throw LWSError.invalidConfiguration("serveFiles prefix \"\(prefix)\" must be \"/\" or an absolute path without a trailing slash")
            }
            guard prefix.utf8.count <= Self.maxPrefixLength else {
                throw LWSError.invalidConfiguration("serveFiles prefix \"\(prefix)\" is longer than \(Self.maxPrefixLength) bytes")
            }
            guard prefixes.insert(prefix).inserted else {
                throw LWSError.invalidConfiguration("serveFiles prefix \"\(prefix)\" is given twice")
            }
            if seen.contains(prefix) {
                throw LWSError.invalidConfiguration("route \"\(prefix)\" and serveFiles at \"\(prefix)\" would answer the same path")
            }
        }
        self.routePaths = seen
        self.filePrefixes = filePrefixes
        routesNeedingMounts = seen.sorted().filter { path in filePrefixes.contains { Self.matches(prefix: $0, path: path) } }
    }

    /// lws keeps a mount's length in an `unsigned char`.
    static let maxPrefixLength = 255


    /// The file mount lws serves `path` from, with the rest of the path after its prefix, or
    /// `nil` when a route or nothing takes it.
    func fileMount(for path: String) -> (index: Int, remainder: Substring)? {
        // Index -1 is a route's callback mount, which takes the path away from the files.
        var best: (index: Int, length: Int)?
        for route in routesNeedingMounts where Self.matches(prefix: route, path: path) {
            if route.utf8.count > (best?.length ?? 0) { best = (-1, route.utf8.count) }
        }
        for (index, prefix) in filePrefixes.enumerated() where Self.matches(prefix: prefix, path: path) {
            if prefix.utf8.count > (best?.length ?? 0) { best = (index, prefix.utf8.count) }
        }
        guard let best, best.index >= 0 else { return nil }
        let prefix = filePrefixes[best.index]
        return (best.index, prefix == "/" ? path.dropFirst() : path.dropFirst(prefix.count))
    }

    /// `lws_find_mount`'s test.
    static func matches(prefix: String, path: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix == "/" { return true }
        let rest = path.dropFirst(prefix.count)
        return rest.isEmpty || rest.hasPrefix("/")
    }
}

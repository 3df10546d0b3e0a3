/// A folder served over plain HTTP beside the WebSockets, through lws's own file mount
/// (``LWSContextBuilder/serveFiles(from:at:)``).
public struct StaticFiles: Sendable, Hashable {
    /// The folder on disk. Files resolve inside it; a symlink that leads outside it is refused
    /// with 403.
    public var directory: String
    /// The URL prefix, "/" or a path without a trailing slash such as "/assets". lws 4.1.6
    /// answers a request for exactly the prefix ("/assets") with its own `HTTP/1.0 301` to
    /// "/assets/", WebSocket upgrades included, before this package sees the request. lws's
    /// client follows it; strict HTTP/1.1 clients (Python's `websockets`) reject it.
    public var urlPrefix: String
    /// The file served for a folder. Default "index.html".
    public var indexFile: String
    /// `Cache-Control: max-age` in seconds; 0 (the default) sends `no-store`.
    public var cacheMaxAge: Int

    /// - Parameters:
    ///   - directory: the folder on disk.
    ///   - urlPrefix: where it appears in URLs. Default "/".
    ///   - indexFile: the file served for a folder. Default "index.html".
    ///   - cacheMaxAge: `Cache-Control: max-age` in seconds; 0 sends `no-store`.
    public init(directory: String, urlPrefix: String = "/", indexFile: String = "index.html", cacheMaxAge: Int = 0) {
        self.directory = directory
        self.urlPrefix = urlPrefix
        self.indexFile = indexFile
        self.cacheMaxAge = cacheMaxAge
    }
}

import CLibwebsockets
#if canImport(Glibc)
import Glibc
#endif

/// The `lws_http_mount` list the listening vhosts serve plain HTTP from, and everything it
/// points to. lws keeps pointers into it, so ``ContextResources`` holds it for the context's
/// whole life.
///
/// Routes under a file mount get a callback mount of their own, listed first, so that lws
/// hands them to the router instead of looking for a file; other routes need none, because a
/// request no mount takes reaches the router anyway.
final class HTTPMounts {
    /// The head of the list, for `info.mounts`; `nil` when nothing is mounted.
    let head: UnsafePointer<lws_http_mount>?
    /// Each file mount's folder as `realpath` resolved it at start, in the table's order.
    let resolvedDirectories: [String]
    private let mounts: UnsafeMutablePointer<lws_http_mount>?
    private let mountCount: Int
    /// The content types, made only when a folder is mounted.
    private let mimeTypes: UnsafeMutablePointer<lws_protocol_vhost_options>?
    private var strings: [UnsafeMutablePointer<CChar>] = []

    /// Content types lws 4.1.6 lacks or gives without a charset; anything else unknown is
    /// `application/octet-stream` (lws would answer 415).
    static let contentTypes: [(suffix: String, type: String)] = [
        (".html", "text/html; charset=utf-8"), (".htm", "text/html; charset=utf-8"),
        (".js", "text/javascript; charset=utf-8"), (".mjs", "text/javascript; charset=utf-8"),
        (".css", "text/css; charset=utf-8"), (".txt", "text/plain; charset=utf-8"),
        (".md", "text/markdown; charset=utf-8"), (".csv", "text/csv; charset=utf-8"),
        (".json", "application/json"), (".map", "application/json"), (".wasm", "application/wasm"),
        (".webp", "image/webp"), (".avif", "image/avif"), (".pdf", "application/pdf"),
        (".mp4", "video/mp4"), (".webm", "video/webm"), (".mp3", "audio/mpeg"), (".ogg", "audio/ogg"),
        ("*", "application/octet-stream"),
    ]

    init(table: HTTPRouteTable, files: [StaticFiles], routeProtocolName: String) {
        mimeTypes = files.isEmpty ? nil : .allocate(capacity: Self.contentTypes.count)
        mimeTypes?.initialize(repeating: lws_protocol_vhost_options(), count: Self.contentTypes.count)
        resolvedDirectories = files.map { Self.realPath($0.directory) ?? $0.directory }
        let routes = table.routesNeedingMounts
        mountCount = routes.count + files.count
        mounts = mountCount == 0 ? nil : .allocate(capacity: mountCount)
        mounts?.initialize(repeating: lws_http_mount(), count: mountCount)
        head = mounts.map { UnsafePointer($0) }
        for (index, entry) in Self.contentTypes.enumerated() {
            guard let mimeTypes else { break }
            mimeTypes[index].name = keep(entry.suffix)
            mimeTypes[index].value = keep(entry.type)
            mimeTypes[index].next = index + 1 < Self.contentTypes.count ? UnsafePointer(mimeTypes + index + 1) : nil
        }
        guard let mounts else { return }
        let routeProtocol = keep(routeProtocolName)
        for (index, path) in routes.enumerated() {
            mounts[index].mountpoint = keep(path)
            mounts[index].mountpoint_len = UInt8(path.utf8.count)
            mounts[index].origin = routeProtocol
            mounts[index].origin_protocol = UInt8(LWSMPRO_CALLBACK.rawValue)
        }
        for (offset, file) in files.enumerated() {
            let mount = mounts + routes.count + offset
            mount.pointee.mountpoint = keep(file.urlPrefix)
            mount.pointee.mountpoint_len = UInt8(file.urlPrefix.utf8.count)
            mount.pointee.origin = keep(resolvedDirectories[offset])
            mount.pointee.def = keep(file.indexFile)
            mount.pointee.origin_protocol = UInt8(LWSMPRO_FILE.rawValue)
            mount.pointee.extra_mimetypes = mimeTypes.map { UnsafePointer($0) }
            mount.pointee.cache_max_age = Int32(file.cacheMaxAge)
            mount.pointee.cache_reusable = file.cacheMaxAge > 0 ? 1 : 0
        }
        for index in 0 ..< mountCount - 1 { mounts[index].mount_next = UnsafePointer(mounts + index + 1) }
    }

    /// The canonical absolute path, symlinks resolved; `nil` when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func keep(_ string: String) -> UnsafePointer<CChar> {
        let copy = strdup(string)!
        strings.append(copy)
        return UnsafePointer(copy)
    }

    deinit {
        for string in strings { free(string) }
        if let mounts {
            mounts.deinitialize(count: mountCount)
            mounts.deallocate()
        }
        mimeTypes?.deinitialize(count: Self.contentTypes.count)
        mimeTypes?.deallocate()
    }
}

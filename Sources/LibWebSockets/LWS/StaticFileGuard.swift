#if canImport(Glibc)
import Glibc
#endif

/// Keeps static files inside their folder. lws 4.1.6 opens a mounted file with `open()`, which
/// follows symlinks wherever they lead; this package resolves the path first and refuses one
/// that ends outside the folder. (lws itself already collapses `..` and `%2e%2e` in the URL
/// before any of this runs; the tests check both.)
enum StaticFileGuard {
    /// Whether the file lws would serve for `remainder` (the URL path after the mount prefix)
    /// resolves inside `directory`, which is already a real path. A path that does not exist
    /// passes: lws answers it with 404.
    static func staysInside(_ directory: String, remainder: Substring, indexFile: String) -> Bool {
        var candidate = directory + "/" + remainder
        var info = stat()
        if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { candidate += "/" + indexFile }
        guard let resolved = HTTPMounts.realPath(candidate) else { return true }
        return resolved == directory || resolved.hasPrefix(directory == "/" ? "/" : directory + "/")
    }
}

extension ContextEngine {
    /// Checks that every ``LWSConfiguration/staticFiles`` folder exists and can be read.
    /// - Throws: ``LWSError/invalidConfiguration(_:)`` naming the folder and the reason.
    static func validateStaticFiles(_ configuration: LWSConfiguration) throws {
        for files in configuration.staticFiles {
            var info = stat()
            guard stat(files.directory, &info) == 0 else {
                throw LWSError.invalidConfiguration(
                    "staticFiles directory \(files.directory) cannot be read: \(String(cString: strerror(errno)))")
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw LWSError.invalidConfiguration("staticFiles directory \(files.directory) is not a folder")
            }
            guard access(files.directory, R_OK | X_OK) == 0 else {
                throw LWSError.invalidConfiguration(
                    "staticFiles directory \(files.directory) cannot be read: \(String(cString: strerror(errno)))")
            }
            // lws builds each file's path in a 256-byte buffer.
            guard (HTTPMounts.realPath(files.directory) ?? files.directory).utf8.count < 200 else {
                throw LWSError.invalidConfiguration("staticFiles directory \(files.directory) is too long a path for lws (200 bytes at most)")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory for the C that the tool compiles at run time: the `sysconf`
/// interposer (``FakeNofileLibrary``) and the plain C child (``PlainCChild``).
struct ScratchDirectory {
    let path: String

    /// Makes `$TMPDIR/lws-footprint.XXXXXX` (or under `/tmp`).
    /// - Throws: ``FootprintError/buildFailed(_:)``.
    static func make() throws -> ScratchDirectory {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/lws-footprint.XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw FootprintError.buildFailed("mkdtemp in \(base): \(String(cString: strerror(errno)))")
        }
        return ScratchDirectory(path: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }

    /// Writes `text` to the file `name` in the directory.
    /// - Throws: ``FootprintError/buildFailed(_:)``.
    func write(_ text: String, to name: String) throws {
        guard let file = fopen(path + "/" + name, "w") else {
            throw FootprintError.buildFailed("cannot write \(path)/\(name): \(String(cString: strerror(errno)))")
        }
        let written = fputs(text, file)
        guard fclose(file) == 0, written >= 0 else { throw FootprintError.buildFailed("cannot write \(path)/\(name)") }
    }

    /// Runs `command` with `/bin/sh` in the directory and checks that it made `output`.
    /// - Parameters:
    ///   - command: a shell command line, run after `cd` into the directory.
    ///   - output: the file it must produce.
    ///   - timeout: for the whole command.
    /// - Returns: the full path of `output`.
    /// - Throws: ``FootprintError/buildFailed(_:)``.
    func compile(_ command: String, producing output: String, timeout: Duration) throws -> String {
        let line = "cd \(Self.shellQuoted(path)) && \(command)"
        let compiler = try ChildProcess.spawn(
            path: "/bin/sh", arguments: ["sh", "-c", line], environment: ChildProcess.inheritedEnvironment(), pipes: false)
        guard compiler.waitForExit(until: .now + timeout) else {
            compiler.terminate()
            throw FootprintError.buildFailed("`\(command)` took longer than \(timeout)")
        }
        let result = path + "/" + output
        guard compiler.exitedCleanly, access(result, R_OK) == 0 else {
            throw FootprintError.buildFailed("`\(command)` in \(path) \(compiler.exitDescription)")
        }
        return result
    }

    /// Deletes every file in the directory, then the directory. Safe to call more than once.
    func remove() {
        if let stream = opendir(path) {
            var names: [String] = []
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != ".", name != ".." { names.append(name) }
            }
            closedir(stream)
            for name in names { unlink(path + "/" + name) }
        }
        rmdir(path)
    }

    private static func shellQuoted(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }
}
